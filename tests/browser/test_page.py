"""The page in a real browser: the lecture's L graph stepped through backprop, undo, the
explain panel's arithmetic, permalinks, error lines, MLP mode, and no console errors.
Screenshots land in tests/artifacts/ (look at them)."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import quote

import pytest

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

TIMES = "\u00d7"  # the explain panel writes products with the multiplication sign
L_SOURCE = "a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d * f"


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


def field(page, label: str, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text(f'[data-label="{label}"] [data-field="{name}"]').strip()


def open_mlp(page) -> None:  # type: ignore[no-untyped-def]
    """The page in MLP mode with the pre-filled network trained and drawn (neuron view)."""
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    page.click(tid("mode-mlp"))
    page.wait_for_selector("#train-panel:not([hidden]) .chart polyline")
    page.wait_for_selector("[data-node-id], [data-group]")


def load(page, source: str = L_SOURCE) -> None:  # type: ignore[no-untyped-def]
    """Open the page on `source` through its URL (as a shared link does): no typing, so
    the test's speed does not depend on how fast the machine takes keystrokes."""
    page.goto(f"/#mode=expression&source={quote(source, safe='')}")
    # The server lays the graph out (Graphviz) before it answers: a second for 2,000 nodes
    # on a quiet machine, many more on a loaded one, hence 60 s rather than the default 15.
    page.wait_for_function(
        "s => document.querySelector('[data-testid=source]').value === s && document.querySelector('[data-node-id]')",
        arg=source,
        timeout=60_000,
    )


def explain_texts(page) -> str:  # type: ignore[no-untyped-def]
    """The explain panel's text at every position from the start to the end, joined."""
    page.click(tid("to-start"))
    texts = [page.inner_text(tid("explain"))]
    while "off" not in (page.get_attribute(tid("step-next"), "class") or ""):
        page.click(tid("step-next"))
        texts.append(page.inner_text(tid("explain")))
    return "\n".join(texts)


def step_until_a_grad(page, want: str = "6.0000", limit: int = 40) -> list[str]:  # type: ignore[no-untyped-def]
    """Click Next until a.grad reads `want`; returns the a.grad text seen before each click."""
    seen = []
    for _ in range(limit):
        g = field(page, "a", "grad")
        if g == want:
            return seen
        seen.append(g)
        page.click(tid("step-next"))
    raise AssertionError(f"a.grad never became {want}; saw {seen}")


