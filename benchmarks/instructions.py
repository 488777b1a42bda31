"""Engine cost in CPU instructions per node, counted by valgrind: the repeatable figure.

    .venv/bin/python benchmarks/instructions.py            # MLP(2,[16,16,1]) x 100 samples
    .venv/bin/python benchmarks/instructions.py --graph sum --graph big
    .venv/bin/python benchmarks/instructions.py --graph demo --gradwalk-only   # per step of the demo loop

Wall-clock figures on a shared VM move by 30 % and more from one run to the next;
instruction counts do not (the same interpreter, inputs and PYTHONHASHSEED give the
same count every time). Each engine builds the graph of benchmarks/engine.py and
runs backward once and then three times under `valgrind --tool=callgrind`; the
difference, halved twice over and divided by the node count, is the cost per node of
one build + forward + backward, with interpreter start-up and warm-up cancelled out.
The loops of benchmarks/engine.py (`demo`, `seeds`) run on the default tape, 3 steps
and then 15 (`seeds`: 30 and 150): the difference divided by the steps between is the
cost of one step, compactions included (one every third step of the demo loop).
Needs valgrind (Debian: apt-get install valgrind). Instructions are not time: a cache
miss or a page fault costs no instruction. Use it to compare changes, and
benchmarks/engine.py for the nanoseconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRAPHS = {"mlp": "MLP(2,[16,16,1]) x 100 samples", "sum": "sum of 20,000 terms", "big": "MLP(784,[64,10]) x 1 sample"}
ENGINES = ("gradwalk", "micrograd-gc-off", "micrograd-gc-on")
LOOPS = {"demo": ("demo loop, per step", 3, 15), "seeds": ("seeds loop, per step", 30, 150)}


def child(graph: str, engine: str, runs: int) -> None:
    """Runs inside valgrind: build + backward `runs` times, then print the node count."""
    import gc
    import random

    sys.path.insert(0, str(HERE))
    from engine import count_nodes_micrograd, mlp, sum_chain

    if graph in LOOPS:
        from engine import run_loop

        engine_name = {"micrograd-gc-on": "micrograd"}.get(engine, engine)
        run_loop(graph, engine_name, runs)
        print("nodes=1")
        return
    random.seed(0)
    builders = {
        "mlp": lambda: mlp(2, [16, 16, 1], 100),
        "sum": lambda: sum_chain(20_000),
        "big": lambda: mlp(784, [64, 10], 1),
    }
    build = builders[graph]()
    if engine == "gradwalk":
        from gradwalk import Value, fresh_tape

        for _ in range(runs):
            with fresh_tape() as tape:
                build(Value).backward()
                nodes = len(tape)
    else:
        from micrograd.engine import Value as MgValue

        sys.setrecursionlimit(1_000_000)
        if engine == "micrograd-gc-off":
            gc.disable()
        for _ in range(runs):
            root = build(MgValue)
            root.backward()
            nodes = count_nodes_micrograd(root)  # counted after the run; the same in both children
            del root
            gc.collect()
    print(f"nodes={nodes}")


def instructions(graph: str, engine: str, runs: int) -> tuple[int, int]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    args = [*cmd, "--child", graph, engine, str(runs)]
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    collected = re.search(r"Collected : ([\d,]+)", out.stderr)
    nodes = re.search(r"nodes=(\d+)", out.stdout)
    if not collected or not nodes:
        raise SystemExit(f"valgrind gave no count:\n{out.stderr[-2000:]}")
    return int(collected.group(1).replace(",", "")), int(nodes.group(1))


def per_node(graph: str, engine: str) -> tuple[float, int]:
    if graph in LOOPS:
        _, few, many = LOOPS[graph]
        return (instructions(graph, engine, many)[0] - instructions(graph, engine, few)[0]) / (many - few), 1
    one, nodes = instructions(graph, engine, 1)
    three, _ = instructions(graph, engine, 3)
    return (three - one) / 2 / nodes, nodes


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    graphs = sorted(GRAPHS | LOOPS)
    parser.add_argument("--graph", action="append", choices=graphs, help="graphs to count (default: mlp)")
    parser.add_argument("--gradwalk-only", action="store_true", help="skip micrograd (slow under valgrind)")
    parser.add_argument("--engine", action="append", choices=ENGINES, help="engines to count (default: all)")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    engines = ["gradwalk"] if args.gradwalk_only else args.engine or list(ENGINES)
    print(f"python {sys.version.split()[0]}; CPU instructions per node for build + forward + backward\n")
    header = f"{'graph':32} {'nodes':>8} " + " ".join(f"{e:>17}" for e in engines)
    print(header)
    print("-" * len(header))
    for graph in args.graph or ["mlp"]:
        counts = [per_node(graph, engine) for engine in engines]
        cells = " ".join(f"{c:>17,.0f}" for c, _ in counts)
        title = LOOPS[graph][0] if graph in LOOPS else GRAPHS[graph]
        print(f"{title:32} {'' if graph in LOOPS else f'{counts[0][1]:,}':>8} {cells}")
    print("\nEach engine is divided by its own node count, as in benchmarks/engine.py (loops: by the steps).")


if __name__ == "__main__":
    main()
