"""MLP benchmark: seed 003's 784-64-10 request end to end, and training moons, before and after numpy.

    .venv/bin/python benchmarks/mlp.py              # best of 5
    .venv/bin/python benchmarks/mlp.py --quick      # best of 2
    .venv/bin/python benchmarks/mlp.py --inprocess  # the request through TestClient instead of uvicorn

1. POST /api/v1/mlp with MLP(784, [64, 10]) (relu, linear logits, softmax cross-entropy,
   He init) on one sample, steps 0: parse, build (~153,000 nodes, 50,890 parameters),
   forward, backward, trace, JSON, bytes received by an HTTP client from a uvicorn
   subprocess. Beside it, micrograd building and differentiating the same network on the
   same sample (micrograd has no log, so its loss is the squared error against the
   one-hot target: the same network graph, a slightly smaller loss graph).
2. Training micrograd's demo, the moons preset's suggestion: full-batch SGD on
   MLP(2, [16, 16, 1]) (relu, linear score, hinge + 1e-4 L2, lr 1.0 -> 0.1) on 100
   samples for 100 steps. Before: the scalar engine (`scalar_sgd`, one Value per
   multiply, what every step cost until the vectorised path). After: `fit`, the numpy
   path train() uses. Then the whole request in process (train, trace, JSON) and how long
   after the start the first progress callback comes; beside them, micrograd doing 10 of
   the same steps (forward, zero_grad, backward, update).
3. Training the digits preset's suggestion (seed 003's classifier in small, mini-batches).
The machine is shared: every figure is the best of several runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from micrograd.engine import Value as MgValue
from micrograd.nn import MLP as MgMLP

from gradwalk import datasets
from gradwalk.nn import initial_values
from gradwalk.pipeline import plan
from gradwalk.trace import dumps
from gradwalk.training import MLPSpec, fit, resolve, scalar_sgd

sys.setrecursionlimit(1_000_000)  # micrograd's recursive topological sort
ROOT = Path(__file__).resolve().parents[1]


def best(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


# ------------------------------------------------------------------ 784-64-10


def big_request() -> dict[str, Any]:
    rng = random.Random(3)
    return {
        "nin": 784,
        "layers": [64, 10],
        "activation": "relu",
        "output_activation": "linear",
        "loss": "cross_entropy",
        "init": "he",
        "seed": 0,
        "steps": 0,
        "inputs": [[rng.random() for _ in range(784)]],
        "targets": [3],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def via_uvicorn(body: bytes, repeats: int) -> tuple[float, int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gradwalk.api.main:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        size = 0

        def once() -> None:
            nonlocal size
            req = urllib.request.Request(url + "/api/v1/mlp", data=body, headers={"content-type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as r:
                assert r.status == 200
                size = len(r.read())

        once()  # warm-up: imports, first allocation of the big lists
        return best(once, repeats), size
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def via_testclient(body: bytes, repeats: int) -> tuple[float, int]:
    from fastapi.testclient import TestClient

    from gradwalk.api.main import app

    size = 0
    with TestClient(app) as client:

        def once() -> None:
            nonlocal size
            r = client.post("/api/v1/mlp", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 200
            size = len(r.content)

        once()
        return best(once, repeats), size


def micrograd_784(req: dict[str, Any]) -> Callable[[], None]:
    params = initial_values(784, [64, 10], "he", 0)
    x, target = req["inputs"][0], req["targets"][0]

    def run() -> None:
        net = MgMLP(784, [64, 10])
        for p, v in zip(net.parameters(), params):
            p.data = v
        out = net(x)
        loss = sum((o - (1.0 if k == target else 0.0)) ** 2 for k, o in enumerate(out))
        loss.backward()

    return run


# ------------------------------------------------------------------ SGD


def sgd_spec(steps: int) -> MLPSpec:
    suggested = {**datasets.PRESETS["moons"].suggested, "steps": steps}
    return MLPSpec(dataset="moons", **suggested)


def micrograd_sgd(steps: int) -> Callable[[], None]:
    ds = datasets.load("moons", 1)
    start = resolve(sgd_spec(steps)).parameters

    def run() -> None:
        net = MgMLP(2, [16, 16, 1])
        params = net.parameters()
        for p, v in zip(params, start):
            p.data = v
        for k in range(steps):
            scores = [net(x) for x in ds.inputs]
            losses = [(1 + -y * s).relu() for y, s in zip(ds.labels, scores)]
            loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
            net.zero_grad()
            loss.backward()
            lr = 1.0 - 0.9 * k / 100  # demo.ipynb's schedule
            for p in params:
                p.data -= lr * p.grad
        assert isinstance(loss, MgValue)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--inprocess", action="store_true", help="TestClient instead of a uvicorn subprocess")
    args = ap.parse_args()
    repeats = 2 if args.quick else 5

    req = big_request()
    body = json.dumps(req).encode()
    how = "TestClient" if args.inprocess else "uvicorn + urllib"
    t_req, size = (via_testclient if args.inprocess else via_uvicorn)(body, repeats)
    t_mg = best(micrograd_784(req), max(2, repeats // 2))
    print(f"784-64-10, one sample, POST /api/v1/mlp end to end ({how}): {t_req:.3f} s, {size / 1e6:.1f} MB of JSON")
    print(f"  micrograd building + differentiating the same network:      {t_mg:.3f} s")
    print(f"  ratio gradwalk request / micrograd build+backward:            {t_req / t_mg:.2f}")

    steps = 100
    problem = resolve(sgd_spec(steps))
    t_before = best(lambda: scalar_sgd(problem), 1 if args.quick else 2)
    t_after = best(lambda: fit(problem), repeats)
    job = plan(sgd_spec(steps))
    t_request = best(lambda: dumps(job.run()), repeats)
    first: list[float] = []

    def time_to_first_progress() -> None:
        t0 = time.perf_counter()
        first.clear()
        fit(problem, on_progress=lambda k, _: first.append(time.perf_counter() - t0) if k == 0 else None)

    best(time_to_first_progress, repeats)
    mg_steps = 5 if args.quick else 10
    t_mgs = best(micrograd_sgd(mg_steps), max(2, repeats // 2))
    print(f"Training moons' suggestion, MLP(2, [16, 16, 1]), 100 samples, hinge + L2, {steps} steps:")
    print(f"  before, the scalar engine (scalar_sgd): {t_before:8.3f} s")
    print(f"  after, numpy (fit):                     {t_after:8.3f} s   ({t_before / t_after:,.0f}x)")
    print(f"  the whole request in process (train, graph, trace, JSON): {t_request:.3f} s")
    print(f"  first progress callback after:          {first[0] * 1000:8.2f} ms")
    print(f"  micrograd, {mg_steps} of the same steps:        {t_mgs:8.3f} s   ({mg_steps / t_mgs:.2f} steps/s)")

    digits = datasets.PRESETS["digits"].suggested
    dp = resolve(MLPSpec(dataset="digits", **digits))
    t_digits = best(lambda: fit(dp), repeats)
    print(
        f"digits' suggestion, MLP(64, {digits['layers']}), {len(dp.inputs)} samples + {len(dp.holdout_inputs)} held"
        f" out, batches of {digits['batch_size']}, {digits['steps']} steps (fit): {t_digits:.3f} s"
    )


if __name__ == "__main__":
    main()