def test_l_graph_steps_to_a_grad(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    # every value node is drawn with its label, and the output L holds -8 after the forward pass
    labels = sorted(page.eval_on_selector_all("[data-node-id]", "els => els.map(e => e.dataset.label)"))
    assert labels == ["L", "a", "b", "c", "d", "e", "f"]
    page.click(tid("to-end"))
    assert field(page, "L", "data") == "-8.0000"
    page.click(tid("to-start"))
    assert page.inner_text(tid("step-label")).startswith("forward 0/")
    seen = step_until_a_grad(page)
    assert seen and set(seen) == {"0.0000"}  # no contribution before the step that sets it
    assert re.fullmatch(r"backward \d+/\d+", page.inner_text(tid("step-label")))
    assert field(page, "a", "data") == "2.0000"
    assert field(page, "b", "grad") == "-4.0000"
    assert field(page, "L", "grad") == "1.0000"
    page.screenshot(path=str(ARTIFACTS / "l_graph_a_grad.png"))
    assert page.console_errors == []


def test_step_back_undoes_a_step(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    step_until_a_grad(page)
    label = page.inner_text(tid("step-label"))
    e_grad = field(page, "e", "grad")
    page.click(tid("step-prev"))
    assert field(page, "a", "grad") == "0.0000"
    assert field(page, "e", "grad") == e_grad  # set by an earlier step: stays
    assert page.inner_text(tid("step-label")) != label
    page.click(tid("step-next"))
    assert field(page, "a", "grad") == "6.0000"
    assert page.inner_text(tid("step-label")) == label
    # the keyboard does the same: ← undoes, → redoes, Home and End jump
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowLeft")
    assert field(page, "a", "grad") == "0.0000"
    page.keyboard.press("ArrowRight")
    assert field(page, "a", "grad") == "6.0000"
    page.keyboard.press("Home")
    assert page.inner_text(tid("step-label")).startswith("forward 0/")
    assert field(page, "L", "grad") == "0.0000"
    page.keyboard.press("End")
    assert field(page, "a", "grad") == "6.0000"
    assert page.console_errors == []


def test_explain_holds_the_numbers(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    step_until_a_grad(page)
    text = page.inner_text(tid("explain"))
    assert f"a.grad += b.data {TIMES} e.grad = (-3.0000) {TIMES} (-2.0000) = 6.0000" in text
    assert f"b.grad += a.data {TIMES} e.grad = (2.0000) {TIMES} (-2.0000) = -4.0000" in text
    page.click(tid("to-end"))
    page.click(tid("to-start"))
    for _ in range(4):  # forward order is creation order: a, b, c, then e = a*b
        page.click(tid("step-next"))
    assert f"e = (2.0000) {TIMES} (-3.0000) = -6.0000" in page.inner_text(tid("explain"))
    assert field(page, "e", "data") == "-6.0000"
    assert field(page, "d", "data") == "·"  # not computed yet
    page.screenshot(path=str(ARTIFACTS / "explain.png"))


def test_fan_out_shows_running_sum(page) -> None:  # type: ignore[no-untyped-def]
    load(page, "a = 3.0\nb = a*a\nc = b + a")
    joined = explain_texts(page)
    # a receives 1 (from c = b + a) and 3 + 3 (from b = a*a): the panel shows the running sum
    assert "contribution 1 of 3" in joined
    assert "a.grad = 1.0000 + 3.0000 + 3.0000 = 7.0000" in joined
    assert field(page, "a", "grad") == "7.0000"


def test_permalink_restores_the_view(page, browser, base_url) -> None:  # type: ignore[no-untyped-def]
    source = "x = 1.5\ny = x*x + x\nz = y.tanh()"
    load(page, source)
    page.click(tid("to-end"))
    page.click(tid("step-prev"))
    label = page.inner_text(tid("step-label"))
    grads = {lb: field(page, lb, "grad") for lb in ("x", "y", "z")}
    page.wait_for_function("() => location.hash.includes('pos=')")
    page.wait_for_timeout(400)  # the hash is written a moment after the last step
    url = page.url
    assert "mode=expression" in url and quote("x*x", safe="") in url.replace("x*x", quote("x*x", safe=""))
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    other = ctx.new_page()
    other.goto(url)
    other.wait_for_selector('[data-label="z"]')
    assert other.input_value(tid("source")) == source
    assert other.inner_text(tid("step-label")) == label
    assert {lb: field(other, lb, "grad") for lb in ("x", "y", "z")} == grads
    ctx.close()


def test_error_shows_its_line_and_keeps_the_text(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    bad = "a = 2.0\nb = a * \nc = b + 1"
    page.fill(tid("source"), bad)
    page.press(tid("source"), "Control+Enter")
    err = page.locator(tid("error"))
    err.wait_for(state="visible")
    assert re.search(r"Line 2, column \d+", err.inner_text())
    assert page.input_value(tid("source")) == bad
    assert page.inner_text(".gutter .err") == "2"
    page.screenshot(path=str(ARTIFACTS / "error.png"))
    # fixing the text clears the mark; running again works
    page.fill(tid("source"), "a = 2.0\nb = a * 3\nc = b + 1")
    page.click(tid("run"))
    page.wait_for_selector('[data-label="c"]')
    assert err.is_hidden()


def test_server_failure_shows_a_message(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    page.route("**/api/v1/expression", lambda route: route.abort())
    page.click(tid("run"))
    err = page.locator(tid("error"))
    err.wait_for(state="visible")
    assert "server" in err.inner_text().lower()
    assert page.locator("[data-node-id]").count() > 0  # the last graph stays: never a blank page


def test_mlp_mode_renders(page) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    assert "mode=mlp" in page.url
    points = page.get_attribute("[data-testid=loss-chart] polyline", "points") or ""
    assert len(points.split()) == 21  # the loss after 0..20 updates
    page.click(tid("to-end"))
    assert page.inner_text(tid("step-label")).startswith("backward ")
    assert page.inner_text(tid("explain")).strip()
    # collapsed boxes carry numbers: the loss box shows the trained loss, each neuron its
    # parameters' mean |grad|, which is nonzero once backward has finished
    trained = page.inner_text(".train-step-out").rsplit("loss ", 1)[1].split(" · ")[0]  # before " · accuracy"
    assert page.text_content('[data-group="loss"] .sub') == f"loss {trained}"
    neuron = page.text_content('[data-group="layer2/neuron1"] .sub')
    assert neuron.startswith("5 params · mean |grad| ") and not neuron.endswith(" 0.0000")
    page.screenshot(path=str(ARTIFACTS / "mlp.png"))
    page.click('[data-view="layer"]')
    page.wait_for_selector('[data-group="layer1"]')
    assert page.text_content('[data-group="layer1"] .sub').startswith("16 params · mean |grad| ")
    page.click(tid("to-start"))
    assert page.text_content('[data-group="layer1"] .sub') == "16 params · mean |grad| 0.0000"
    assert page.console_errors == []


def test_collapsed_boxes_expand_on_click(page) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    page.click('[data-view="layer"]')
    page.click('[data-group="layer2"]')  # a layer opens into its neurons
    page.wait_for_selector('[data-view="neuron"].on')
    page.click('[data-group="layer2/neuron1"]')  # a neuron opens into every node, its output inspected
    page.wait_for_selector('[data-view="full"].on')
    page.wait_for_selector("#inspector:not([hidden])")
    assert page.locator('[data-label="layer2.neuron1.w0"]').count() == 1
    assert page.console_errors == []


def test_mlp_form_sends_initialisation_and_l2(page) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    page.select_option('[name="init"]', "xavier")
    page.fill('[name="l2"]', "0.01")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/mlp") and r.method == "POST") as req:
        page.click(tid("run"))
    body = json.loads(req.value.post_data or "{}")
    assert body["init"] == "xavier" and body["l2"] == 0.01
    page.wait_for_selector('[data-group="loss"]')
    page.fill('[name="l2"]', "-1")
    page.click(tid("run"))
    err = page.locator(tid("error"))
    err.wait_for(state="visible")
    assert "L2 penalty" in err.inner_text()
    assert page.console_errors == []


def test_controls_are_labelled_and_reachable(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    for name in ("run", "mode-expression", "mode-mlp", "step-prev", "step-next", "play", "to-start", "to-end"):
        el = page.locator(tid(name))
        name_text = (el.get_attribute("aria-label") or el.inner_text()).strip()
        assert name_text, name
        assert el.evaluate("e => e.tabIndex") >= 0, name
    page.focus(tid("step-prev"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "play"
    # space plays and pauses without also clicking the focused button twice
    page.keyboard.press("Space")
    assert page.get_attribute(tid("play"), "aria-label") == "Pause"
    page.keyboard.press("Space")
    assert page.get_attribute(tid("play"), "aria-label") == "Play"


def test_no_console_errors_across_the_page(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    page.select_option("#examples", index=2)
    page.wait_for_selector("[data-node-id]")
    page.click(tid("play"))
    page.wait_for_timeout(600)
    page.click(tid("play"))
    page.click("#theme")
    page.click("#fit")
    page.click("#graph .vn.output")  # Fit keeps a readable scale: the output is in view, not every node
    assert page.locator("#inspector").is_visible()
    page.screenshot(path=str(ARTIFACTS / "dark.png"))
    assert page.console_errors == []


def test_big_graph_plays_back_to_the_final_grads(page) -> None:  # type: ignore[no-untyped-def]
    """A ~2,000-node graph: drawn, played at full speed to the end, grads equal the server's.
    Step and frame timings (performance.now in the page) go to tests/artifacts/playback_perf.json."""
    lines = ["x = 0.5", "y = x"] + ["y = (y*0.9 + x).tanh()"] * 500
    load(page, "\n".join(lines))
    page.wait_for_function("() => document.querySelectorAll('[data-node-id]').length >= 2000", timeout=60_000)
    final = page.evaluate(
        """async () => {
          const r = await fetch('/api/v1/expression', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({source: document.querySelector('[data-testid=source]').value})});
          const g = await r.json();
          return g.nodes.find(n => n.label === 'x').grad;
        }"""
    )
    page.click(tid("to-start"))
    page.select_option("#speed", "60")
    stats = page.evaluate(
        """() => new Promise(done => {
          const perf = window.gradwalkPerf; perf.steps.length = 0;
          const frames = []; let last = performance.now(); let running = true;
          const frame = (t) => { frames.push(t - last); last = t; if (running) requestAnimationFrame(frame); };
          requestAnimationFrame(frame);
          document.querySelector('[data-testid=play]').click();
          const t0 = performance.now();
          const play = document.querySelector('[data-testid=play]');
          const poll = setInterval(() => {
            if (play.getAttribute('aria-label') === 'Play' || performance.now() - t0 > 5000) {
              clearInterval(poll); running = false;
              if (play.getAttribute('aria-label') === 'Pause') play.click();
              const s = [...perf.steps].sort((a, b) => a - b); const f = [...frames].sort((a, b) => a - b);
              const q = (a, p) => a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null;
              done({steps: s.length, step_p50_ms: q(s, .5), step_p99_ms: q(s, .99), step_max_ms: s[s.length - 1],
                    frames: f.length, frame_p50_ms: q(f, .5), frame_p99_ms: q(f, .99), frame_max_ms: f[f.length - 1],
                    draw_ms: perf.draws[perf.draws.length - 1]});
            }
          }, 100);
        })"""
    )
    page.click(tid("to-end"))
    (ARTIFACTS / "playback_perf.json").write_text(json.dumps(stats, indent=2))
    page.screenshot(path=str(ARTIFACTS / "big_graph.png"))
    # playback ran (the timings are reported, not asserted: at 60 steps/s a loaded 2-core
    # machine paints every 33 ms and manages 90-100 steps in the 5 s window, a quiet one 300)
    assert stats["steps"] > 10
    # zoomed out this far the text is hidden (level of detail): read the DOM text, not innerText
    assert page.text_content('[data-label="x"] [data-field="grad"]') == f"{final:.4f}"
    assert page.console_errors == []


SQRT_SOURCE = "x = 2.0\ns = x.sqrt()\nt = x.sin()\ny = s * t"


def test_explain_reads_the_op_table(page) -> None:  # type: ignore[no-untyped-def]
    """A `*` and a `sqrt` step: the forward formula, its numbers and each local derivative
    are the op table's display templates filled in (GET /api/v1/ops: `{a} × {b}` with
    locals `{b}`, `{a}`; `sqrt({a})` with local `1 / (2 × {out})`)."""
    load(page, SQRT_SOURCE)
    text = explain_texts(page)
    s, t = math.sqrt(2.0), math.sin(2.0)
    assert "forward: s = sqrt(x)" in text
    assert f"s = sqrt(2.0000) = {s:.4f}" in text
    assert f"y = ({s:.4f}) {TIMES} ({t:.4f}) = {s * t:.4f}" in text
    # the * step: each operand's local is the other operand's data
    assert f"s.grad += t.data {TIMES} y.grad = ({t:.4f}) {TIMES} (1.0000) = {t:.4f}" in text
    assert f"t.grad += s.data {TIMES} y.grad = ({s:.4f}) {TIMES} (1.0000) = {s:.4f}" in text
    # the sqrt step: the template with references, then with numbers, then the rule
    local = 1 / (2 * s)
    assert f"\u2202s/\u2202x = 1 / (2 {TIMES} s.data) = 1 / (2 {TIMES} ({s:.4f})) = {local:.4f}" in text
    rule = f"x.grad += 1 / (2 {TIMES} s.data) {TIMES} s.grad = ({local:.4f}) {TIMES} ({t:.4f}) = {local * t:.4f}"
    assert rule in text
    assert page.console_errors == []


def test_explain_follows_a_changed_op_table(page) -> None:  # type: ignore[no-untyped-def]
    """The panel has no formulas of its own: serve mul a different template and it shows that one."""

    def ops(route) -> None:  # type: ignore[no-untyped-def]
        table = route.fetch().json()
        for op in table:
            if op["name"] == "mul":
                op["display"], op["display_local"] = "{a} \u00b7 {b}", ["d/da[{b}]", "d/db[{a}]"]
        route.fulfill(json=table)

    page.route("**/api/v1/ops", ops)
    load(page, SQRT_SOURCE)
    text = explain_texts(page)
    assert "forward: y = s \u00b7 t" in text
    assert f"s.grad += d/da[t.data] {TIMES} y.grad" in text
    assert page.console_errors == []


def test_op_table_failure_shows_a_message(page) -> None:  # type: ignore[no-untyped-def]
    page.route("**/api/v1/ops", lambda route: route.abort())
    load(page, SQRT_SOURCE)
    err = page.locator(tid("error"))
    err.wait_for(state="visible")
    assert "op table" in err.inner_text()
    page.click(tid("to-end"))  # the graph and stepping still work, formulas or not
    assert field(page, "x", "grad") == f"{math.sin(2) / (2 * math.sqrt(2)) + math.sqrt(2) * math.cos(2):.4f}"
    assert page.inner_text(tid("explain")).strip()
    assert not [e for e in page.console_errors if e.startswith("uncaught")]


def hand_written_network(samples: int = 16) -> tuple[str, float]:
    """A 3-4-1 tanh network written out line by line over `samples` samples with a
    squared-error loss, as a student might paste it; returns the source and its loss."""
    lines = ["# a 3-4-1 tanh network, written out by hand", ""]
    env: dict[str, float] = {}

    def let(name: str, expr: str, value: float) -> None:
        lines.append(f"{name} = {expr}")
        env[name] = value

    lines.append("# parameters")
    for j in range(4):
        for k in range(3):
            w = round(0.1 * ((j * 3 + k) % 7) - 0.3, 2)
            let(f"w{j}_{k}", str(w), w)
        let(f"b{j}", str(round(0.05 * j - 0.1, 2)), round(0.05 * j - 0.1, 2))
        let(f"v{j}", str(round(0.2 * j - 0.3, 2)), round(0.2 * j - 0.3, 2))
    let("c", "0.1", 0.1)
    for s in range(samples):
        lines += ["", f"# sample {s}"]
        x = [round(((s * 3 + k) % 5) * 0.5 - 1.0, 2) for k in range(3)]
        y = 1.0 if s % 2 == 0 else -1.0
        for k in range(3):
            let(f"x{s}_{k}", str(x[k]), x[k])
        for j in range(4):
            terms = [f"w{j}_{k} * x{s}_{k}" for k in range(3)]
            z = sum(env[f"w{j}_{k}"] * x[k] for k in range(3)) + env[f"b{j}"]
            let(f"z{s}_{j}", " + ".join(terms) + f" + b{j}", z)
            let(f"h{s}_{j}", f"z{s}_{j}.tanh()", math.tanh(z))
        o = math.tanh(sum(env[f"v{j}"] * env[f"h{s}_{j}"] for j in range(4)) + env["c"])
        let(f"o{s}", "(" + " + ".join(f"v{j} * h{s}_{j}" for j in range(4)) + " + c).tanh()", o)
        let(f"e{s}", f"(o{s} {'-' if y > 0 else '+'} 1.0) ** 2", (o - y) ** 2)
    lines.append("")
    let("loss", " + ".join(f"e{s}" for s in range(samples)), sum(env[f"e{s}"] for s in range(samples)))
    return "\n".join(lines), env["loss"]


def test_pasting_a_long_program_runs_it(page) -> None:  # type: ignore[no-untyped-def]
    """The one test that puts text into the editor as a user does: a ~280-line program,
    typed in by Playwright (one input event per line and one per newline), run with
    Ctrl+Enter; then the arrow keys step playback, since running hands focus back."""
    source, loss = hand_written_network()
    assert len(source.splitlines()) > 250
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    # ~560 input events: about 1 s on a quiet machine; 60 s leaves room for a loaded CI box
    page.fill(tid("source"), source, timeout=60_000)
    assert page.inner_text(".gutter div:last-child") == str(len(source.splitlines()))
    page.press(tid("source"), "Control+Enter")
    page.wait_for_selector('[data-label="loss"]', timeout=60_000)  # 740 nodes to lay out: see load()
    assert re.fullmatch(r"forward (\d+)/\1", page.inner_text(tid("step-label")))
    page.keyboard.press("ArrowRight")  # the editor let go of the keys: this steps playback
    assert page.inner_text(tid("step-label")).startswith("backward 0/")
    assert page.input_value(tid("source")) == source
    page.keyboard.press("End")
    # a graph this big opens zoomed out, its text hidden (level of detail): read the DOM text
    assert page.text_content('[data-label="loss"] [data-field="data"]') == f"{loss:.4f}"
    assert page.text_content('[data-label="loss"] [data-field="grad"]') == "1.0000"
    assert page.console_errors == []


def test_escape_leaves_the_editor_for_the_player(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    page.click(tid("source"))
    label = page.inner_text(tid("step-label"))
    page.keyboard.press("ArrowRight")  # moves the caret, not playback
    assert page.inner_text(tid("step-label")) == label
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowRight")
    assert page.inner_text(tid("step-label")) != label
    assert page.input_value(tid("source")) == L_SOURCE


def test_the_editor_hint_lists_the_op_tables_functions(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector('[data-label="a"]')
    page.wait_for_function("() => document.querySelector('#function-names').textContent.includes('sqrt')")
    names = page.inner_text("#function-names").split(" ")
    assert {"tanh", "exp", "log", "relu", "sigmoid", "sqrt", "abs", "sin", "cos", "max(a,"} <= set(names)


def test_unnamed_results_are_called_by_their_expression(page) -> None:  # type: ignore[no-untyped-def]
    """The panel and the boxes name what the student did not: no internal id like n13 appears."""
    load(page, "x = Value(2.0, label='x')\ne = (2*x).exp()\no = (e - 1) / (e + 1)\ns = x + e + o + 1")
    page.click(tid("to-start"))
    texts = []
    while True:
        texts.append(page.inner_text(tid("explain")))
        label = page.inner_text(tid("step-label"))
        m = re.fullmatch(r"backward (\d+)/(\d+)", label)
        if m and m.group(1) == m.group(2):
            break
        page.click(tid("step-next"))
    panel = "\n".join(texts)
    assert not re.search(r"\bn\d+\b", panel), re.findall(r".*\bn\d+\b.*", panel)[:3]
    assert "o = (e − 1) / (e + 1)" in panel and "(e − 1).grad" in panel
    assert "forward: 2 × x" in panel  # an unnamed result is its own formula, said once
    boxes = page.eval_on_selector_all("[data-node-id] .lbl", "els => els.map(e => e.textContent)")
    assert {"e − 1", "e + 1", "2 × x"} <= set(boxes)


def test_a_tiny_gradient_never_reads_zero(page) -> None:  # type: ignore[no-untyped-def]
    load(page, "x = 10.0\ny = tanh(x)")
    page.click(tid("to-end"))
    assert field(page, "x", "grad") == "8.24e-9"  # 1 - tanh(10)**2, as the example's lesson says
    assert field(page, "y", "grad") == "1.0000" and field(page, "x", "data") == "10.0000"
    assert "8.24e-9" in page.inner_text(tid("explain"))
