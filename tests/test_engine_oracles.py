"""The engine against independent oracles: PyTorch float64 (golden file in `make test`,
live in `make test-torch`) and micrograd 0.1.0 from PyPI, on every case of
tests/oracles/engine_cases.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradwalk import fresh_tape

from .oracles.backends import GradwalkBackend, MicrogradBackend
from .oracles.compare import same
from .oracles.engine_cases import CASES, fingerprint, from_golden

GOLDEN = json.loads((Path(__file__).parent / "golden" / "engine.json").read_text())["cases"]
MICROGRAD_CASES = sorted(name for name, (_, _, ok) in CASES.items() if ok)


def gradwalk_result(name: str) -> tuple[float, dict[str, float]]:
    leaves, build, _ = CASES[name]
    with fresh_tape():
        backend = GradwalkBackend()
        values = {k: backend.leaf(k, x) for k, x in leaves.items()}
        return backend.result(build(backend, values))


def test_golden_file_matches_case_list() -> None:
    """Regenerate with `make golden` when this fails: the cases changed, the file did not."""
    assert sorted(GOLDEN) == sorted(CASES)
    stale = [name for name in CASES if GOLDEN[name]["fingerprint"] != fingerprint(name)]
    assert not stale, f"golden entries out of date: {stale}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_pytorch_golden(name: str) -> None:
    data, grads = gradwalk_result(name)
    expected = GOLDEN[name]
    assert same(data, from_golden(expected["data"])), (data, expected["data"])
    for leaf, g in expected["grads"].items():
        assert same(grads[leaf], from_golden(g)), (leaf, grads[leaf], g)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_pytorch_live(name: str) -> None:
    from .oracles.backends import TorchBackend

    leaves, build, _ = CASES[name]
    torch_backend = TorchBackend()
    values = {k: torch_backend.leaf(k, x) for k, x in leaves.items()}
    t_data, t_grads = torch_backend.result(build(torch_backend, values))
    data, grads = gradwalk_result(name)
    assert same(data, t_data)
    for leaf, g in t_grads.items():
        assert same(grads[leaf], g), (leaf, grads[leaf], g)


@pytest.mark.parametrize("name", MICROGRAD_CASES)
def test_against_micrograd(name: str) -> None:
    leaves, build, _ = CASES[name]
    mg = MicrogradBackend()
    values = {k: mg.leaf(k, x) for k, x in leaves.items()}
    m_data, m_grads = mg.result(build(mg, values))
    data, grads = gradwalk_result(name)
    assert same(data, m_data, rel=1e-12)
    for leaf, g in m_grads.items():
        assert same(grads[leaf], g, rel=1e-12), (leaf, grads[leaf], g)


def test_every_op_has_a_case() -> None:
    from gradwalk.ops import OPS

    missing = [op.name for op in OPS if not any(name.startswith(op.name) for name in CASES)]
    assert not missing
