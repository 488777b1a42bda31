"""The engine in a training loop on a long-lived tape, as users run micrograd's demo: the
same grads as on a fresh tape, a backward as long as its graph (not the tape's history),
a bounded tape, and the neuron groups the MLP views collapse by. Counts, never timings."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gradwalk import Value, fresh_tape
from gradwalk.nn import MLP
from gradwalk.tape import COMPACT_GROWTH, Tape, current_tape
from gradwalk.trace import graph

T = TypeVar("T")

X = [[0.1 * k - 1.0, (0.37 * k) % 1.0 - 0.5] for k in range(20)]
Y = [1.0 if k % 3 else -1.0 for k in range(20)]


def on_a_new_thread(fn: Callable[[], T]) -> T:
    """Run fn on a thread of its own: its default tape starts empty, whatever ran before."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:  # handed back to the test
            out.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]  # type: ignore[no-any-return]


def demo_loss(model: MLP) -> Value:
    """micrograd's demo loss: max-margin over the samples plus L2 on the parameters."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    return data_loss + 1e-4 * sum(p * p for p in model.parameters())


def new_model(values: list[float] | None = None) -> MLP:
    return MLP(2, [8, 8, 1], "relu", "linear", seed=0, initial_parameters=values)


def train_on_fresh_tapes(steps: int) -> list[tuple[float, list[float]]]:
    """The reference: every step on a tape of its own, the model rebuilt from its numbers."""
    values = [p.data for p in new_model().parameters()]
    out = []
    for k in range(steps):
        with fresh_tape():
            model = new_model(values)
            loss = demo_loss(model)
            loss.backward()
            grads = [p.grad for p in model.parameters()]
            out.append((loss.data, grads))
            values = [v - (1.0 - 0.009 * k) * g for v, g in zip(values, grads)]
    return out


def train_on_the_default_tape(steps: int, compact_min: int, keep_every: int = 0) -> dict[str, Any]:
    """micrograd's demo loop on the thread's default tape, with the tape's counts after each step."""
    tape = current_tape()
    tape.compact_min = tape.compact_at = compact_min
    model = new_model()
    out: dict[str, Any] = {"steps": [], "lengths": [], "groups": [], "kept": []}
    for k in range(steps):
        loss = demo_loss(model)
        model.zero_grad()
        loss.backward()
        out["steps"].append((loss.data, [p.grad for p in model.parameters()]))
        out["lengths"].append(len(tape))
        out["groups"].append(len(tape.groups))
        if keep_every and k % keep_every == 0:
            out["kept"].append((loss, list(out["steps"][-1][1])))  # an old graph kept alive
        for p in model.parameters():
            p.data -= (1.0 - 0.009 * k) * p.grad
    out["model"], out["tape"], out["last"] = model, tape, loss
    return out


def nodes_per_step() -> int:
    with fresh_tape() as tape:
        model = new_model()
        start = len(tape)
        demo_loss(model)
        return len(tape) - start


def test_backward_on_the_default_tape_after_many_graphs_gives_the_fresh_tapes_grads_bit_for_bit() -> None:
    reference = train_on_fresh_tapes(40)
    # a small threshold: the tape compacts every few steps, in the middle of the loop's life
    run = on_a_new_thread(lambda: train_on_the_default_tape(40, compact_min=4 * nodes_per_step()))
    assert run["steps"] == reference  # losses and every parameter's grad, as floats: bit for bit
    assert min(run["lengths"]) < max(run["lengths"])  # it did compact


def test_without_compaction_too() -> None:
    reference = train_on_fresh_tapes(15)
    run = on_a_new_thread(lambda: train_on_the_default_tape(15, compact_min=1 << 30))
    assert run["steps"] == reference
    assert run["lengths"][-1] > 14 * nodes_per_step()  # every dead graph still on the tape


