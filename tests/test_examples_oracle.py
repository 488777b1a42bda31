"""Every curated example gives PyTorch's numbers: against tests/golden/examples.json in
`make test`, and live against torch in `make test-torch`. Checked through the API."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gradwalk.api.main import app
from gradwalk.examples import EXAMPLES

from .oracles.compare import same
from .oracles.engine_cases import from_golden
from .oracles.examples_torch import fingerprint

GOLDEN = json.loads((Path(__file__).parent / "golden" / "examples.json").read_text())["examples"]
client = TestClient(app)


def api_result(source: str) -> tuple[float, dict[str, float], list[str]]:
    r = client.post("/api/v1/expression", json={"source": source})
    assert r.status_code == 200, r.text
    g = r.json()
    nodes = {n["id"]: n for n in g["nodes"]}
    inputs = [n for n in g["nodes"] if n["role"] == "input"]
    labels = [n["label"] for n in inputs]
    assert len(set(labels)) == len(labels), "examples give every input leaf its own label"
    return from_golden(nodes[g["output"]]["data"]), {n["label"]: from_golden(n["grad"]) for n in inputs}, g["warnings"]


def test_golden_file_matches_example_list() -> None:
    """Regenerate with `python -m tests.oracles.make_examples_golden` when this fails."""
    assert sorted(GOLDEN) == sorted(e.id for e in EXAMPLES)
    stale = [e.id for e in EXAMPLES if GOLDEN[e.id]["fingerprint"] != fingerprint(e.source)]
    assert not stale, f"golden entries out of date: {stale}"


def test_examples_endpoint_lists_every_example() -> None:
    listed = client.get("/api/v1/examples").json()
    assert [e["id"] for e in listed if e["language"] == "expression"] == [e.id for e in EXAMPLES]
    assert all(e["title"] and e["lesson"] and e["source"] for e in listed)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_matches_pytorch_golden(example) -> None:  # type: ignore[no-untyped-def]
    data, grads, _ = api_result(example.source)
    expected = GOLDEN[example.id]
    assert same(data, from_golden(expected["data"]), rel=1e-9)
    assert set(grads) == set(expected["grads"])
    for label, g in expected["grads"].items():
        assert same(grads[label], from_golden(g), rel=1e-9, abs_=1e-12), (label, grads[label], g)


def test_overflow_example_warns() -> None:
    example = next(e for e in EXAMPLES if e.id == "overflow")
    data, _, warnings = api_result(example.source)
    assert math.isinf(data) and warnings


@pytest.mark.torch
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_matches_live_pytorch(example) -> None:  # type: ignore[no-untyped-def]
    from .oracles.examples_torch import torch_run

    t_data, t_grads = torch_run(example.source)
    data, grads, _ = api_result(example.source)
    assert same(data, t_data, rel=1e-9)
    assert set(grads) == set(t_grads)
    for label, g in t_grads.items():
        assert same(grads[label], g, rel=1e-9, abs_=1e-12), (label, grads[label], g)


def test_what_goes_wrong_lessons_quote_their_graphs_numbers() -> None:
    def graph(example_id: str) -> tuple[dict, dict]:  # type: ignore[type-arg]
        example = next(e for e in EXAMPLES if e.id == example_id)
        r = client.post("/api/v1/expression", json={"source": example.source})
        assert r.status_code == 200, r.text
        return {n["label"]: n for n in r.json()["nodes"] if n["label"]}, r.json()

    lesson = {e.id: e.lesson for e in EXAMPLES}
    gallery = ["wrong-vanishing-sigmoid", "wrong-exploding-chain", "wrong-dead-relu", "wrong-tanh-saturated"]
    ids = [e.id for e in EXAMPLES]
    assert ids[ids.index(gallery[0]) :][: len(gallery)] == gallery  # one block
    assert all(e.title.startswith("What goes wrong: ") for e in EXAMPLES if e.id in gallery)

    nodes, g = graph("wrong-vanishing-sigmoid")
    assert nodes["h10"]["grad"] == 1.0 and f"{nodes['x']['grad']:.1e}" == "2.8e-07" and "2.8e-7" in lesson[gallery[0]]
    sigmoid_locals = [u["local"] for step in g["backward"][1:] for u in step["updates"]]
    assert len(sigmoid_locals) == 10 and all(0.19 < s <= 0.25 for s in sigmoid_locals)

    nodes, _ = graph("wrong-exploding-chain")
    assert nodes["x"]["grad"] == 2.0**20 and nodes["w"]["grad"] == 20 * 2.0**19
    assert "1,048,576" in lesson["wrong-exploding-chain"] and "10,485,760" in lesson["wrong-exploding-chain"]

    nodes, g = graph("wrong-dead-relu")
    assert nodes["n"]["data"] == -6.0 and nodes["L"]["data"] == 1.0 and nodes["o"]["grad"] == -2.0
    assert all(n["grad"] == 0.0 for n in g["nodes"] if n["role"] == "input")

    nodes, _ = graph("wrong-tanh-saturated")
    o = nodes["o"]["data"]
    assert nodes["n"]["data"] == 11.0 and nodes["L"]["data"] > 3.99 and round(nodes["o"]["grad"]) == 4
    assert f"{1 - o * o:.1e}" == "1.1e-09" and f"{nodes['w']['grad']:.1e}" == "8.9e-09"
    assert "1.1e-9" in lesson["wrong-tanh-saturated"] and "8.9e-9" in lesson["wrong-tanh-saturated"]
