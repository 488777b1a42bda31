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
