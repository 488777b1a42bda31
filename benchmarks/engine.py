"""Engine benchmark: the users' training loops, and single graphs, in gradwalk and micrograd.

    .venv/bin/python benchmarks/engine.py            # loops (2 interleaved rounds), then graphs
    .venv/bin/python benchmarks/engine.py --quick    # 1 round, fewer repeats
    .venv/bin/python benchmarks/engine.py --loops    # the loops only (--graphs: the graphs only)

Loops: micrograd's demo loop as its notebook writes it (MLP(2, [16, 16, 1]) on 100
moons samples, max-margin loss + L2, the graph rebuilt every step, zero_grad,
backward, p.data -= lr * p.grad) and the seeds' loop (MLP(3, [4, 4, 1]) on 4
samples, squared error, p.grad = 0.0, p.data += -0.1 * p.grad), on gradwalk's
DEFAULT tape, never inside fresh_tape(). Each library runs the loop with its own
`nn` (gradwalk's MLP told micrograd's activations, relu then linear, and given
micrograd's initial weights), so both train the same network. micrograd runs with
its cycle collector on (as shipped) and off; the engines alternate round by round.
Per-step times show whether a step gets dearer as the tape's history grows; RSS
over 200 steps whether memory stays flat. Loop times are this process's CPU time
(time.process_time), which a busy host's other processes do not inflate the way they
do wall time (--wall for wall time).

Graphs: both engines run the very same builder code (micrograd's MLP shape: relu
hidden layers, linear output, sum of squared errors) inside fresh_tape(), as the
service builds them. gradwalk is timed with and without trace recording
(gradwalk.trace). Memory is tracemalloc's peak during a separate run, divided by
the node count.

The machine is a shared 2-core VM: every figure is the best of several runs, and the
engines alternate so that noise hits both.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import micrograd.nn
from micrograd.engine import Value as MgValue

import gradwalk.nn
from gradwalk import Value as GwValue
from gradwalk import fresh_tape
from gradwalk.datasets import load
from gradwalk.tape import current_tape
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


# ------------------------------------------------------------------ the users' loops


def models(nin: int, nouts: list[int]) -> dict[str, Callable[[], Any]]:
    """Model factories per engine: micrograd's own nn, and gradwalk's with the same weights."""

    def mg() -> Any:
        random.seed(1337)  # micrograd's demo notebook
        return micrograd.nn.MLP(nin, nouts)

    weights = [p.data for p in mg().parameters()]

    def gw() -> Any:
        return gradwalk.nn.MLP(nin, nouts, "relu", "linear", initial_parameters=weights)

    return {"micrograd": mg, "gradwalk": gw}


MOONS = load("moons")
CLOCK = time.process_time  # --wall: time.perf_counter


def demo_loop(V: Any, model: Any, steps: int, on_step: Callable[[int], None] | None = None) -> list[float]:
    """micrograd's demo.ipynb training loop, verbatim but for the dataset (gradwalk's moons). Seconds per step."""
    X, y = MOONS.inputs, MOONS.labels

    def loss() -> tuple[Any, float]:
        inputs = [list(map(V, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    times = []
    for k in range(steps):
        t0 = CLOCK()
        total_loss, acc = loss()  # noqa: RUF059 (the notebook's line)
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        times.append(CLOCK() - t0)
        if on_step:
            on_step(k)
    demo_loop.last_loss = total_loss.data  # type: ignore[attr-defined]
    return times


SEEDS = load("seeds")


def seeds_loop(V: Any, model: Any, steps: int, on_step: Callable[[int], None] | None = None) -> list[float]:
    """The lecture's (and the seeds') loop on MLP(3, [4, 4, 1]). Seconds per step."""
    xs, ys = SEEDS.inputs, SEEDS.labels
    times = []
    for k in range(steps):
        t0 = CLOCK()
        ypred = [model(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        for p in model.parameters():
            p.data += -0.1 * p.grad
        times.append(CLOCK() - t0)
        if on_step:
            on_step(k)
    seeds_loop.last_loss = loss.data  # type: ignore[attr-defined]
    return times


def ends(ms: list[float]) -> tuple[float, float]:
    """The median step of the first and of the last fifth: does a step get dearer as history grows?"""
    fifth = max(1, len(ms) // 5)
    return statistics.median(ms[:fifth]), statistics.median(ms[-fifth:])


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


LOOPS = {"demo": demo_loop, "seeds": seeds_loop}


def run_loop(name: str, engine: str, steps: int) -> tuple[list[float], float]:
    """One run of a loop: per-step seconds and the final loss. micrograd's garbage is cleared after."""
    loop = LOOPS[name]
    nin, nouts = (2, [16, 16, 1]) if name == "demo" else (3, [4, 4, 1])
    lib = "gradwalk" if engine == "gradwalk" else "micrograd"
    model = models(nin, nouts)[lib]()
    V = GwValue if lib == "gradwalk" else MgValue
    gc.collect()
    if engine == "micrograd-gc-off":
        gc.disable()
    try:
        times = loop(V, model, steps)
    finally:
        gc.enable()
    final = loop.last_loss  # type: ignore[attr-defined]
    del model
    gc.collect()
    return times, final