def test_the_sweep_visits_the_graph_it_differentiates_not_the_dead_graphs_below_it() -> None:
    def work() -> tuple[int, int, int]:
        run = train_on_the_default_tape(30, compact_min=1 << 30)
        tape: Tape = run["tape"]
        start = len(tape)
        root = demo_loss(run["model"])
        reached = tape._sweep(root._i, None)
        return start, reached.stop, sum(j < reached.stop for j in reached.low_leaves)

    start, stop, low_leaves = on_a_new_thread(work)
    assert start > 29 * nodes_per_step()  # 29 dead graphs (and the parameters) below the new one
    assert stop >= start - 1  # the walk ended where the new graph begins
    assert low_leaves == len(new_model().parameters())  # below it, only the parameters were reached


def test_the_tape_stays_bounded_over_many_steps() -> None:
    per_step = nodes_per_step()
    run = on_a_new_thread(lambda: train_on_the_default_tape(300, compact_min=2 * per_step))
    params = len(new_model().parameters())
    # Compaction keeps the parameters and the live graph, and waits for COMPACT_GROWTH x that;
    # 300 steps without it would be 300 graphs.
    assert max(run["lengths"]) <= COMPACT_GROWTH * (params + per_step) + per_step < 30 * per_step
    assert max(run["lengths"][100:]) <= max(run["lengths"][:100])  # flat, not creeping
    assert max(run["groups"][100:]) <= max(run["groups"][:100])  # the group runs too


def test_old_graphs_kept_alive_survive_compaction_with_their_grads() -> None:
    def work() -> list[tuple[list[float], list[float]]]:
        run = train_on_the_default_tape(40, compact_min=4 * nodes_per_step(), keep_every=7)
        model = run["model"]
        out = []
        for loss, grads in run["kept"]:  # each graph holds the local derivatives of its own step
            model.zero_grad()
            loss.backward()
            out.append(([p.grad for p in model.parameters()], grads))
        return out

    pairs = on_a_new_thread(work)
    assert len(pairs) == 6 and all(now == then for now, then in pairs)


def test_the_mlp_views_still_group_every_node_after_many_steps() -> None:
    """The last step's graph carries the same groups as the same graph built on a fresh tape."""

    def work() -> list[Any]:
        run = train_on_the_default_tape(25, compact_min=4 * nodes_per_step())
        return [(n["op"], n["group"]) for n in graph(run["last"])["nodes"]]

    grouped = on_a_new_thread(work)
    with fresh_tape():
        model = new_model()
        fresh = [(n["op"], n["group"]) for n in graph(demo_loss(model))["nodes"]]
    assert [op for op, _ in grouped] == [op for op, _ in fresh]
    assert [g for _, g in grouped] == [g for _, g in fresh]
    assert {g for _, g in grouped} >= {"layer1/neuron1", "layer2/neuron8", "layer3/neuron1"}


def test_a_group_block_costs_one_run_at_most() -> None:
    with fresh_tape() as tape:
        x = Value(1.0)
        for _ in range(1000):
            with tape.group("empty"):
                pass
        assert tape.groups == []  # empty blocks leave nothing
        for k in range(1000):
            with tape.group(f"g{k % 2}"):
                x = x * 1.0
        assert len(tape.groups) == 1001  # one run per block that made a node, and the ungrouped one after
        with tape.group("outer"):
            with tape.group("inner"):
                y = x + 1.0
            z = y * 2.0
        assert (tape.group_of(y._i), tape.group_of(z._i), tape.current_group) == ("inner", "outer", None)


def test_backward_leaves_its_working_list_all_none() -> None:
    """backward reuses one list per tape for its gradients: a stale entry would leak into the next pass."""

    def work() -> tuple[list[Any], float, float]:
        run = train_on_the_default_tape(12, compact_min=4 * nodes_per_step())
        tape: Tape = run["tape"]
        model = run["model"]
        x = [Value(0.3), Value(-0.2)]
        hidden = model.layers[0].outputs(x)[3]  # an interior node, not the tape's last
        model(x)  # nodes after it
        model.zero_grad()
        hidden.backward()
        first = x[0].grad
        for xi in x:
            xi.grad = 0.0
        hidden.backward()  # the same again: nothing left over from the pass before
        return [v for v in tape.work if v is not None], first, x[0].grad

    leftovers, first, again = on_a_new_thread(work)
    assert leftovers == [] and first == again
