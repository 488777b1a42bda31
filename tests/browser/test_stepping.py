"""Stepping by more than a node (docs/api.md, `nodes[].line` and `nodes[].group`): by statement in
an expression, by neuron and by layer in an MLP; Prev undoes exactly one such step."""

from __future__ import annotations

import math
import re

import pytest

from .test_page import field, load, open_mlp, tid

pytestmark = pytest.mark.browser

SOURCE = "a = 2.0\nb = -3.0\nc = a*b + 1\nL = (c*0.1).tanh()"


def pos(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.input_value("#scrubber"))


def offered(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(f"{tid('step-by')} option", "os => os.filter(o => !o.hidden).map(o => o.value)")


def test_step_by_statement_walks_the_source_line_by_line(page) -> None:  # type: ignore[no-untyped-def]
    load(page, SOURCE)
    assert offered(page) == ["node", "line"]
    page.select_option(tid("step-by"), "line")
    page.click(tid("to-start"))
    page.keyboard.press("ArrowRight")  # the select let go of the keys: → steps
    assert page.inner_text(tid("step-label")) == "forward 1/8 · line 1"
    page.click(tid("step-next"))
    page.click(tid("step-next"))  # line 3: a*b, the constant 1 and the sum, in one step
    assert page.inner_text(tid("step-label")) == "forward 5/8 · line 3"
    assert field(page, "c", "data") == "-5.0000" and field(page, "L", "data") != "-0.4621"
    page.click(tid("step-next"))
    assert page.inner_text(tid("step-label")) == "forward 8/8 · line 4"
    page.click(tid("to-backward"))  # the seed, on line 4's L
    page.click(tid("step-next"))  # the rest of line 4: tanh and c*0.1 pass the grad to c
    t = math.tanh(-0.5)
    assert field(page, "c", "grad") == f"{0.1 * (1 - t * t):.4f}" and field(page, "a", "grad") == "0.0000"
    at_line4 = pos(page)
    page.click(tid("step-next"))  # line 3: + and * reach a and b
    assert field(page, "a", "grad") == f"{-3 * 0.1 * (1 - t * t):.4f}"
    assert page.inner_text(tid("step-label")).endswith("· line 3")
    page.click(tid("step-prev"))
    assert pos(page) == at_line4 and field(page, "a", "grad") == "0.0000"
    assert page.console_errors == []


def test_step_by_neuron_and_by_layer_in_an_mlp(page) -> None:  # type: ignore[no-untyped-def]
    open_mlp(page)
    assert offered(page) == ["node", "neuron", "layer"]
    page.click(tid("to-backward"))
    moved = {}
    for by in ("layer", "neuron"):
        page.select_option(tid("step-by"), by)
        page.click(tid("to-backward"))
        page.click(tid("step-next"))  # the seed's unit: the loss
        assert page.inner_text(tid("step-label")).endswith("· loss")
        page.click(tid("step-next"))  # the output layer: one neuron, so one unit either way
        assert page.inner_text(tid("step-label")).endswith("· layer3" if by == "layer" else "· layer3/neuron1")
        before = pos(page)
        page.click(tid("step-next"))  # into the 4-neuron hidden layer: all of it, or its first neuron
        moved[by] = pos(page) - before
        assert page.inner_text(tid("step-label")).endswith("· layer2" if by == "layer" else "· layer2/neuron4")
    assert moved["layer"] == 4 * moved["neuron"] > 4  # each neuron: 3 weights, the bias, the sums, tanh
    assert page.console_errors == []


def test_a_graph_without_statements_or_neurons_steps_by_node_only(page) -> None:  # type: ignore[no-untyped-def]
    load(page, "a = 2.0\nL = a*a + a")  # two lines, but the leaf's line alone
    assert offered(page) == ["node", "line"]
    page.goto("about:blank")  # a hash change alone does not reload the page
    load(page, "L = 2.0 * 3.0")
    assert page.is_hidden(tid("step-by"))


def test_the_inspector_copies_full_precision(page) -> None:  # type: ignore[no-untyped-def]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    load(page, "x = 10.0\ny = tanh(x)")
    page.click(tid("to-end"))
    box = page.locator('[data-label="x"]').first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.click(tid("inspector-copy"))
    grad = re.sub(r"e-0*", "e-", repr(1 - math.tanh(10.0) ** 2))  # as JavaScript writes it: 8.2...e-9
    want = f"x: data 10.0, grad {grad}"
    page.wait_for_function("w => document.querySelector('[data-testid=inspector-copy]').dataset.copied === w", arg=want)
    assert page.evaluate("() => navigator.clipboard.readText()") == want
