"""gradwalk.trace: the Graph JSON of docs/api.md, its invariants on random graphs, and
gradients against central finite differences (hypothesis)."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradwalk import Value, fresh_tape
from gradwalk.trace import dumps, trace

from .lecture import lecture_values


@pytest.fixture(autouse=True)
def private_tape():
    with fresh_tape() as tape:
        yield tape


def seed_L() -> Value:
    return lecture_values()["L"]


def by_label(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["label"]: n for n in graph["nodes"]}


def test_seed_graph_json_shape() -> None:
    g = trace(seed_L())
    assert set(g) >= {"nodes", "edges", "output", "forward", "backward", "warnings"}
    nodes = by_label(g)
    assert {k: (n["data"], n["grad"]) for k, n in nodes.items()} == {
        "a": (2.0, 6.0), "b": (-3.0, -4.0), "c": (10.0, -2.0), "e": (-6.0, -2.0),
        "d": (4.0, -2.0), "f": (-2.0, 4.0), "L": (-8.0, 1.0),
    }  # fmt: skip
    assert nodes["a"]["role"] == "input" and nodes["a"]["op"] is None and nodes["L"]["op"] == "mul"
    assert [n["id"] for n in g["nodes"]] == [f"n{k}" for k in range(7)]
    assert g["output"] == nodes["L"]["id"] and len(g["edges"]) == 6
    step0 = g["backward"][0]
    assert step0["updates"] == [{"node": g["output"], "local": 1.0, "delta": 1.0, "grad": 1.0}]
    assert len(g["backward"]) == 1 + 3  # the seed, then one step per operation node
    # the step that finishes a: e's rule, local of a is b.data = -3, delta = -3 * e.grad(-2) = 6
    e_step = next(s for s in g["backward"] if s["node"] == nodes["e"]["id"])
    assert e_step["updates"][0] == {"node": nodes["a"]["id"], "local": -3.0, "delta": 6.0, "grad": 6.0}
    assert g["warnings"] == []


def test_fan_out_shows_each_contribution() -> None:
    a = Value(3.0, label="a")
    b = a * a
    g = trace(b)
    updates = g["backward"][1]["updates"]
    assert [(u["delta"], u["grad"]) for u in updates] == [(3.0, 3.0), (3.0, 6.0)]
    assert len(g["edges"]) == 2  # one per operand


def test_constants_get_no_updates_and_no_grad() -> None:
    x = Value(3.0, label="x")
    y = x**2
    g = trace(y)
    const = next(n for n in g["nodes"] if n["role"] == "const")
    assert const["grad"] == 0.0 and const["data"] == 2.0
    assert all(u["node"] != const["id"] for s in g["backward"] for u in s["updates"])


def test_non_finite_numbers_are_strings_and_warned() -> None:
    x = Value(0.0, label="x")
    y = x.log() * 2 + 1
    g = trace(y)
    nodes = by_label(g)
    assert nodes["x"]["grad"] == "Infinity"
    assert any(n["data"] == "-Infinity" for n in g["nodes"])
    assert "n1" in g["warnings"][0] and "log" in g["warnings"][0]
    assert "gradient of n0 ('x')" in g["warnings"][1]
    parsed = orjson.loads(dumps(g))  # valid JSON: no bare NaN/Infinity
    assert parsed["nodes"][0]["grad"] == "Infinity"


def test_trace_does_not_touch_the_tapes_grads() -> None:
    x = Value(2.0)
    y = x * x
    trace(y)
    assert x.grad == 0.0
    y.backward()
    assert trace(y)["nodes"][0]["grad"] == 4.0


def test_graph_holds_only_what_the_output_depends_on() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    _other = b * 5
    c = a + 1
    g = trace(c)
    assert sorted(n["label"] for n in g["nodes"]) == ["", "", "a"]


def test_big_graph_is_linear_and_iterative() -> None:
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    g = trace(y)
    assert len(g["nodes"]) == 200_001 and len(g["backward"]) == 100_001


# ------------------------------------------------------------ random graphs (hypothesis)

# Each op keeps values in a safe domain, so finite differences are meaningful.
SAFE_OPS = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 1.0),
    "pow": lambda x, y: (x * x + 0.5) ** (y * 0.3),
    "tanh": lambda x, y: x.tanh() if isinstance(x, Value) else math.tanh(x),
    "exp": lambda x, y: (x * 0.3).exp() if isinstance(x, Value) else math.exp(x * 0.3),
    "log": lambda x, y: (x * x + 1.0).log() if isinstance(x, Value) else math.log(x * x + 1.0),
    "sigmoid": lambda x, y: x.sigmoid() if isinstance(x, Value) else 1 / (1 + math.exp(-x)),
    "const": lambda x, y: x * 1.5 - 0.25,
}

programs = st.tuples(
    st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.sampled_from(sorted(SAFE_OPS)), st.integers(0, 1000), st.integers(0, 1000)),
        min_size=1,
        max_size=25,
    ),
)


def run_program(leaf_values: list[float], steps: list[tuple[str, int, int]], as_values: bool) -> tuple[Any, list[Any]]:
    leaves: list[Any] = [Value(v, label=f"x{k}") for k, v in enumerate(leaf_values)] if as_values else list(leaf_values)
    nodes = list(leaves)
    for op, i, j in steps:
        nodes.append(SAFE_OPS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    return nodes[-1], leaves


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs)
def test_random_graphs_match_finite_differences(program: tuple[list[float], list[tuple[str, int, int]]]) -> None:
    leaf_values, steps = program
    with fresh_tape():
        root, leaves = run_program(leaf_values, steps, as_values=True)
        if not isinstance(root, Value):
            return
        root.backward()
        for k, leaf in enumerate(leaves):
            h = 1e-6
            up = list(leaf_values)
            down = list(leaf_values)
            up[k] += h
            down[k] -= h
            f_up, _ = run_program(up, steps, as_values=False)
            f_down, _ = run_program(down, steps, as_values=False)
            numeric = (f_up - f_down) / (2 * h)
            assert math.isclose(leaf.grad, numeric, rel_tol=1e-4, abs_tol=1e-5), (k, leaf.grad, numeric)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(programs)
def test_trace_invariants_on_random_graphs(program: tuple[list[float], list[tuple[str, int, int]]]) -> None:
    leaf_values, steps = program
    with fresh_tape():
        root, _ = run_program(leaf_values, steps, as_values=True)
        if not isinstance(root, Value):
            return
        g = trace(root)
        ids = [n["id"] for n in g["nodes"]]
        position = {nid: k for k, nid in enumerate(g["forward"])}
        assert sorted(g["forward"]) == sorted(ids) and len(set(g["forward"])) == len(ids)
        for e in g["edges"]:
            assert position[e["source"]] < position[e["target"]]  # forward order is topological
        ops = [n for n in g["nodes"] if n["op"]]
        assert len(g["edges"]) == sum(2 if n["op"] in ("add", "sub", "mul", "div", "pow") else 1 for n in ops)
        assert len(g["backward"]) == 1 + len(ops)
        # replaying every update from zero reproduces every node's grad
        replay = dict.fromkeys(ids, 0.0)
        for step in g["backward"]:
            for u in step["updates"]:
                replay[u["node"]] += u["delta"]
                assert math.isclose(replay[u["node"]], u["grad"], rel_tol=1e-12, abs_tol=1e-300)
        for n in g["nodes"]:
            assert math.isclose(replay[n["id"]], n["grad"], rel_tol=1e-12, abs_tol=1e-300)
        # and equals what Value.backward computes
        root.backward()


def test_collector_pause_nests_and_restores() -> None:
    import gc

    from gradwalk.trace import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
