"""Layout time against graph size: Graphviz dot versus our layered layout.

    .venv/bin/python benchmarks/layout.py [--repeat 3] [--dot-limit 10]

Graphs are random expressions (binary and unary ops over a window of recent values,
with leaves mixed in), built with the engine and traced to Graph JSON. "nodes" are
Graph JSON nodes; "boxes" are drawn boxes (values + op nodes), what dot_max_nodes
counts. Each figure is the best of --repeat runs on a cold cache; dot is run while
it stays under --dot-limit seconds. "compute_layout s" is the layered path end to end
(views, cache key, JSON-ready dicts); "with defaults" is compute_layout with the
service's default settings (dot up to dot_max_nodes boxes, layered beyond): the
figure the acceptance bounds (1,000 nodes <= 0.5 s, 50,000 nodes <= 1 s).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from gradwalk.api.settings import Settings
from gradwalk.engine import Value
from gradwalk.layout import CACHE, compute_layout, drawn_boxes
from gradwalk.layout.dot import DotFailed, dot_binary, dot_layout
from gradwalk.layout.layered import layered_layout
from gradwalk.layout.views import full_drawing
from gradwalk.tape import fresh_tape
from gradwalk.trace import trace

SIZES = (100, 300, 1_000, 3_000, 10_000, 50_000)


def random_graph(n: int, seed: int = 0) -> dict:
    """Graph JSON of a random expression with about n nodes, all reaching the root.

    Each operation consumes operands from the last few unused values (so every value
    is used and edges stay local, as in real expressions) and now and then reuses a
    recent value (so the graph is a DAG, not a tree); leaves are mixed in.
    """
    rng = random.Random(seed)
    with fresh_tape():
        unused = [Value(rng.uniform(-2, 2), label=f"x{i}") for i in range(4)]
        recent = list(unused)
        made = len(unused)

        def take() -> Value:
            if rng.random() < 0.1:
                return recent[-1 - rng.randrange(min(len(recent), 20))]
            return unused.pop(len(unused) - 1 - rng.randrange(min(len(unused), 6)))

        while made < n - 1:
            r = rng.random()
            if r < 0.35 or len(unused) < 2:
                v = Value(rng.uniform(-2, 2), label=f"w{made}")
            elif r < 0.5:
                v = take().tanh()
            else:
                a, b = take(), take()
                v = a + b if r < 0.75 else a * b
            made += 1
            unused.append(v)
            recent.append(v)
        total = unused.pop()
        while unused:
            total = total + unused.pop()
        return trace(total)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dot-limit", type=float, default=10.0, help="stop running dot once a size takes longer")
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = ap.parse_args()
    has_dot = dot_binary() is not None
    print(f"dot binary: {dot_binary() or 'not installed'}")
    settings = Settings()
    print(f"defaults: dot_max_nodes={settings.dot_max_nodes} boxes, dot_timeout_seconds={settings.dot_timeout_seconds}")
    head = ("nodes", 7), ("boxes", 7), ("dot s", 8), ("layered s", 10), ("compute_layout s", 17), ("cache hit s", 12)
    print(" ".join(f"{name:>{w}}" for name, w in head), f"{'dot/layered':>12}", f"{'with defaults s':>16}")
    dot_ok = has_dot
    prev: tuple[float, int] | None = None  # last dot time and its boxes
    for n in args.sizes:
        g = random_graph(n)
        d = full_drawing(g)
        t_dot = None
        # dot grows faster than quadratically: skip sizes it would not finish within --dot-limit
        if dot_ok and prev is not None and prev[0] * (len(d) / prev[1]) ** 2 > args.dot_limit:
            dot_ok = False
        if dot_ok:
            try:
                t_dot = best(lambda d=d: dot_layout(d, 3 * args.dot_limit), 1 if n >= 3000 else args.repeat)
                prev = (t_dot, len(d))
            except DotFailed:
                print(f"  (dot: over {3 * args.dot_limit:g} s at {len(g['nodes'])} nodes)")
                dot_ok = False
        t_lay = best(lambda d=d: layered_layout(d), args.repeat)

        def cold(g: dict = g) -> None:
            CACHE.clear()
            compute_layout(g, dot_max_nodes=0, dot_timeout=10.0)

        t_full = best(cold, args.repeat)

        engines: list[str] = []

        def cold_default(g: dict = g, engines: list[str] = engines) -> None:
            CACHE.clear()
            lay = compute_layout(g, dot_max_nodes=settings.dot_max_nodes, dot_timeout=settings.dot_timeout_seconds)
            engines.append(lay["engine"])

        t_default = best(cold_default, args.repeat)
        t_hit = best(lambda g=g: compute_layout(g, dot_max_nodes=0, dot_timeout=10.0), args.repeat)
        dot_s = f"{t_dot:8.3f}" if t_dot is not None else f"{'-':>8}"
        ratio = f"{t_dot / t_lay:12.1f}" if t_dot is not None else f"{'-':>12}"
        figures = f"{t_lay:10.3f} {t_full:17.3f} {t_hit:12.3f} {ratio} {t_default:16.3f} ({engines[-1]})"
        print(f"{len(g['nodes']):>7} {drawn_boxes(g):>7} {dot_s} {figures}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