ENGINES = ("micrograd", "micrograd-gc-off", "gradwalk")
TITLES = {"demo": "micrograd's demo loop, MLP(2,[16,16,1]) x 100 moons", "seeds": "seeds' loop, MLP(3,[4,4,1]) x 4"}


def loops_report(rounds: int, demo_steps: int, seeds_steps: int, rss_steps: int) -> None:
    version = sys.version.split()[0]
    print(f"python {version}; training loops on gradwalk's default tape, {rounds} interleaved round(s)\n")
    for name, steps in (("demo", demo_steps), ("seeds", seeds_steps)):
        runs: dict[str, list[list[float]]] = {e: [] for e in ENGINES}
        finals: dict[str, float] = {}
        for _ in range(rounds):
            for engine in ENGINES:
                times, finals[engine] = run_loop(name, engine, steps)
                runs[engine].append(times)
        title = TITLES[name]
        clock = "CPU" if CLOCK is time.process_time else "wall"
        print(f"{title}, {steps} steps ({clock} ms per step; best round by total)")
        header = (
            f"{'engine':18} {'total ms':>9} {'first':>8} {'last':>8} {'median':>8} {'max':>8}"
            f" {'early':>8} {'late':>8} {'late/early':>10} {'final loss':>19}"
        )
        print(header)
        print("-" * len(header))
        best_total = {}
        for engine in ENGINES:
            times = min(runs[engine], key=sum)
            best_total[engine] = sum(times)
            ms = [t * 1e3 for t in times]
            early, late = ends(ms)
            print(
                f"{engine:18} {sum(ms):>9.0f} {ms[0]:>8.2f} {ms[-1]:>8.2f} {statistics.median(ms):>8.2f}"
                f" {max(ms):>8.2f} {early:>8.2f} {late:>8.2f} {late / early:>10.2f} {finals[engine]:>19.15f}"
            )
        gw = best_total["gradwalk"]
        print(
            f"gradwalk is {best_total['micrograd'] / gw:.1f}x micrograd as shipped,"
            f" {best_total['micrograd-gc-off'] / gw:.1f}x micrograd with its collector off"
            "\n(early, late: median ms of the first and the last fifth of the steps; max shows the steps"
            " where gradwalk's default tape compacts, about one in eight)\n"
        )
    tape = current_tape()
    samples: list[tuple[float, int]] = []  # (RSS MB, tape nodes) after each step

    def on_step(k: int) -> None:
        samples.append((rss_mb(), len(tape)))

    model = models(2, [16, 16, 1])["gradwalk"]()
    times = demo_loop(GwValue, model, rss_steps, on_step)
    quarter = max(1, rss_steps // 4)
    print(f"gradwalk, demo loop for {rss_steps} steps on the default tape: RSS and the tape's node count")
    for name, part in (("first", samples[:quarter]), ("last", samples[-quarter:])):
        mb = [m for m, _ in part]
        nodes = [n for _, n in part]
        print(
            f"  {name} {quarter} steps: RSS {min(mb):.0f}-{max(mb):.0f} MB,"
            f" tape {min(nodes):,}-{max(nodes):,} nodes"
        )
    ms = [t * 1e3 for t in times]
    tenth = max(1, len(ms) // 10)
    print(
        f"  ms per step: first {ms[0]:.1f}, first tenth median {statistics.median(ms[:tenth]):.1f},"
        f" last tenth median {statistics.median(ms[-tenth:]):.1f}, last {ms[-1]:.1f}\n"
    )

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of loops, 2 repeats of graphs instead of 5")
    parser.add_argument("--loops", action="store_true", help="the training loops only")
    parser.add_argument("--graphs", action="store_true", help="the single graphs only")
    parser.add_argument("--steps", type=int, default=20, help="steps of the demo loop per run (default 20)")
    parser.add_argument("--wall", action="store_true", help="loops in wall time, not CPU time")
    args = parser.parse_args()
    if args.wall:
        global CLOCK
        CLOCK = time.perf_counter
    if not args.graphs:
        loops_report(1 if args.quick else 2, args.steps, 200, 200)
    if not args.loops:
        graphs_report(2 if args.quick else 5)


def graphs_report(repeats: int) -> None:
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
