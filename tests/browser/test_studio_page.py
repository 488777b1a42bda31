"""The MLP studio on the page: presets that fill the form and train to a boundary, live progress
with a Cancel that stops the server's work, samples through CSV, a trained net through JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_page import open_mlp, tid

pytestmark = pytest.mark.browser


def train(page) -> None:  # type: ignore[no-untyped-def]
    page.click(tid("run"))
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)


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


def test_cancel_stops_a_long_training(page) -> None:  # type: ignore[no-untyped-def]
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
    with page.expect_download() as info:
        page.click(tid("net-download"))
    path = tmp_path / "net.json"
    info.value.save_as(path)
    saved = json.loads(path.read_text())
    assert saved["gradwalk"] == "mlp" and len(saved["parameters"]) == 41
    page.fill('[name="steps"]', "3")  # change the form: the file must bring its own net back
    page.set_input_files(tid("net-file"), str(path))
    # read asynchronously; the form takes the file's spec (steps 0: rebuilt, not trained) and runs it at once
    page.wait_for_function("() => document.querySelector('[name=steps]').value === '0'")
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)
    assert f"final loss {loss}" in page.inner_text(tid("train-summary"))
    with page.expect_download() as again:  # the reloaded net, saved again: the very same numbers
        page.click(tid("net-download"))
    path2 = tmp_path / "net2.json"
    again.value.save_as(path2)
    reloaded = json.loads(path2.read_text())
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
