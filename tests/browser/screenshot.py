"""Take docs/screenshot.png of the real page: the lecture's L graph, stepped to the backward
step that finishes a.grad, explain panel showing the chain rule.

    .venv/bin/python -m tests.browser.screenshot [--width 1600 --height 900] [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from .conftest import ROOT, launch, start_server, stop_server

L_SOURCE = "a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d * f"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--theme", choices=["light", "dark"], default="light")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = ap.parse_args()
    proc, base = start_server()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
            page.add_init_script(f"localStorage.setItem('gradwalk-theme', '{args.theme}')")
            page.goto(base + "/")
            page.wait_for_selector('[data-label="a"]')
            page.fill('[data-testid="source"]', L_SOURCE)
            page.click('[data-testid="run"]')
            page.wait_for_selector('[data-label="L"]')
            grad = '[data-label="a"] [data-field="grad"]'
            for _ in range(20):
                if page.inner_text(grad) == "6.0000":
                    break
                page.click('[data-testid="step-next"]')
            if page.inner_text(grad) != "6.0000":
                raise SystemExit("a.grad never reached 6.0000: the page is broken, no screenshot taken")
            page.mouse.move(0, args.height - 1)  # no hover effects in the picture
            page.wait_for_timeout(300)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        stop_server(proc)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
