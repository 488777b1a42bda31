"""Engine benchmark: build + forward + backward of the same graphs in gradwalk and micrograd.

    .venv/bin/python benchmarks/engine.py            # all graphs, best of 5 runs each
    .venv/bin/python benchmarks/engine.py --quick    # fewer repeats

Both engines run the very same builder code (micrograd's MLP shape: relu hidden
layers, linear output, sum of squared errors), so the figures compare engines, not
model code. micrograd is timed as users run it (cycle collector on) and with the
collector off; gradwalk with and without trace recording (gradwalk.trace). Memory is
tracemalloc's peak during a separate run, divided by the node count.
The machine is a shared 2-core VM: every figure is the best of several runs, and the
engines alternate so that noise hits both.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from micrograd.engine import Value as MgValue

from gradwalk import Value as GwValue
from gradwalk import fresh_tape
from gradwalk.trace import dumps, graph, record

sys.setrecursionlimit(1_000_000)  # micrograd's recursive topological sort needs it

Builder = Callable[[Any], Any]  # takes a Value class, returns the root


def sum_chain(n: int) -> Builder:
    xs = [random.uniform(-1, 1) for _ in range(n)]

    def build(V: Any) -> Any:
        total = V(0.0)
        for x in xs:
            total = total + V(x)
        return total

    return build


def mlp(nin: int, nouts: list[int], samples: int) -> Builder:
    rng = random.Random(1)
    sizes = [nin, *nouts]
    weights = [[[rng.uniform(-1, 1) for _ in range(sizes[k])] for _ in range(sizes[k + 1])] for k in range(len(nouts))]
    biases = [[rng.uniform(-1, 1) for _ in range(sizes[k + 1])] for k in range(len(nouts))]
    xs = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(samples)]
    ys = [rng.choice((-1.0, 1.0)) for _ in range(samples)]

    def build(V: Any) -> Any:
        params = [([[V(w) for w in row] for row in layer], [V(b) for b in bs]) for layer, bs in zip(weights, biases)]
        loss = V(0.0)
        for x, y in zip(xs, ys):
            act: list[Any] = list(x)
            for k, (rows, bs) in enumerate(params):
                last = k == len(params) - 1
                out = []
                for row, b in zip(rows, bs):
                    s = sum((w * a for w, a in zip(row, act)), b)  # micrograd's Neuron.__call__
                    out.append(s if last else s.relu())
                act = out
            for o in act:
                loss = loss + (o - y) ** 2
        return loss

    return build


def count_nodes_micrograd(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def run_micrograd(build: Builder, collector: bool) -> tuple[float, int]:
    gc.collect()
    (gc.enable if collector else gc.disable)()
    try:
        t0 = time.perf_counter()
        root = build(MgValue)
        root.backward()
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    nodes = count_nodes_micrograd(root)
    del root
    gc.collect()  # micrograd's graphs are cyclic garbage; clear them between runs
    return elapsed, nodes


def run_gradwalk(build: Builder, record_trace: bool) -> tuple[float, int]:
    gc.collect()
    with fresh_tape() as tape:
        t0 = time.perf_counter()
        root = build(GwValue)
        if record_trace:
            record(root)  # the backward sweep that the trace keeps (fresh grads, reached nodes)
        else:
            root.backward()
        elapsed = time.perf_counter() - t0
        nodes = len(tape)
    return elapsed, nodes


def graph_json_seconds(build: Builder) -> float:
    """Turning a recorded sweep into the Graph JSON bytes the API sends."""
    gc.collect()
    with fresh_tape():
        root = build(GwValue)
        rec = record(root)
        t0 = time.perf_counter()
        dumps(graph(root, rec))
        return time.perf_counter() - t0


def bytes_per_node(build: Builder) -> float:
    gc.collect()
    with fresh_tape() as tape:
        tracemalloc.start()
        root = build(GwValue)
        root.backward()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak / len(tape)


def best(fn: Callable[[], tuple[float, int]], repeats: int) -> tuple[float, int]:
    runs = [fn() for _ in range(repeats)]
    return min(t for t, _ in runs), runs[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 repeats instead of 5")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    random.seed(0)
    cases = [
        ("sum of 100,000 terms", sum_chain(100_000)),
        ("MLP(2,[16,16,1]) x 100 samples", mlp(2, [16, 16, 1], 100)),
        ("MLP(784,[64,10]) x 1 sample", mlp(784, [64, 10], 1)),
    ]
    print(f"python {sys.version.split()[0]}, best of {repeats} runs; ns per node for build + forward + backward\n")
    header = (
        f"{'graph':32} {'nodes':>8} {'mg gc on':>9} {'mg gc off':>9} {'gradwalk':>9} {'+trace':>7}"
        f" {'x gc on':>8} {'x gc off':>8} {'trace +%':>8} {'B/node':>7} {'JSON':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, build in cases:
        mg_on = mg_off = gw = gw_trace = float("inf")
        nodes = 0
        for _ in range(repeats):  # interleave engines so machine noise hits all of them
            mg_on = min(mg_on, run_micrograd(build, collector=True)[0])
            mg_off = min(mg_off, run_micrograd(build, collector=False)[0])
            t, nodes = run_gradwalk(build, record_trace=False)
            gw = min(gw, t)
            gw_trace = min(gw_trace, run_gradwalk(build, record_trace=True)[0])
        _, mg_nodes = run_micrograd(build, collector=False)
        per = lambda seconds, n: seconds / n * 1e9
        json_s = min(graph_json_seconds(build) for _ in range(2))
        print(
            f"{name:32} {nodes:>8,} {per(mg_on, mg_nodes):>9.0f} {per(mg_off, mg_nodes):>9.0f} "
            f"{per(gw, nodes):>9.0f} {per(gw_trace, nodes):>7.0f} "
            f"{per(mg_on, mg_nodes) / per(gw, nodes):>7.1f}x {per(mg_off, mg_nodes) / per(gw, nodes):>7.1f}x "
            f"{(gw_trace / gw - 1) * 100:>7.0f}% {bytes_per_node(build):>7.0f} {per(json_s, nodes):>6.0f}"
        )
    print(
        "\nns per node. mg = micrograd 0.1.0 from PyPI (gc on: as users run it; gc off: cycle collector disabled)."
        "\nx = micrograd ns/node / gradwalk ns/node. +trace = build + recorded backward sweep (gradwalk.trace.record)."
        "\nB/node = tracemalloc peak / nodes."
        "\nJSON = Graph JSON dict + orjson bytes from a recording (what the API adds on top)."
    )


if __name__ == "__main__":
    main()
