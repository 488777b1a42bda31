"""The page with Python programs (docs/api.md, Python programs): the language is picked by
itself, the console shows what the program printed, failed checks are marked on the graph,
stepping walks the program's own closures, and the draw_dot pictures can be flipped through.

Sources arrive through the URL (as a shared link does), never typed: no timing on keystrokes.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from gradwalk.examples import PROGRAM_EXAMPLES

from .test_page import field, load, tid

pytestmark = pytest.mark.browser

PROGRAMS = {e.id: e.source for e in PROGRAM_EXAMPLES}


def goto_source(page, source: str) -> None:  # type: ignore[no-untyped-def]
    """A fresh page load on `source` (a hash change alone does not reload the page)."""
    page.goto("about:blank")
    page.goto(f"/#mode=expression&source={quote(source, safe='')}")


def open_program(page, source: str) -> None:  # type: ignore[no-untyped-def]
    goto_source(page, source)
    page.wait_for_selector('[data-testid="ran-as"][data-language="python"]', timeout=60_000)
    page.wait_for_selector("[data-node-id]")


def click_node(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """A node is clicked with the pointer (the graph listens to pointerdown/up, as a mouse gives)."""
    box = page.locator(f'[data-label="{label}"]').first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_lecture_training_loop_prints_its_losses_and_walks_its_own_closures(page) -> None:  # type: ignore[no-untyped-def]
    open_program(page, PROGRAMS["lecture-training-loop"])
    lines = page.inner_text(tid("stdout")).splitlines()
    assert [line.split()[0] for line in lines] == [str(k) for k in range(20)]
    assert lines[-1] == "19 0.017781874686157644"
    assert "your own Value class" in page.inner_text(tid("ran-as")) and "of loss" in page.inner_text(tid("ran-as"))
    # the output drawn is the final loss, whose data is the last printed loss
    out = page.locator("g.vn.output [data-field=data]").first
    assert out.inner_text() == "0.0178"
    page.click(tid("step-next"))  # step 0: the seed
    page.click(tid("step-next"))  # step 1: the loss's own `_backward`
    text = page.inner_text(tid("explain"))
    assert "._backward() — your closure for" in text and "local = delta /" in text
    assert "gradwalk:" in text  # the op table's rule beside what the closure did
    assert page.console_errors == []


def test_find_the_bug_marks_the_leaves_and_names_the_mul(page) -> None:  # type: ignore[no-untyped-def]
    open_program(page, PROGRAMS["find-the-bug"])
    marked = sorted(page.eval_on_selector_all('[data-check="fail"]', "els => els.map(e => e.dataset.label)"))
    assert marked == ["a", "b"]
    checks = page.inner_text(tid("checks"))
    assert "disagrees with gradwalk's chain rule at 2 nodes" in checks and "the chain rule gives -3.0000" in checks
    click_node(page, "a")
    card = page.inner_text("#inspector")
    assert "your engine: 0.0000" in card and "gradwalk's chain rule: -3.0000" in card
    assert "`_backward` of d ('*') was never attached" in card
    # the step of d's closure: it changed no grad, and gradwalk's rule for a is shown beside it
    page.click(tid("to-end"))
    assert field(page, "a", "grad") == "0.0000"
    text = page.inner_text(tid("explain"))
    assert "d._backward() — your closure for d = a × b" in text and "your closure changed no grad" in text
    assert "gradwalk: a.grad += b.data × d.grad = (-3.0000) × (1.0000)" in text
    assert page.console_errors == []


def test_draw_dot_pictures_flip_and_playback_returns(page) -> None:  # type: ignore[no-untyped-def]
    open_program(page, PROGRAMS["manual-backward"])
    snaps = page.locator("#snapshots .snap[data-snapshot]")
    assert snaps.count() == 3
    page.click('[data-snapshot="0"]')
    assert page.inner_text(tid("step-label")) == "picture 1/3 (draw_dot)"
    assert field(page, "e", "grad") == "0.0000" and field(page, "c", "grad") == "0.0000"
    page.click('[data-snapshot="1"]')  # after e._backward(): c and d have their grads, a and b not yet
    assert field(page, "c", "grad") == "1.0000" and field(page, "d", "grad") == "1.0000"
    assert field(page, "a", "grad") == "0.0000"
    page.click('[data-snapshot="2"]')  # after d._backward()
    assert field(page, "a", "grad") == "1.0000" and field(page, "b", "grad") == "1.0000"
    assert page.get_attribute('[data-snapshot="2"]', "aria-pressed") == "true"
    page.click(tid("to-start"))  # playback again: the strip lets go, the label is playback's
    assert page.get_attribute('[data-snapshot="2"]', "aria-pressed") == "false"
    assert page.inner_text(tid("step-label")).startswith("forward 0/")
    assert page.console_errors == []


def test_the_language_is_picked_by_itself(page) -> None:  # type: ignore[no-untyped-def]
    load(page)  # the lecture's L in the expression language
    assert page.get_attribute(tid("ran-as"), "data-language") == "expression"
    assert page.is_hidden(tid("stdout"))
    # Python-only syntax goes to the sandbox; print's output shows
    open_program(page, "xs = [1.0, 2.0]\nv = Value(xs[0]) * xs[1]\nprint('v is', v.data)\n")
    assert page.inner_text(tid("stdout")) == "v is 2.0"
    # an expression-language typo keeps the expression language's own error
    goto_source(page, "a = 2.0\nb = a +* 3")
    page.wait_for_selector(f"{tid('error')}:not([hidden])")
    assert page.inner_text(tid("error")).startswith("Line 2, column 8: expected a number, a name or '('")
    assert page.is_hidden(tid("ran-as")) and "stale" in (page.get_attribute(".stage", "class") or "")
    # a Python program's own error carries its line
    open_err = "x = [1.0]\ny = x.nope\n"
    goto_source(page, open_err)
    page.wait_for_function("() => document.querySelector('[data-testid=error]').textContent.includes('nope')")
    assert page.inner_text(tid("error")).startswith("Line 2, column")
    assert [e for e in page.console_errors if "status of 422" not in e] == []  # the answers shown above


def test_examples_menu_has_the_programs_with_their_lessons(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    page.wait_for_selector("#examples optgroup", state="attached")
    labels = page.eval_on_selector_all("#examples optgroup", "gs => gs.map(g => g.label)")
    assert labels[0] == "Expressions" and labels[1].startswith("Python programs")
    value = page.eval_on_selector(
        "#examples", "s => [...s.options].find(o => o.textContent.startsWith('Find the bug')).value"
    )
    page.select_option("#examples", value)
    page.wait_for_selector('[data-check="fail"]', timeout=60_000)
    assert "Click the red node" in page.inner_text("#lesson")
    # editing the source takes the lesson away: it speaks of the example, not of the edit
    page.fill(tid("source"), "a = 1.0")
    assert page.inner_text("#lesson") == ""


def test_backward_twice_example_shows_the_leaf_grads_doubled(page) -> None:  # type: ignore[no-untyped-def]
    open_program(page, PROGRAMS["backward-twice"])
    assert page.inner_text(tid("stdout")).splitlines() == [
        "after one step:  a.grad = 6.0",
        "after two steps: a.grad = 12.0",
    ]
    page.click('[data-snapshot="0"]')  # the first step's picture: one pass
    first = {k: field(page, k, "grad") for k in ("a", "b", "c", "f")}
    page.click('[data-snapshot="1"]')  # the second step's: the leaves kept what the first gave
    second = {k: field(page, k, "grad") for k in ("a", "b", "c", "f")}
    assert first == {"a": "6.0000", "b": "-4.0000", "c": "-2.0000", "f": "4.0000"}
    assert second == {"a": "12.0000", "b": "-8.0000", "c": "-4.0000", "f": "8.0000"}
    assert field(page, "e", "grad") == "-2.0000"  # a new graph's inner grads are one pass
    assert "zero_grad()" in page.inner_text(tid("checks"))
    assert page.console_errors == []
