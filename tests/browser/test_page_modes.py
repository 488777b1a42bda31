"""The page beyond the desk: exported files, an embed in a sandboxed iframe, a projector, a
phone, and the shortcuts around the backward pass.

Sources arrive through the URL (as a shared link does), never typed.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from .test_page import L_SOURCE, field, load, tid

pytestmark = pytest.mark.browser


def export(page, fmt: str, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    page.click(tid("export"))
    with page.expect_download() as info:
        page.click(f'#export-menu [data-format="{fmt}"]')
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_a_big_graph_exports_what_its_canvas_paints(page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    load(page, "x = 0.5\ny = 0.1\n" + "y = (y*0.9 + x).tanh()\n" * 200)  # 1,002 nodes: painted on a canvas
    page.wait_for_selector("svg.big")
    text = export(page, "svg", tmp_path).read_text()
    assert "<image" in text and 'href="data:image/png;base64,' in text  # edges, op nodes, boxes out of the DOM
    png = export(page, "png", tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert page.console_errors == []


def test_export_downloads_this_step_as_svg_png_and_an_offline_html(page, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    load(page)
    for _ in range(10):  # to the backward step that finishes a.grad
        page.click(tid("step-next"))
    assert field(page, "a", "grad") == "6.0000"
    svg = export(page, "svg", tmp_path)
    text = svg.read_text()
    assert svg.name.endswith(".svg") and text.startswith("<svg") and 'data-label="a"' in text
    assert "6.0000" in text and "cur" in text  # the values and the step's highlight as on screen
    png = export(page, "png", tmp_path)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
    html = export(page, "html", tmp_path)
    # the HTML file plays the graph with every network request refused
    ctx = browser.new_context(viewport={"width": 1024, "height": 700}, offline=True)
    try:
        offline = ctx.new_page()
        requests: list[str] = []
        offline.on("request", lambda r: requests.append(r.url))
        offline.goto(html.as_uri())
        offline.wait_for_selector('[data-label="a"]')
        assert offline.inner_text(tid("step-label")) == page.inner_text(tid("step-label"))  # opens at that step
        assert field(offline, "a", "grad") == "6.0000"
        offline.click(tid("to-start"))
        assert field(offline, "a", "grad") == "0.0000"
        offline.click(tid("to-end"))
        assert field(offline, "L", "grad") == "1.0000" and "a.grad" in offline.inner_text(tid("summary"))
        assert [u for u in requests if not u.startswith("file:")] == []
    finally:
        ctx.close()


def test_embed_plays_in_a_sandboxed_iframe_without_same_origin(page, base_url) -> None:  # type: ignore[no-untyped-def]
    src = f"{base_url}/api/v1/export/expression.html?source={quote(L_SOURCE, safe='')}#embed=1"
    # a page on another site (as a course page is): `localhost` is not the site `127.0.0.1`; both are
    # loopback servers, so Chromium's local-network rule lets one embed the other
    embedding = f'<iframe sandbox="allow-scripts" src="{src}" width="800" height="450"></iframe>'.encode()

    class Course(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(embedding)

        def log_message(self, *args: object) -> None:
            pass

    course = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Course)
    threading.Thread(target=course.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://localhost:{course.server_address[1]}/")
        embedded_graph_plays(page)
    finally:
        course.shutdown()


def embedded_graph_plays(page) -> None:  # type: ignore[no-untyped-def]
    frame = page.frame_locator("iframe")
    frame.locator('[data-label="a"]').wait_for()
    assert frame.locator(".side").is_hidden() and frame.locator("header").is_hidden()
    frame.locator(tid("to-end")).click()
    assert frame.locator('[data-label="a"] [data-field="grad"]').inner_text() == "6.0000"


def test_presentation_mode_is_large_and_leaves_with_escape(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    page.click("#present")
    assert "present" in page.get_attribute("body", "class") and page.is_hidden(".side")
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.explain')).fontSize)") >= 24
    page.keyboard.press("ArrowRight")  # keys still step: from the end of forward to the seed
    assert page.inner_text(tid("step-label")).startswith("backward 0/")
    page.keyboard.press("Escape")
    assert "present" not in (page.get_attribute("body", "class") or "") and page.is_visible(".side")


def test_phone_has_no_sideways_scroll_and_the_graph_first(browser, base_url) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url, is_mobile=True)
    try:
        page = ctx.new_page()
        load(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        stage, run = page.locator(".stage").bounding_box(), page.locator(tid("run")).bounding_box()
        assert stage["y"] < 80 and stage["height"] >= 300 and run["y"] > stage["y"]
        for sel in ["#copy-link", "#theme", tid("run"), tid("step-next")]:
            box = page.locator(sel).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, sel
    finally:
        ctx.close()


def test_jump_to_backward_and_the_summary_of_every_leaf(page) -> None:  # type: ignore[no-untyped-def]
    load(page)
    page.click(tid("to-backward"))
    assert page.inner_text(tid("step-label")).startswith("backward 0/")
    assert field(page, "L", "grad") == "1.0000" and field(page, "a", "grad") == "0.0000"
    page.click(tid("to-end"))
    leaves = page.locator(f"{tid('summary')} .leaf").all_inner_texts()
    # largest |grad| first (ties in graph order): a 6, b -4, f 4, c -2
    assert leaves == ["a.grad = 6.0000", "b.grad = -4.0000", "f.grad = 4.0000", "c.grad = -2.0000"]
    page.locator(f"{tid('summary')} .leaf").nth(1).click()
    assert "b" in page.inner_text("#inspector") and "-4.0000 = -4.0" in page.inner_text("#inspector")  # every digit


def test_a_compound_name_is_bracketed_whole(page) -> None:  # type: ignore[no-untyped-def]
    from .test_page import explain_texts

    load(page, "x1 = 2.0\nw1 = -3.0\nx2 = 0.0\nw2 = 1.0\no = (x1*w1 + x2*w2 + 1).tanh()\n")
    text = explain_texts(page)
    assert "((x1 × w1) + (x2 × w2)).grad += " in text  # not "(x1 × w1) + (x2 × w2).grad"
    assert "(x1 × w1) + (x2 × w2).grad" not in text
