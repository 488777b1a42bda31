"""The vectorised training path (gradwalk.vectorised, gradwalk.training.fit) against the scalar engine.

The oracle is gradwalk's own scalar engine run through `scalar_sgd`: the same spec
trained one `Value` at a time on fresh tapes. Every activation (hidden and output) and
every loss, with and without L2, full batch and mini-batches, a learning-rate schedule:
history and final parameters agree to 1e-9 relative over 20 steps. PyTorch float64 is
the second witness in tests/test_mlp_oracles.py (train() now trains this way)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest

from gradwalk import fresh_tape, losses, ops
from gradwalk.training import MLPSpec, Problem, batches, build_loss, fit, resolve, scalar_sgd
from gradwalk.vectorised import Net, Targets, loss_and_grads

from .oracles.compare import same

REL = 1e-9
STEPS = 20


def spec_for(activation: str, loss: str, l2: float, **kw: Any) -> MLPSpec:
    rng = random.Random(f"{activation}/{loss}/{l2}")
    n = 7
    xs = [[rng.uniform(-2.0, 2.0) for _ in range(3)] for _ in range(n)]
    targets: list[Any]
    if loss == "cross_entropy":
        layers, targets = [5, 3], [rng.randrange(3) for _ in range(n)]
    elif loss == "hinge":
        layers, targets = [5, 4, 1], [rng.choice((-1.0, 1.0)) for _ in range(n)]
    elif loss == "mse":
        layers, targets = [4, 2], [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
    else:
        layers, targets = [4, 4, 1], [rng.uniform(-1, 1) for _ in range(n)]
    base: dict[str, Any] = {
        "nin": 3,
        "layers": layers,
        "activation": activation,
        "output_activation": activation,
        "loss": loss,
        "inputs": xs,
        "targets": targets,
        "learning_rate": 0.1 if activation != "linear" else 0.02,
        "steps": STEPS,
        "seed": 7,
        "l2": l2,
    }
    return MLPSpec(**{**base, **kw})


def assert_same_training(p: Problem) -> None:
    want_params, want_history = scalar_sgd(p)
    got = fit(p)
    assert len(got.history) == len(want_history) == p.steps + 1
    for k, (a, b) in enumerate(zip(got.history, want_history)):
        assert same(a, b, rel=REL), ("history", k, a, b)
    for k, (a, b) in enumerate(zip(got.parameters, want_params)):
        assert same(a, b, rel=REL, abs_=1e-12), ("parameter", k, a, b)
    moved = max(abs(a - b) for a, b in zip(got.parameters, p.parameters))
    assert moved > 1e-3, "the case does not train: the comparison would be of constants"


@pytest.mark.parametrize(
    ("activation", "loss", "l2"), list(itertools.product(ops.ACTIVATIONS, losses.LOSSES, (0.0, 0.01)))
)
def test_vectorised_sgd_gives_the_scalar_engines_numbers(activation: str, loss: str, l2: float) -> None:
    assert_same_training(resolve(spec_for(activation, loss, l2)))


@pytest.mark.parametrize("loss", losses.LOSSES)
def test_mini_batches_and_the_schedule_give_the_scalar_engines_numbers(loss: str) -> None:
    p = resolve(spec_for("tanh", loss, 0.001, batch_size=3, learning_rate=0.3, learning_rate_end=0.05))
    assert p.mini_batch
    assert_same_training(p)


def test_one_pass_loss_and_gradient_equal_the_tapes() -> None:
    for activation, loss in itertools.product(ops.ACTIVATIONS, losses.LOSSES):
        p = resolve(spec_for(activation, loss, 0.5))
        with fresh_tape() as tape:
            root, mlp = build_loss(p, p.parameters, labelled=False)
            tape.backward(root._i)
            want_loss, want_grad = tape.data[root._i], [tape.grad[w._i] for w in mlp.parameters()]
        net = Net.from_flat(p.nin, p.layers, p.parameters, p.activation, p.output_activation)
        got_loss, grads, _ = loss_and_grads(net, np.asarray(p.inputs), Targets.of(p.loss, p.targets), p.l2)
        flat = np.concatenate([g.ravel() for g in grads])
        assert same(got_loss, want_loss, rel=1e-12)
        assert all(same(float(a), b, rel=1e-11, abs_=1e-14) for a, b in zip(flat, want_grad)), (activation, loss)


def test_batches_cover_every_sample_once_per_epoch_and_follow_the_seed() -> None:
    p = resolve(spec_for("tanh", "sse", 0.0, batch_size=3, steps=9))
    drawn = list(batches(p))
    assert [len(b) for b in drawn] == [3, 3, 1] * 3  # 7 samples: batches of 3, the epoch's rest
    for epoch in range(3):
        assert sorted(i for b in drawn[3 * epoch : 3 * epoch + 3] for i in b) == list(range(7))
    assert drawn == list(batches(resolve(spec_for("tanh", "sse", 0.0, batch_size=3, steps=9))))
    other = list(batches(resolve(spec_for("tanh", "sse", 0.0, batch_size=3, steps=9, seed=8))))
    assert other != drawn
    full = resolve(spec_for("tanh", "sse", 0.0, batch_size=7))
    assert not full.mini_batch and all(b == list(range(7)) for b in batches(full))


def test_learning_rate_schedule_is_micrograds() -> None:
    p = resolve(spec_for("relu", "hinge", 0.0, learning_rate=1.0, learning_rate_end=0.1, steps=100))
    assert [p.learning_rate_at(k) for k in (0, 50, 99)] == pytest.approx([1.0 - 0.9 * k / 100 for k in (0, 50, 99)])
    assert resolve(spec_for("relu", "hinge", 0.0)).learning_rate_at(19) == 0.1


def test_divergence_is_the_same_nan_and_infinity() -> None:
    p = resolve(spec_for("linear", "sse", 0.0, learning_rate=1e6, steps=12))
    _, history = scalar_sgd(p)
    got = fit(p)
    assert any(not np.isfinite(x) for x in history)
    for a, b in zip(got.history, history):
        assert same(a, b, rel=1e-6) or (np.isnan(a) and np.isnan(b))
