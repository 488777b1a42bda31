"""MLP training against independent oracles: PyTorch float64 (golden file in `make test`,
live in `make test-torch`) and micrograd 0.1.0 from PyPI with copied parameters.

Loss, history over 20 SGD steps and every parameter's final data and grad must agree
to 1e-9 relative for tanh/sse, relu/cross_entropy, sigmoid/mse (two outputs),
relu/hinge (+ L2) and tanh/cross_entropy on mini-batches with a decaying learning rate
(+ L2). train() runs the steps on numpy (gradwalk.vectorised): these are its oracles."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from gradwalk import fresh_tape
from gradwalk.training import MLPSpec, train

from .oracles.compare import same
from .oracles.mlp_cases import CASES, fingerprint

GOLDEN = json.loads((Path(__file__).parent / "golden" / "mlp.json").read_text())["cases"]
REL = 1e-9
CASES_STEPS = 20


def gradwalk_result(spec: dict[str, Any]) -> dict[str, Any]:
    with fresh_tape():
        r = train(MLPSpec(**spec))
    return {"loss": r["loss"], "history": r["history"], "parameters": [[p["data"], p["grad"]] for p in r["parameters"]]}


def assert_agree(ours: dict[str, Any], oracle: dict[str, Any], rel: float = REL) -> None:
    assert same(ours["loss"], oracle["loss"], rel=rel), (ours["loss"], oracle["loss"])
    assert len(ours["history"]) == len(oracle["history"]) == CASES_STEPS + 1
    for k, (a, b) in enumerate(zip(ours["history"], oracle["history"])):
        assert same(a, b, rel=rel), ("history", k, a, b)
    assert len(ours["parameters"]) == len(oracle["parameters"])
    for k, ((d, g), (od, og)) in enumerate(zip(ours["parameters"], oracle["parameters"])):
        assert same(d, od, rel=rel), ("data", k, d, od)
        assert same(g, og, rel=rel), ("grad", k, g, og)


def test_golden_file_matches_case_list() -> None:
    """Regenerate with `python -m tests.oracles.make_mlp_golden` when this fails."""
    assert sorted(GOLDEN) == sorted(CASES)
    stale = [name for name in CASES if GOLDEN[name]["fingerprint"] != fingerprint(name)]
    assert not stale, f"golden entries out of date: {stale}"


def test_cases_cover_the_four_combinations() -> None:
    combos = {(c["activation"], c["loss"]) for c in CASES.values()}
    assert {("tanh", "sse"), ("relu", "cross_entropy"), ("sigmoid", "mse"), ("relu", "hinge")} <= combos
    assert any(c["loss"] == "mse" and c["layers"][-1] == 2 for c in CASES.values())
    assert all(c["steps"] == CASES_STEPS for c in CASES.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_pytorch_golden(name: str) -> None:
    ours = gradwalk_result(CASES[name])
    assert_agree(ours, GOLDEN[name])
    assert ours["history"][-1] < ours["history"][0]  # the cases do learn: the comparison is not of constants


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_pytorch_live(name: str) -> None:
    from .oracles.make_mlp_golden import torch_train

    assert_agree(gradwalk_result(CASES[name]), torch_train(CASES[name]))


def micrograd_train(spec: dict[str, Any]) -> dict[str, Any]:
    """micrograd.nn.MLP (relu hidden, linear output) with the case's parameters copied in."""
    from micrograd.engine import Value as MgValue
    from micrograd.nn import MLP as MgMLP

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    net = MgMLP(spec["nin"], list(spec["layers"]))
    params = net.parameters()
    for p, v in zip(params, spec["initial_parameters"], strict=True):
        p.data = v

    def loss_fn() -> Any:
        preds = [net(x) for x in spec["inputs"]]
        n = len(preds)
        if spec["loss"] == "sse":
            loss = sum((yout - ygt) ** 2 for yout, ygt in zip(preds, spec["targets"]))
        else:  # micrograd's demo: mean of relu(1 - y * score), plus alpha * sum(p * p)
            margins = [(1 + -yi * s).relu() for yi, s in zip(spec["targets"], preds)]
            loss = sum(margins) * (1.0 / n)
        if spec["l2"] > 0:
            loss = loss + spec["l2"] * sum(p**2 for p in params)
        return loss

    history = []
    for _ in range(spec["steps"]):
        loss = loss_fn()
        net.zero_grad()
        loss.backward()
        history.append(loss.data)
        for p in params:
            p.data -= spec["learning_rate"] * p.grad
    loss = loss_fn()
    net.zero_grad()
    loss.backward()
    history.append(loss.data)
    assert isinstance(loss, MgValue)
    return {"loss": loss.data, "history": history, "parameters": [[p.data, p.grad] for p in params]}


# micrograd's MLP is relu hidden / linear output; its ops cover sse and hinge (+ L2).
MICROGRAD_CASES = {
    "relu_hinge": CASES["relu_hinge"],
    "relu_sse": {**CASES["tanh_sse"], "activation": "relu", "output_activation": "linear", "learning_rate": 0.01},
}


@pytest.mark.parametrize("name", sorted(MICROGRAD_CASES))
def test_against_micrograd(name: str) -> None:
    spec = MICROGRAD_CASES[name]
    ours, theirs = gradwalk_result(spec), micrograd_train(spec)
    # micrograd scales the hinge mean by a product with 1/n where we divide by n: a few ulps apart
    assert_agree(ours, theirs, rel=1e-12)


def test_mini_batches_and_the_schedule_against_micrograd() -> None:
    """micrograd's demo loop (hinge + L2, lr decaying linearly) on 20 moons samples in batches of 8,
    the batches being gradwalk's (`training.batches`): history and final parameters agree."""
    from micrograd.nn import MLP as MgMLP

    from gradwalk.training import batches, resolve

    moons = resolve(MLPSpec(dataset="moons", seed=3))
    spec: dict[str, Any] = {
        "nin": 2,
        "layers": [8, 8, 1],
        "activation": "relu",
        "output_activation": "linear",
        "loss": "hinge",
        "inputs": moons.inputs[::5],
        "targets": moons.targets[::5],
        "learning_rate": 1.0,
        "learning_rate_end": 0.1,
        "l2": 1e-4,
        "steps": 10,
        "batch_size": 8,
        "seed": 3,
    }
    p = resolve(MLPSpec(**spec))
    assert p.mini_batch and len(p.inputs) == 20
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    net = MgMLP(2, [8, 8, 1])
    params = net.parameters()
    for q, v in zip(params, p.parameters, strict=True):
        q.data = v

    def loss_of(rows: list[int]) -> Any:
        margins = [(1 + -p.targets[s] * net(p.inputs[s])).relu() for s in rows]
        return sum(margins) * (1.0 / len(rows)) + 1e-4 * sum(q * q for q in params)

    history = []
    for k, rows in enumerate(batches(p)):
        history.append(loss_of(list(range(20))).data)
        loss = loss_of(rows)
        net.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 10  # demo.ipynb's schedule, over 10 steps
        for q in params:
            q.data -= lr * q.grad
    history.append(loss_of(list(range(20))).data)

    ours = gradwalk_result(spec)
    assert len(ours["history"]) == 11
    for k, (a, b) in enumerate(zip(ours["history"], history)):
        assert same(a, b, rel=1e-12), ("history", k, a, b)
    for k, ((d, _), q) in enumerate(zip(ours["parameters"], params)):
        assert same(d, q.data, rel=1e-12), ("data", k, d, q.data)
    assert ours["history"][-1] < ours["history"][0]
