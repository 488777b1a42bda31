"""The MLP studio on the page: presets that fill the form and train to a boundary, live progress
with a Cancel that stops the server's work, samples through CSV, a trained net through JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import server_log
from .test_page import open_mlp, tid

pytestmark = pytest.mark.browser


def train(page) -> None:  # type: ignore[no-untyped-def]
    page.click(tid("run"))
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)


def download_net(page, path: Path) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Press "net" (download the trained net as JSON), save it at `path`, and read it."""
    with page.expect_download() as info:
        page.click(tid("net-download"))
    info.value.save_as(path)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_picking_moons_fills_the_form_and_trains_to_the_boundary(page) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    page.select_option('[name="dataset"]', "moons")
    # micrograd's demo, as the preset suggests it
    assert page.input_value('[name="layers"]') == "16, 16, 1"
    assert page.input_value('[name="activation"]') == "relu" and page.input_value('[name="loss"]') == "hinge"
    assert page.input_value('[name="learning_rate_end"]') == "0.1" and page.input_value('[name="graph_samples"]') == "4"
    assert page.is_hidden(".samples")
    train(page)
    page.wait_for_selector("#boundary:not([hidden])[data-points='100']")
    summary = page.inner_text(tid("train-summary"))
    assert "accuracy 100.0 %" in summary and "graph of 4" in summary
    assert page.locator("#grad-flow polyline").count() == 3  # one line per layer
    assert page.is_hidden("#train-live")  # done: the live box has gone
    assert page.inner_text(tid("step-label")).startswith("backward")  # a trained net opens with its grads


