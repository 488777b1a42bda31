"""gradwalk.paths: every path from a node to the output, with its product of local derivatives,
summing to the node's grad; checked against a brute-force enumeration of the graph JSON."""

from __future__ import annotations

import math
import time
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings

from gradwalk import Value, fresh_tape
from gradwalk.examples import EXAMPLES
from gradwalk.limits import LimitError
from gradwalk.paths import COUNT_CAP, paths
from gradwalk.pipeline import Expression, Limits, SourceError, respond
from gradwalk.trace import record

from .test_language_properties import programs


def all_paths(g: dict, start: str) -> list[tuple[float, list[tuple[str, str, int]]]]:  # type: ignore[type-arg]
    """Every path from `start` to the output by an explicit-stack walk over the Graph JSON's
    edges, each with the product of the locals that its backward updates carried."""
    const = {n["id"] for n in g["nodes"] if n["role"] == "const"}
    local: dict[tuple[str, str, int], float] = {}
    for step in g["backward"][1:]:  # updates come in operand order; constants get none
        operands = sorted((e for e in g["edges"] if e["target"] == step["node"]), key=lambda e: e["operand"])
        operands = [e for e in operands if e["source"] not in const]
        assert [e["source"] for e in operands] == [u["node"] for u in step["updates"]]
        for e, u in zip(operands, step["updates"]):
            local[(e["source"], e["target"], e["operand"])] = u["local"]
    out_edges: dict[str, list[tuple[str, str, int]]] = {}
    for e in g["edges"]:
        out_edges.setdefault(e["source"], []).append((e["source"], e["target"], e["operand"]))
    found = []
    stack: list[tuple[str, list[tuple[str, str, int]]]] = [(start, [])]
    while stack:
        node, path = stack.pop()
        if node == g["output"]:
            found.append((math.prod(local[e] for e in path), path))
            continue
        for e in out_edges.get(node, []):
            if e[0] not in const:
                stack.append((e[1], [*path, e]))
    return found


def test_b_equals_a_times_a_plus_a_has_three_paths_summing_to_the_grad() -> None:
    g = respond(Expression("a = 3.0\nb = a*a + a", paths="a"))
    p = g["paths"]
    a = next(n for n in g["nodes"] if n["label"] == "a")
    assert p["node"] == a["id"] and p["grad"] == a["grad"] == 7.0
    assert p["count"] == 3 and p["count_exact"] and p["complete"] and len(p["paths"]) == 3
    assert [q["product"] for q in p["paths"]] == [3.0, 3.0, 1.0] and p["sum"] == 7.0
    edges = {(e["source"], e["target"], e["operand"]) for e in g["edges"]}
    for q in p["paths"]:
        chain = q["edges"]
        assert chain[0]["source"] == a["id"] and chain[-1]["target"] == g["output"]
        assert all(x["target"] == y["source"] for x, y in pairwise(chain))
        assert all((e["source"], e["target"], e["operand"]) in edges for e in chain)
        assert q["product"] == math.prod(e["local"] for e in chain)
    # the two paths through a*a leave by different operands
    assert sorted(q["edges"][0]["operand"] for q in p["paths"][:2]) == [0, 1]


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.id != "overflow"], ids=lambda e: e.id)
def test_paths_of_every_leaf_of_every_example_match_brute_force(example) -> None:  # type: ignore[no-untyped-def]
    base = respond(Expression(example.source))
    for leaf in [n for n in base["nodes"] if n["role"] == "input"]:
        g = respond(Expression(example.source, paths=leaf["id"]))
        p = g["paths"]
        brute = all_paths(g, leaf["id"])
        assert p["count"] == len(brute) and p["count_exact"]
        expected = sorted((abs(prod) for prod, _ in brute), reverse=True)[:20]
        assert [abs(q["product"]) for q in p["paths"]] == pytest.approx(expected, rel=1e-12)
        assert p["complete"] == (len(brute) <= 20)
        if p["complete"]:
            assert p["sum"] == pytest.approx(leaf["grad"], rel=1e-12, abs=1e-15), (example.id, leaf, p["sum"])
        listed = {tuple((e["source"], e["target"], e["operand"]) for e in q["edges"]) for q in p["paths"]}
        assert len(listed) == len(p["paths"])  # no path twice
        assert listed <= {tuple(path) for _, path in brute}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_paths_sum_to_the_grad_on_generated_programs(program: tuple[str, dict[str, float]]) -> None:
    body, inputs = program
    source = "\n".join(f"{n} = {v!r}" for n, v in inputs.items()) + "\n" + body
    base = respond(Expression(source))
    for leaf in [n for n in base["nodes"] if n["role"] == "input"]:
        g = respond(Expression(source, paths=leaf["id"]))
        p = g["paths"]
        assert p["count"] == len(all_paths(g, leaf["id"]))
        if p["complete"]:
            scale = math.fsum(abs(q["product"]) for q in p["paths"])  # what rounding can cancel
            assert p["sum"] == pytest.approx(leaf["grad"], rel=1e-9, abs=1e-12 * scale), (source, leaf, p)


