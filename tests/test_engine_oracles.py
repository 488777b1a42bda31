"""The engine against independent oracles: PyTorch float64 (golden file in `make test`,
live in `make test-torch`) and micrograd 0.1.0 from PyPI, on every case of
tests/oracles/engine_cases.py."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from gradwalk import fresh_tape

from .oracles.backends import FUNCTIONS, GradwalkBackend, MicrogradBackend, MicrogradLacks
from .oracles.compare import same
from .oracles.engine_cases import CASES, KNOWN_DISAGREEMENTS, fingerprint, from_golden, functions_used, micrograd_gap

GOLDEN_TEXT = (Path(__file__).parent / "golden" / "engine.json").read_text()
GOLDEN = json.loads(GOLDEN_TEXT)["cases"]
GAPS = {name: micrograd_gap(name) for name in CASES}
MICROGRAD_CASES = sorted(name for name, gap in GAPS.items() if not gap)


def torch_params() -> list[Any]:
    """Every case; the known disagreements with PyTorch are expected to fail, strictly."""

    def expected_to_fail(name: str) -> Any:
        reason = KNOWN_DISAGREEMENTS[name]
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason))

    return [expected_to_fail(name) if name in KNOWN_DISAGREEMENTS else name for name in sorted(CASES)]


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


def test_golden_file_is_strict_json() -> None:
    """NaN and infinities are the strings "NaN", "Infinity", "-Infinity", never bare JSON extensions."""

    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token} in engine.json")

    json.loads(GOLDEN_TEXT, parse_constant=refuse)
    numbers = [c["data"] for c in GOLDEN.values()] + [g for c in GOLDEN.values() for g in c["grads"].values()]
    assert {x for x in numbers if isinstance(x, str)} == {"NaN", "Infinity", "-Infinity"}
    assert math.isnan(from_golden("NaN")) and from_golden("-Infinity") == -math.inf


@pytest.mark.parametrize("name", torch_params())
def test_against_pytorch_golden(name: str) -> None:
    data, grads = gradwalk_result(name)
    expected = GOLDEN[name]
    assert same(data, from_golden(expected["data"])), (data, expected["data"])
    for leaf, g in expected["grads"].items():
        assert same(grads[leaf], from_golden(g)), (leaf, grads[leaf], g)


@pytest.mark.torch
@pytest.mark.parametrize("name", torch_params())
def test_against_pytorch_live(name: str) -> None:
    from .oracles.backends import TorchBackend

    leaves, build, _ = CASES[name]
    torch_backend = TorchBackend()
    values = {k: torch_backend.leaf(k, x) for k, x in leaves.items()}
    t_data, t_grads = torch_backend.result(build(torch_backend, values))
    data, grads = gradwalk_result(name)
    assert same(data, t_data), (data, t_data)
    for leaf, g in t_grads.items():
        assert same(grads[leaf], g), (leaf, grads[leaf], g)


@pytest.mark.torch
def test_golden_file_is_what_pytorch_computes_now() -> None:
    """The installed torch still gives the golden numbers (a torch upgrade that changes one shows here)."""
    from .oracles.make_golden import torch_result

    changed = [name for name in sorted(CASES) if torch_result(name) != GOLDEN[name]]
    assert not changed


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


@pytest.mark.parametrize("name", sorted(n for n, gap in GAPS.items() if gap))
def test_micrograd_gap_is_real(name: str) -> None:
    """A case leaves micrograd out only for the reason the case list gives, and micrograd really fails it."""
    declared = CASES[name][2]
    missing = functions_used(name) - MicrogradBackend.HAS
    assert not (declared and missing), "a declared reason is redundant: micrograd lacks " + ", ".join(sorted(missing))
    leaves, build, _ = CASES[name]
    mg = MicrogradBackend()
    values = {k: mg.leaf(k, x) for k, x in leaves.items()}
    if missing:
        with pytest.raises(MicrogradLacks) as lacks:
            mg.result(build(mg, values))
        assert lacks.value.function in missing
        return
    try:
        data, grads = mg.result(build(mg, values))
    except (ArithmeticError, AssertionError, TypeError):
        return  # micrograd raises: ZeroDivisionError, OverflowError, its own assert, no __rpow__
    if any(isinstance(x, complex) for x in (data, *grads.values())):
        return
    # micrograd runs it with real numbers: then they must really differ from PyTorch's (golden)
    g_data, g_grads = gradwalk_result(name)
    assert not (same(data, g_data, rel=1e-12) and all(same(grads[k], g_grads[k], rel=1e-12) for k in grads)), (
        f"micrograd runs {name} and agrees: drop micrograd={declared!r} so it is compared"
    )


def test_micrograd_really_lacks_the_functions_the_harness_refuses() -> None:
    from micrograd.engine import Value

    assert {f for f in FUNCTIONS if hasattr(Value, f)} == set(MicrogradBackend.HAS)


def test_every_op_has_a_case() -> None:
    from gradwalk.ops import OPS

    missing = [op.name for op in OPS if not any(name.startswith(op.name) for name in CASES)]
    assert not missing


def test_every_function_is_called_by_some_case() -> None:
    used = set().union(*(functions_used(name) for name in CASES))
    assert used == set(FUNCTIONS)


def test_known_disagreements_are_cases() -> None:
    assert set(KNOWN_DISAGREEMENTS) <= set(CASES)
