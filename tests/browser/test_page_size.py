"""The graph at every size (issue 13): value text of the lecture's examples reads at >= 12 px at
1024x700 with the neuron whole; the 2,001-node chain opens on a readable node, drawn on a
canvas with DOM records for the nodes in view and hooks for the rest; the overview shows where
the view is and moves it; Fit never shrinks below readable; playback keeps the step in view."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from gradwalk.examples import EXAMPLES

from .test_page import L_SOURCE, open_mlp, tid

pytestmark = pytest.mark.browser

NEURON = next(e.source for e in EXAMPLES if e.id == "neuron-tanh")
CHAIN = "x = 0.5\ny = 0.1\n" + "y = (y*0.9 + x).tanh()\n" * 500

# Every drawn record: its data text's on-screen size (font size x the view's scale) and
# whether the whole box lies inside the graph stage.
RECORDS = """() => {
  const vp = document.querySelector('#graph .viewport');
  const s = new DOMMatrix(getComputedStyle(vp).transform).a;
  const st = document.querySelector('.stage').getBoundingClientRect();
  return [...document.querySelectorAll('#graph [data-node-id]')].map((el) => {
    const r = el.getBoundingClientRect();
    const data = el.querySelector('[data-field=data]');
    return { label: el.dataset.label, px: parseFloat(getComputedStyle(data).fontSize) * s,
             inside: r.left >= st.left - 1 && r.right <= st.right + 1
                     && r.top >= st.top - 1 && r.bottom <= st.bottom + 1 };
  });
}"""


def open_at(browser, base_url, source: str, width: int, height: int):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": width, "height": height}, base_url=base_url)
    page = ctx.new_page()
    page.goto(f"/#mode=expression&source={quote(source, safe='')}")
    page.wait_for_function(
        "s => document.querySelector('[data-testid=source]').value === s"
        " && document.querySelector('#graph [data-node-id]')",
        arg=source,
        timeout=60_000,
    )
    page.wait_for_function("() => !document.querySelector('.stage').classList.contains('busy')")
    return ctx, page


@pytest.mark.parametrize("source", [L_SOURCE, NEURON], ids=["L", "neuron"])
def test_value_text_reads_at_12px_at_1024x700_with_every_node_in_view(browser, base_url, source: str) -> None:  # type: ignore[no-untyped-def]
    ctx, page = open_at(browser, base_url, source, 1024, 700)
    try:
        records = page.evaluate(RECORDS)
        assert len(records) >= 7
        small = [(r["label"], round(r["px"], 1)) for r in records if r["px"] < 12]
        assert small == [], f"value text below 12 px on screen: {small}"
        outside = [r["label"] for r in records if not r["inside"]]
        assert outside == [], f"nodes out of view at 1024x700: {outside}"
        assert page.locator(tid("overview")).is_hidden()  # it fits: no overview needed
    finally:
        ctx.close()


def test_the_2001_node_chain_opens_readable_with_an_overview_that_moves_the_view(browser, base_url) -> None:  # type: ignore[no-untyped-def]
    ctx, page = open_at(browser, base_url, CHAIN, 1400, 900)
    try:
        # every value node has a hook (records in view, hidden hooks for the rest)
        assert page.evaluate("() => document.querySelectorAll('[data-node-id]').length") == 2002
        page.wait_for_function("() => document.querySelectorAll('#graph [data-node-id]').length > 0")
        records = page.evaluate(RECORDS)
        readable = [r for r in records if r["inside"] and r["px"] >= 12]
        assert readable, records
        assert len(records) < 200  # only the nodes in view are DOM records
        overview = page.locator(tid("overview"))
        assert overview.is_visible()
        before = overview.get_attribute("data-viewport")
        box = overview.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "v => document.querySelector('[data-testid=overview]').dataset.viewport !== v", arg=before
        )
        # the view moved left, and the records there came into the DOM
        x0 = int(overview.get_attribute("data-viewport").split(",")[0])
        assert x0 < int(before.split(",")[0])
        page.wait_for_function("() => document.querySelectorAll('#graph [data-node-id]').length > 0")
        # Fit keeps the readable scale (the graph cannot fit readable) and the overview
        moved = overview.get_attribute("data-viewport")
        page.click("#fit")  # back at the output: the records in view are redrawn on the next frame
        page.wait_for_function(
            "v => document.querySelector('[data-testid=overview]').dataset.viewport !== v", arg=moved
        )
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        sizes = sorted(r["px"] for r in page.evaluate(RECORDS))  # a 9-character grad (2.5e-17) shrinks a little
        assert sizes and sizes[len(sizes) // 2] >= 12
        assert overview.is_visible()
        # zoomed far out, then a step: playback brings the step's node back at a readable scale
        for _ in range(12):
            page.click("#zoom-out")
        page.click(tid("step-next"))
        page.wait_for_function("() => document.querySelector('#graph .vn.cur')")
        cur = page.evaluate(
            """() => { const el = document.querySelector('#graph .vn.cur'); const r = el.getBoundingClientRect();
                       const st = document.querySelector('.stage').getBoundingClientRect();
                       const vp = document.querySelector('#graph .viewport');
                       const s = new DOMMatrix(getComputedStyle(vp).transform).a;
                       return { s, inside: r.left >= st.left && r.right <= st.right
                                   && r.top >= st.top && r.bottom <= st.bottom }; }"""
        )
        assert cur["inside"] and cur["s"] >= 0.75
        # the hidden hooks keep the values: x's grad at the end of backward
        page.click(tid("to-end"))
        final = page.evaluate(
            """async () => {
              const r = await fetch('/api/v1/expression', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({source: document.querySelector('[data-testid=source]').value})});
              return (await r.json()).nodes.find(n => n.label === 'x').grad;
            }"""
        )
        assert page.text_content('[data-label="x"] [data-field="grad"]') == f"{final:.4f}"
    finally:
        ctx.close()


# Every group box of a collapsed view: its title's on-screen size, and whether the box is in
# the stage and clear of the overview.
GROUPS = """() => {
  const vp = document.querySelector('#graph .viewport');
  const s = new DOMMatrix(getComputedStyle(vp).transform).a;
  const st = document.querySelector('.stage').getBoundingClientRect();
  const ov = document.querySelector('[data-testid=overview]');
  const o = ov && !ov.hidden ? ov.getBoundingClientRect() : null;
  return [...document.querySelectorAll('#graph [data-group]')].map((el) => {
    const r = el.getBoundingClientRect();
    const under = o && r.right > o.left && r.left < o.right && r.bottom > o.top && r.top < o.bottom;
    return { group: el.dataset.group, px: parseFloat(getComputedStyle(el.querySelector('text')).fontSize) * s,
             inside: r.left >= st.left - 1 && r.right <= st.right + 1 && r.top >= st.top - 1
                     && r.bottom <= st.bottom + 1 && !under };
  });
}"""


def test_a_16_16_1_neuron_view_opens_readable_on_its_loss_at_1024x700(browser, base_url) -> None:  # type: ignore[no-untyped-def]
    """16 boxes a column cannot be read whole on a laptop: the view opens at the readable scale on
    the loss, clear of the overview, which shows the rest (it used to open whole, its text ~4 px)."""
    ctx = browser.new_context(viewport={"width": 1024, "height": 700}, base_url=base_url)
    page = ctx.new_page()
    try:
        open_mlp(page)
        page.select_option('[name="dataset"]', "moons")
        page.click(tid("run"))
        page.wait_for_selector("#boundary:not([hidden])[data-points='100']", timeout=60_000)
        page.wait_for_selector('#graph [data-group="layer2/neuron16"]')
        groups = page.evaluate(GROUPS)
        assert len(groups) >= 33
        small = [(g["group"], round(g["px"], 1)) for g in groups if g["px"] < 10]
        assert small == [], f"neuron box titles below 10 px on screen: {small}"
        assert {"loss", "layer3/neuron1"} <= {g["group"] for g in groups if g["inside"]}
        assert page.locator(tid("overview")).is_visible()
    finally:
        ctx.close()