def test_cancel_stops_a_long_training(page, server) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    page.select_option('[name="dataset"]', "digits")
    page.fill('[name="layers"]', "16, 10")
    page.fill('[name="steps"]', "8000")  # seconds of training, inside max_work
    page.click(tid("run"))
    page.wait_for_function("() => Number(document.querySelector('[data-testid=train-progress]').dataset.step) > 0")
    assert "training… step" in page.inner_text(tid("train-progress"))
    page.click(tid("cancel"))
    page.wait_for_selector(f"{tid('error')}:not([hidden])")
    assert "cancelled" in page.inner_text(tid("error"))
    # the server says it stopped the training (its worker is killed and replaced)
    deadline = time.monotonic() + 10
    while "stopped an MLP training (streamed)" not in server_log(server[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "the client left before the reply" in server_log(server[0])
    # the server's worker is free again at once: a small network trains without waiting
    page.select_option('[name="dataset"]', "seeds")
    train(page)
    assert page.is_hidden(tid("error"))


def test_samples_round_trip_through_csv(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    csv = "x1,x2,y\n0.5,1.0,1\n-0.5,2.0,-1\n1.5,-1.0,1\n"
    path = tmp_path / "mine.csv"
    path.write_text(csv)
    page.set_input_files(tid("csv-file"), str(path))
    # the file is read asynchronously: wait for the form to show it, however fast the browser is
    page.wait_for_function("() => document.querySelector('[name=targets]').value === '1\\n-1\\n1'")
    assert page.input_value('[name="nin"]') == "2" and page.input_value('[name="dataset"]') == ""
    assert page.input_value('[name="inputs"]') == "0.5, 1\n-0.5, 2\n1.5, -1"
    assert page.input_value('[name="targets"]') == "1\n-1\n1"
    with page.expect_download() as info:
        page.click(tid("csv-download"))
    back = tmp_path / "back.csv"
    info.value.save_as(back)
    assert back.read_text() == csv.replace("y", "target").replace("1.0,", "1,").replace("2.0,", "2,").replace(
        "-1.0,", "-1,"
    )


def test_a_downloaded_net_reloads_with_the_same_loss(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)  # the lecture's 3-4-4-1 net, trained
    loss = page.inner_text(tid("train-summary")).split("final loss ")[1].split(" ")[0]
    path = tmp_path / "net.json"
    saved = download_net(page, path)
    assert saved["gradwalk"] == "mlp" and len(saved["parameters"]) == 41
    page.fill('[name="steps"]', "3")  # change the form: the file must bring its own net back
    page.set_input_files(tid("net-file"), str(path))
    # read asynchronously; the form takes the file's spec (steps 0: rebuilt, not trained) and runs it at once
    page.wait_for_function("() => document.querySelector('[name=steps]').value === '0'")
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)
    assert f"final loss {loss}" in page.inner_text(tid("train-summary"))
    reloaded = download_net(page, tmp_path / "net2.json")  # the reloaded net, saved again: the very same numbers
    assert reloaded["loss"] == saved["loss"] and reloaded["parameters"] == saved["parameters"]


def test_the_neuron_view_lists_samples_in_their_order(page) -> None:  # type: ignore[no-untyped-def]
    from .test_page import open_mlp

    open_mlp(page)  # the lecture's 4 samples of 3 inputs, in the neuron view
    boxes = page.eval_on_selector_all(
        "#graph [data-label^='s'][data-node-id]",
        "els => els.map(e => [e.dataset.label, e.getBoundingClientRect().top])",
    )
    inputs = [label for label, _ in sorted(boxes, key=lambda b: b[1]) if label[1].isdigit() and ".x" in label]
    assert inputs == [f"s{s}.x{k}" for s in range(4) for k in range(3)]


def mlp_posts(page) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Every POST /api/v1/mlp body the page sends from now on (appended as they go)."""
    bodies: list[dict] = []  # type: ignore[type-arg]

    def seen(r) -> None:  # type: ignore[no-untyped-def]
        if r.method == "POST" and r.url.endswith("/api/v1/mlp"):
            bodies.append(json.loads(r.post_data or "{}"))

    page.on("request", seen)
    return bodies


def slide(page, index: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Move the step slider to its `index`-th position; the answer that redrew the graph."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/mlp") and r.request.method == "POST") as info:
        page.fill('[name="train-step"]', str(index))  # sets the value and fires input and change
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled")
    return info.value.json()  # type: ignore[no-any-return]


def shown_losses(page) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The loss the slider's label gives for its step (the history's) and the one the graph's loss box shows."""
    label = page.inner_text(".train-step-out").rsplit("loss ", 1)[1].split(" · ")[0]
    return label, page.text_content('[data-group="loss"] .sub') or ""


def test_the_step_slider_shows_a_recorded_step_without_training(page) -> None:  # type: ignore[no-untyped-def]
    posts = mlp_posts(page)
    open_mlp(page)  # the lecture's net: 20 steps on its 4 samples, every step recorded
    assert posts[-1]["parameter_history"] is True and posts[-1]["steps"] == 20
    trained = page.request.post("/api/v1/mlp", data=posts[-1]).json()  # the same training: seed 42
    assert trained["parameter_steps"] == list(range(21))
    history, recorded = trained["history"], trained["parameter_history"]
    before = len(posts)
    for k in (5, 0, 13):
        body = slide(page, k)
        sent = posts[-1]
        assert sent["steps"] == 0 and sent["initial_parameters"] == recorded[k] and sent["seed"] == 42
        assert abs(body["loss"] - history[k]) <= 1e-12 * max(1.0, abs(history[k]))
        assert page.get_attribute(".train-step-out", "data-step") == str(k)
        label, box = shown_losses(page)
        assert box == f"loss {label}", (k, label, box)  # the graph is step k's
    panel_at(page, 13)  # the summary beside the boundary is step 13's too, and says so
    assert page.inner_text(tid("train-summary")).startswith(f"loss {shown_losses(page)[0]} · ")
    assert page.inner_text(tid("train-at")) == "Step 13 of 20, not the trained net"
    assert len(posts) == before + 3 and all(p["steps"] == 0 for p in posts[before:])  # no training after a move
    assert page.console_errors == []


def test_a_thinned_record_offers_only_its_steps(page) -> None:  # type: ignore[no-untyped-def]
    posts = mlp_posts(page)
    open_mlp(page)
    page.fill('[name="steps"]', "5000")  # 5,001 x 41 numbers, over max_parameter_history (100,000)
    train(page)
    # every 3rd step and the last fit: 0, 3, ..., 4998, 5000, 1,668 positions
    assert page.get_attribute('[name="train-step"]', "max") == "1667"
    assert page.get_attribute(".train-step-out", "data-step") == "5000"
    before = len(posts)
    slide(page, 1)
    assert page.get_attribute(".train-step-out", "data-step") == "3"
    assert page.inner_text(".train-step-out").startswith("after 3 updates: loss ")
    label, box = shown_losses(page)
    assert box == f"loss {label}"
    slide(page, 1666)
    assert page.get_attribute(".train-step-out", "data-step") == "4998"
    assert len(posts) == before + 2 and all(p["steps"] == 0 for p in posts[before:])
    assert page.console_errors == []


def test_a_net_on_seeded_samples_reloads_onto_the_same_ones(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """moons' noise and the held-out split come from the seed: a loaded net keeps it, so its loss is the same."""
    open_mlp(page)
    page.select_option('[name="dataset"]', "moons")
    page.fill('[name="steps"]', "20")
    page.fill('[name="seed"]', "3")
    page.fill('[name="holdout"]', "0.2")
    train(page)
    summary = page.inner_text(tid("train-summary"))
    assert "held out" in summary and "80 samples" in summary
    path = tmp_path / "moons-net.json"
    saved = download_net(page, path)
    assert saved["spec"]["seed"] == 3
    page.fill('[name="seed"]', "7")  # change the form: the file must bring its own samples back
    with page.expect_request(lambda r: r.url.endswith("/api/v1/mlp") and r.method == "POST") as req:
        page.set_input_files(tid("net-file"), str(path))
    sent = json.loads(req.value.post_data or "{}")
    assert sent["seed"] == 3 and sent["steps"] == 0 and sent["initial_parameters"] == saved["parameters"]
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)
    assert page.input_value('[name="seed"]') == "3"
    assert page.inner_text(tid("train-summary")) == summary  # loss, accuracy, held out: the same samples
    reloaded = download_net(page, tmp_path / "moons-net2.json")
    assert reloaded["loss"] == saved["loss"] and reloaded["parameters"] == saved["parameters"]


def test_a_diverged_step_says_so_and_sends_nothing(page) -> None:  # type: ignore[no-untyped-def]
    posts = mlp_posts(page)
    open_mlp(page)
    page.select_option('[name="activation"]', "linear")
    page.select_option('[name="output_activation"]', "linear")
    page.fill('[name="learning_rate"]', "1")
    page.fill('[name="steps"]', "40")
    train(page)  # the loss is NaN after 4 updates, the parameters from 5 on
    before = len(posts)
    page.fill('[name="train-step"]', "10")
    page.wait_for_selector(f"{tid('error')}:not([hidden])")
    assert "not finite (training diverged)" in page.inner_text(tid("error"))
    panel_at(page, 10)  # the panel does not go on showing another step's loss
    assert page.inner_text(tid("train-at")) == "Step 10 of 40, not the trained net"
    assert "not finite" in page.inner_text(tid("train-summary"))
    assert len(posts) == before and not page.is_disabled(tid("run"))
    body = slide(page, 2)  # a finite step draws again
    assert page.is_hidden(tid("error")) and body["loss"] > 1e30
    panel_at(page, 2)
    assert page.inner_text(tid("train-summary")).startswith("loss ")
    assert len(posts) == before + 1 and posts[-1]["steps"] == 0


BOUNDARY_PIXELS = "() => document.querySelector('#boundary').toDataURL()"


def panel_at(page, step: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the training panel (summary, boundary, flags) has been drawn for `step`."""
    page.wait_for_function(f"() => document.querySelector('#train-panel').dataset.step === '{step}'")


def test_the_step_slider_shows_that_steps_boundary_and_summary(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    posts = mlp_posts(page)
    open_mlp(page)
    page.select_option('[name="dataset"]', "moons")
    page.fill('[name="steps"]', "30")  # every step recorded (31 x 337 numbers)
    train(page)
    page.wait_for_selector("#boundary:not([hidden])[data-points='100']")
    panel_at(page, 30)
    trained = page.request.post("/api/v1/mlp", data=posts[-1]).json()  # the same training: seed and data
    history = trained["history"]
    assert trained["parameter_steps"] == list(range(31))
    final_pixels = page.evaluate(BOUNDARY_PIXELS)
    final_summary = page.inner_text(tid("train-summary"))
    final_flags = page.inner_text("#neuron-flags")
    assert page.inner_text(tid("train-at")) == "Trained net: step 30 of 30"
    assert final_summary.startswith("final loss ") and page.get_attribute("#train-panel", "class") in (None, "")
    assert page.get_attribute(tid("boundary"), "data-step") == "30"

    body = slide(page, 2)
    panel_at(page, 2)
    assert posts[-1]["steps"] == 0 and body["boundary"] is not None
    assert page.inner_text(tid("train-at")) == "Step 2 of 30, not the trained net"
    assert "past" in (page.get_attribute("#train-panel", "class") or "")
    assert page.get_attribute(tid("boundary"), "data-step") == "2"
    assert page.evaluate(BOUNDARY_PIXELS) != final_pixels  # the heat map is step 2's
    # the summary is step 2's: its loss is the history's there, as the slider's label says
    loss = float(page.get_attribute(tid("train-summary"), "data-loss") or "nan")
    assert abs(loss - history[2]) <= 1e-12 * max(1.0, abs(history[2]))
    summary = page.inner_text(tid("train-summary"))
    label = page.inner_text(".train-step-out").rsplit("loss ", 1)[1].split(" · ")[0]
    assert summary.startswith(f"loss {label} · accuracy ") and summary != final_summary
    flags = page.inner_text("#neuron-flags")
    assert all(n in flags for n in body["neurons"]["dead"]) and ("dead" in flags) == bool(body["neurons"]["dead"])
    flagged = page.eval_on_selector_all("#graph [data-flag='dead']", "els => els.map(e => e.dataset.group)")
    assert sorted(flagged) == sorted(body["neurons"]["dead"])  # the step's own dead neurons, not the final ones
    # the charts keep the whole history, their cursor at step 2
    assert page.locator("#grad-flow polyline").count() == 3 and page.locator("#grad-flow .cursor").count() == 1
    assert len(page.get_attribute("[data-testid=loss-chart] polyline", "points").split()) == 31  # type: ignore[union-attr]
    saved = download_net(page, tmp_path / "trained.json")  # the training's answer is still the trained net's
    assert saved["parameters"] == trained["parameter_history"][-1] and saved["loss"] == trained["loss"]

    asked = len(posts)
    page.fill('[name="train-step"]', "30")  # back at the end: the trained net itself, and nothing asked
    panel_at(page, 30)
    assert len(posts) == asked
    assert page.inner_text(tid("train-at")) == "Trained net: step 30 of 30"
    assert page.inner_text(tid("train-summary")) == final_summary
    assert page.inner_text("#neuron-flags") == final_flags
    assert page.evaluate(BOUNDARY_PIXELS) == final_pixels
    assert "past" not in (page.get_attribute("#train-panel", "class") or "")
    assert page.console_errors == []
