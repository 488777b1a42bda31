"""Take the README's pictures of the real page.

lecture (docs/screenshot.png): the lecture's L graph, stepped to the backward step that
  finishes a.grad, explain panel showing the chain rule;
python (docs/python.png): seed 002's buggy cell pasted as a program, stepped to the `*`
  node's closure, the inspector open on `a` with its failed check.

  .venv/bin/python -m tests.browser.screenshot [--scene python] [--width 1600 --height 900] [--out F]
  (--scene studio --step K: the MLP studio with its slider at training step K)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from gradwalk.examples import EXAMPLES, PROGRAM_EXAMPLES

from .conftest import ROOT, launch, start_server, stop_server

L_SOURCE = "a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d * f"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--theme", choices=["light", "dark"], default="light")
    ap.add_argument("--scene", choices=list(SCENES), default="lecture")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--step", type=int, default=None, help="studio: the slider's training step (default: the last)")
    args = ap.parse_args()
    args.out = args.out or ROOT / "docs" / ("screenshot.png" if args.scene == "lecture" else f"{args.scene}.png")
    if args.scene == "phone":
        args.width, args.height = 390, 844
    proc, base = start_server()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": args.width, "height": args.height}, device_scale_factor=1)
            page.add_init_script(f"localStorage.setItem('gradwalk-theme', '{args.theme}')")
            page.goto(base + "/")
            page.wait_for_selector('[data-label="a"]')  # the app answers (the notebook scene needs none)
            if args.scene == "studio":
                studio_scene(page, args.step)
            else:
                SCENES[args.scene](page)
            page.mouse.move(0, args.height - 1)  # no hover effects in the picture
            page.wait_for_timeout(300)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    finally:
        stop_server(proc)
    print(f"wrote {args.out}")


def python_scene(page) -> None:  # type: ignore[no-untyped-def]
    source = next(e.source for e in PROGRAM_EXAMPLES if e.id == "find-the-bug")
    page.fill('[data-testid="source"]', source)
    page.click('[data-testid="run"]')
    page.wait_for_selector('[data-check="fail"]')
    page.click('[data-testid="to-end"]')
    box = page.locator('[data-label="a"]').bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#inspector:not([hidden])")
    if "never attached" not in page.inner_text("#inspector"):
        raise SystemExit("the failed check of a is not in the inspector: no screenshot taken")


def lecture_scene(page) -> None:  # type: ignore[no-untyped-def]
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



def chain_scene(page) -> None:  # type: ignore[no-untyped-def]
    page.fill('[data-testid="source"]', "x = 0.5\ny = 0.1\n" + "y = (y*0.9 + x).tanh()\n" * 500)
    page.click('[data-testid="run"]')
    page.wait_for_function("() => document.querySelectorAll('[data-node-id]').length > 1000", timeout=60_000)
    for _ in range(5):
        page.click('[data-testid="step-next"]')


def present_scene(page) -> None:  # type: ignore[no-untyped-def]
    source = next(e.source for e in EXAMPLES if e.id == "neuron-tanh")
    page.fill('[data-testid="source"]', source)
    page.click('[data-testid="run"]')
    page.wait_for_selector('[data-label="x1*w1 + x2*w2"]')
    page.click("#present")
    for _ in range(4):
        page.keyboard.press("ArrowRight")


def phone_scene(page) -> None:  # type: ignore[no-untyped-def]
    lecture_scene(page)
    page.evaluate("scrollTo(0, 0)")


NOTEBOOK_CODE = """import gradwalk
from gradwalk import Value
x1, w1 = Value(2.0, label='x1'), Value(-3.0, label='w1')
x2, w2 = Value(0.0, label='x2'), Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
n = x1*w1 + x2*w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
gradwalk.show(o)"""


def notebook_scene(page) -> None:  # type: ignore[no-untyped-def]
    import html

    scope: dict[str, object] = {}
    exec(NOTEBOOK_CODE.replace("gradwalk.show(o)", "cell = gradwalk.show(o)"), scope)  # the scene's own code
    cell = scope["cell"]._repr_html_()  # type: ignore[attr-defined]
    page.goto("about:blank")  # a notebook's own origin: the app's CSP (no inline script) would bind the cell
    page.set_content(
        "<body style='font: 15px system-ui; margin: 24px; background: #fff'>"
        "<pre style='background: #f5f5f5; padding: 10px; border-radius: 6px'>"
        f"In [1]: {html.escape(NOTEBOOK_CODE)}</pre>"
        f"{cell}</body>"
    )
    frame = page.frame_locator("iframe")
    frame.locator('[data-label="o"]').wait_for()
    for _ in range(3):
        frame.locator('[data-testid="step-next"]').click()


def predict_scene(page) -> None:  # type: ignore[no-untyped-def]
    page.fill('[data-testid="source"]', L_SOURCE)
    page.click('[data-testid="run"]')
    page.wait_for_selector('[data-label="L"]')
    page.check('[data-testid="predict"]')
    page.click('[data-testid="to-backward"]')
    for _ in range(3):
        page.click('[data-testid="step-next"]')
    page.fill('[data-testid="predict-answer"]', "-3")
    page.click('[data-testid="predict-check"]')
    if "forgot" not in page.inner_text('[data-testid="predict-feedback"]'):
        raise SystemExit("predict mode gave no diagnosis: no screenshot taken")


def studio_scene(page, step: int | None = None) -> None:  # type: ignore[no-untyped-def]
    page.click('[data-testid="mode-mlp"]')
    page.wait_for_selector("#train-panel:not([hidden]) .chart polyline")
    page.select_option('[name="dataset"]', "moons")
    page.click('[data-testid="run"]')
    page.wait_for_selector("#boundary:not([hidden])[data-points='100']", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)
    if step is not None:  # every step of moons' 100 is recorded: the slider's index is the step
        page.fill('[name="train-step"]', str(step))
        shown = f"() => document.querySelector('#train-panel').dataset.step === '{step}'"
        page.wait_for_function(shown, timeout=60_000)
        page.wait_for_function("() => !document.querySelector('[data-testid=run]').disabled", timeout=60_000)
    page.evaluate("document.querySelector('.side').scrollTop = document.querySelector('#train-panel').offsetTop - 60")


SCENES = {
    "studio": studio_scene,
    "lecture": lecture_scene,
    "notebook": notebook_scene,
    "predict": predict_scene,
    "python": python_scene,
    "chain": chain_scene,
    "present": present_scene,
    "phone": phone_scene,
}


if __name__ == "__main__":
    main()
