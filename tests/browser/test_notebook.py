"""gradwalk.show() and gradwalk.to_html(): the stepper for a graph built in Python, played in
Chromium with every network request refused (as a notebook's output, and as a file)."""

from __future__ import annotations

from pathlib import Path

import pytest

import gradwalk
from gradwalk import Value

pytestmark = pytest.mark.browser


def neuron() -> Value:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def offline_page(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1100, "height": 800}, offline=True)
    page = ctx.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    return ctx, page


def test_show_steps_inline_in_a_notebook_cell_offline(browser) -> None:  # type: ignore[no-untyped-def]
    cell = gradwalk.show(neuron())._repr_html_()
    assert cell.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts' in cell
    ctx, page = offline_page(browser)
    try:
        page.set_content(f"<html><body><h1>notebook</h1>{cell}</body></html>")
        frame = page.frame_locator("iframe")
        frame.locator('[data-label="o"]').wait_for()
        assert frame.locator(".side").is_hidden() and frame.locator("header").is_hidden()  # the stepper alone
        frame.locator('[data-testid="to-end"]').click()
        grad = frame.locator('[data-label="x1"] [data-field="grad"]').inner_text()
        assert grad == "-1.5000"  # x1.grad = w1 * (1 - o**2) = -3 * 0.5
        frame.locator('[data-testid="step-prev"]').click()
        assert frame.locator('[data-testid="step-label"]').inner_text().startswith("backward")
        assert "chain rule" in frame.locator('[data-testid="explain"]').inner_text()  # the panel is there
        assert [u for u in page.requests if not u.startswith(("about:", "data:"))] == []
    finally:
        ctx.close()


def test_to_html_writes_a_file_that_plays_offline(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "neuron.html"
    text = gradwalk.to_html(neuron(), path)
    assert path.read_text() == text
    ctx, page = offline_page(browser)
    try:
        page.goto(path.as_uri())
        page.wait_for_selector('[data-label="o"]')
        page.click('[data-testid="to-end"]')
        assert page.inner_text('[data-label="w1"] [data-field="grad"]') == "1.0000"  # x1 * 0.5
        assert [u for u in page.requests if not u.startswith("file:")] == []
    finally:
        ctx.close()


def test_show_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(TypeError, match="gradwalk Value"):
        gradwalk.show(3.0)  # type: ignore[arg-type]
    x = Value(1.0)
    for _ in range(3_000):
        x = x * 1.0 + 0.0
    with pytest.raises(ValueError, match="export_max_nodes"):
        gradwalk.to_html(x)
