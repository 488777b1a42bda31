"""Learn by doing on the page: predict before reveal (with the diagnosis of a known mistake),
nudge a leaf and read the slope beside its grad, the paths of a node, and every grad against
finite differences.

Sources arrive through the URL (as a shared link does); answers are filled, not typed key by key.
"""

from __future__ import annotations

import pytest

from .test_page import field, load, tid

pytestmark = pytest.mark.browser


def inspect(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """Open the inspector on a node with a pointer click (the graph listens to pointerdown/up)."""
    box = page.locator(f'[data-label="{label}"]').first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#inspector:not([hidden])")


def test_predict_diagnoses_the_local_derivative_alone_and_scores_both(page) -> None:  # type: ignore[no-untyped-def]
    load(page)  # L = (a*b + c) * f, opened after its forward pass
    page.check(tid("predict"))
    page.click(tid("to-backward"))  # step 0, the seed: never asked
    page.click(tid("step-next"))  # step 1 (L = d × f) and step 2 (d = e + c): shown worked
    page.click(tid("step-next"))
    assert page.inner_text(tid("step-label")).startswith("backward 2/")
    page.click(tid("step-next"))  # step 3, e = a × b: asked
    assert page.is_visible("#predict-panel") and page.inner_text(tid("step-label")).startswith("backward 2/")
    assert "what is a.grad after this step?" in page.inner_text("#predict-prompt")
    page.fill(tid("predict-answer"), "-3")  # b.data alone: the local derivative, without × e.grad
    page.click(tid("predict-check"))
    assert "forgot × out.grad" in page.inner_text(tid("predict-feedback"))
    assert field(page, "a", "grad") == "0.0000"  # nothing revealed yet
    page.fill(tid("predict-answer"), "6")
    page.click(tid("predict-check"))
    assert "b.grad" in page.inner_text("#predict-prompt")  # the step's second update
    page.fill(tid("predict-answer"), "-4")
    page.press(tid("predict-answer"), "Enter")
    assert page.inner_text(tid("step-label")).startswith("backward 3/")  # revealed
    assert field(page, "a", "grad") == "6.0000" and field(page, "b", "grad") == "-4.0000"
    assert page.inner_text(tid("predict-score")) == "2 right of 3 tries"


def test_predict_names_a_forgotten_accumulation(page) -> None:  # type: ignore[no-untyped-def]
    load(page, "a = 3.0\nb = a + a\n")
    page.check(tid("predict"))
    page.check("#predict-all")
    page.click(tid("to-backward"))
    page.click(tid("step-next"))
    assert "a.grad" in page.inner_text("#predict-prompt")
    page.fill(tid("predict-answer"), "1")
    page.click(tid("predict-check"))  # the first contribution: right
    page.fill(tid("predict-answer"), "1")  # the second contribution alone, not the running total 2
    page.click(tid("predict-check"))
    assert "forgot += at a fan-out" in page.inner_text(tid("predict-feedback"))


def test_nudge_shows_the_slope_beside_the_grad(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    page.click(tid("to-end"))
    inspect(page, "a")
    page.fill(tid("nudge-h"), "0.01")
    page.click(tid("nudge-plus"))
    page.wait_for_function("() => document.querySelector('[data-testid=nudge-result]').textContent.includes('slope')")
    text = page.inner_text(tid("nudge-result"))
    assert "L: -8.0000 → -7.9400" in text
    slope = float(text.split("= ")[1].split()[0])
    assert abs(slope - 6.0) <= 1e-6  # a.grad = 6


def test_paths_of_a_sum_to_its_grad(page) -> None:  # type: ignore[no-untyped-def]
    load(page, "a = 3.0\nb = a*a + a\n")
    page.click(tid("to-end"))
    inspect(page, "a")
    page.click(f"{tid('paths')} button")
    page.wait_for_selector(tid("paths-sum"))
    assert page.inner_text(tid("paths-sum")) == "3 paths; their sum 7.0000 = a.grad 7.0000"
    assert page.locator(f"{tid('paths')} .path").count() == 3
    assert page.locator("#graph path.e.lit").count() >= 3  # lit on the graph


def test_every_grad_against_finite_differences(page) -> None:  # type: ignore[no-untyped-def]
    load(page, "x = 0.0\ny = relu(x) + x*x\n")
    page.click(tid("to-end"))
    page.click(tid("check-fd"))
    page.wait_for_selector(tid("fd-table"))
    row = page.inner_text(f"{tid('fd-table')} tr:nth-child(2)")
    assert row.startswith("x") and "relu" in row  # the kink is named, not called wrong
