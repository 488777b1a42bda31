"""What running a Python program in the sandbox costs (POST /api/v1/python).

    PYTHONPATH=backend .venv/bin/python benchmarks/python.py [--runs 20]

Prints, best and median of --runs:
- sandbox overhead: the lecture's 7-node L program through gradwalk.programs (fresh worker,
  prelude, program, extraction, Graph JSON), and a bare `1` fed to a fresh worker;
- the lecture's training loop (seed 000's Value, Neuron, Layer, MLP(3, [4, 4, 1]), 20 steps)
  end to end over HTTP (TestClient, the app's lifespan running the pool);
- the same training loop under CPython in this process, and the ratio;
- what the page sends, over loopback to a real uvicorn (a second process): the lecture's L
  program and the examples menu's lecture training loop, each with `layout: true`, against
  the issue's targets (small program p50 <= 100 ms, the training loop <= 1 s end to end).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from gradwalk.api.main import app  # noqa: E402
from gradwalk.examples import PROGRAM_EXAMPLES  # noqa: E402
from gradwalk.programs import Program, SandboxLimits  # noqa: E402
from gradwalk.programs.run import respond  # noqa: E402
from gradwalk.programs.sandbox import POOL  # noqa: E402
from tests.browser.conftest import start_server, stop_server  # noqa: E402
from tests.test_python_programs import LECTURE, seed000  # noqa: E402

TRAINING = seed000("indent", "numbers", "typo")


def timed(fn: object, runs: int) -> tuple[float, float]:
    assert callable(fn)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    limits = SandboxLimits()

    def bare() -> None:
        with POOL.get().checkout() as s:
            s.feed_run("1")

    def lecture() -> None:
        respond(Program(LECTURE), limits)

    with TestClient(app) as client:
        time.sleep(0.5)  # the pool's first worker warms up

        def http() -> None:
            r = client.post("/api/v1/python", json={"source": TRAINING, "output": "loss"})
            assert r.status_code == 200 and len(r.json()["stdout"]) == 20, r.text

        b = timed(bare, runs)
        lec = timed(lecture, runs)
        h = timed(http, runs)

    def cpython() -> None:
        state = random.getstate()
        with redirect_stdout(io.StringIO()):
            exec(TRAINING, {})  # the benchmark's own fixture, trusted
        random.setstate(state)

    c = timed(cpython, runs)
    print(f"fresh worker + feed '1':                 best {b[0] * 1e3:7.2f} ms   median {b[1] * 1e3:7.2f} ms")
    print(f"lecture L (7 nodes), gradwalk.programs:  best {lec[0] * 1e3:7.2f} ms   median {lec[1] * 1e3:7.2f} ms")
    print(f"seed 000 training loop, HTTP:            best {h[0] * 1e3:7.2f} ms   median {h[1] * 1e3:7.2f} ms")
    print(f"seed 000 training loop, CPython:         best {c[0] * 1e3:7.2f} ms   median {c[1] * 1e3:7.2f} ms")
    print(f"ratio sandbox over HTTP / CPython:       best {h[0] / c[0]:7.1f} x    median {h[1] / c[1]:7.1f} x")
    page_requests(runs)


def page_requests(runs: int) -> None:
    """The requests the page sends when a program is run, against a real server."""
    loop = next(e.source for e in PROGRAM_EXAMPLES if e.id == "lecture-training-loop")
    proc, base = start_server()
    try:
        with httpx.Client(base_url=base, timeout=60) as client:

            def post(source: str) -> None:
                r = client.post("/api/v1/python", json={"source": source, "layout": True})
                assert r.status_code == 200, r.text

            post(LECTURE)  # warm: the pool's first worker, the layout cache's imports
            small = timed(lambda: post(LECTURE), runs)
            big = timed(lambda: post(loop), runs)
    finally:
        stop_server(proc)
    print(
        f"page: lecture L with layout, uvicorn:    best {small[0] * 1e3:7.2f} ms   median {small[1] * 1e3:7.2f} ms"
        f"   (target p50 <= 100 ms)"
    )
    print(
        f"page: lecture training loop (398 nodes): best {big[0] * 1e3:7.2f} ms   median {big[1] * 1e3:7.2f} ms"
        f"   (target <= 1000 ms)"
    )


if __name__ == "__main__":
    main()