def test_exponentially_many_paths_are_counted_and_the_largest_listed() -> None:
    source = "x = 1.0001\n" + "x = x*x\n" * 60 + "y = x + 0"
    start = time.process_time()
    p = respond(Expression(source, paths="n0"))["paths"]
    assert time.process_time() - start < 1.0
    assert p["count"] == COUNT_CAP and not p["count_exact"] and not p["complete"]  # 2**60 paths
    assert len(p["paths"]) == 20 and all(len(q["edges"]) == 61 for q in p["paths"])
    assert len({tuple(e["operand"] for e in q["edges"]) for q in p["paths"]}) == 20
    small = respond(Expression("x = 1.5\n" + "x = x*x\n" * 10, paths="n0"))["paths"]
    assert small["count"] == 1024 and small["count_exact"] and not small["complete"]


def test_the_output_itself_and_an_op_node() -> None:
    g = respond(Expression("a = 2.0; e = a*a; L = e + a", paths="L"))
    assert g["paths"]["count"] == 1 and g["paths"]["paths"] == [{"product": 1.0, "edges": []}]
    p = respond(Expression("a = 2.0; e = a*a; L = e*3", paths="e"))["paths"]
    assert p["count"] == 1 and p["grad"] == 3.0 == p["sum"]


@pytest.mark.parametrize(
    ("source", "key", "words"),
    [
        ("a = 2.0; L = a*3", "n1", ["constant"]),
        ("a = 2.0; q = 1.0; L = a*3", "q", ["not in the output's graph"]),
        ("a = 2.0; L = a*3", "zz", ["not a name"]),
    ],
)
def test_path_errors_name_the_field(source: str, key: str, words: list[str]) -> None:
    with pytest.raises(SourceError) as e:
        respond(Expression(source, paths=key))
    assert e.value.field == ("paths",)
    assert all(w in e.value.msg for w in words), e.value.msg


def test_the_work_limit_is_checked_before_the_work() -> None:
    source = "x = 1.0\n" + "x = x*x\n" * 5000
    start = time.process_time()
    with pytest.raises(LimitError) as e:
        respond(Expression(source, paths="n0"), Limits(max_path_work=10_000))
    assert time.process_time() - start < 0.5
    assert e.value.type == "limit.path_work" and "max_path_work" in e.value.msg
    assert e.value.extra["loc"] == ["body", "paths"]
    p = respond(Expression(source, paths="n0"), Limits(max_paths=3))["paths"]
    assert len(p["paths"]) == 3 and not p["count_exact"]


def test_paths_in_the_core() -> None:
    with fresh_tape():
        a = Value(-2.0, label="a")
        b = Value(0.5, label="b")
        L = (a * b + a).tanh() * a
        L.backward()
        p = paths(record(L), a._i, max_paths=20)
        assert p["complete"] and p["count"] == 3
        assert p["sum"] == pytest.approx(a.grad, rel=1e-12)
        q = paths(record(L), b._i, max_paths=20)
        assert q["count"] == 1 and q["sum"] == pytest.approx(b.grad, rel=1e-12)
