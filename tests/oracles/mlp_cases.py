"""MLP training cases compared against PyTorch float64 (tests/golden/mlp.json) and micrograd.

Each case is a complete MLP spec (the fields of gradwalk.training.MLPSpec) with explicit
inputs, targets and initial_parameters drawn here from a private random.Random, so the
oracle and gradwalk start from the very same numbers and nothing depends on gradwalk's
own initialisation. Change a case and `make_mlp_golden` must be rerun: the fingerprint
in the golden file says so.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from typing import Any

STEPS = 20


def _params(rng: random.Random, nin: int, layers: list[int], scale: float = 1.0) -> list[float]:
    sizes = [nin, *layers]
    n = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(layers)))
    return [rng.uniform(-1.0, 1.0) * scale for _ in range(n)]


def _points(rng: random.Random, n: int, dims: int) -> list[list[float]]:
    return [[rng.uniform(-2.0, 2.0) for _ in range(dims)] for _ in range(n)]


def _cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}

    # The seeds' network and data (seed 000/001), tanh everywhere, sum of squared errors.
    rng = random.Random(1000)
    cases["tanh_sse"] = {
        "nin": 3,
        "layers": [4, 4, 1],
        "activation": "tanh",
        "output_activation": "tanh",
        "loss": "sse",
        "inputs": [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]],
        "targets": [1.0, -1.0, -1.0, 1.0],
        "learning_rate": 0.05,
        "initial_parameters": _params(rng, 3, [4, 4, 1]),
    }

    # Seed 003's shape in small: relu hidden layer, linear logits, softmax cross-entropy.
    rng = random.Random(2000)
    xs = _points(rng, 12, 2)
    cases["relu_cross_entropy"] = {
        "nin": 2,
        "layers": [8, 3],
        "activation": "relu",
        "output_activation": "linear",
        "loss": "cross_entropy",
        "inputs": xs,
        "targets": [int(math.atan2(y, x) // (2 * math.pi / 3)) % 3 for x, y in xs],
        "learning_rate": 0.2,
        "initial_parameters": _params(rng, 2, [8, 3]),
    }

    # Two sigmoid outputs, mean squared error over samples x outputs.
    rng = random.Random(3000)
    xs = _points(rng, 6, 3)
    cases["sigmoid_mse_two_outputs"] = {
        "nin": 3,
        "layers": [5, 2],
        "activation": "sigmoid",
        "output_activation": "sigmoid",
        "loss": "mse",
        "inputs": xs,
        "targets": [[rng.uniform(0.0, 1.0), rng.uniform(0.0, 1.0)] for _ in xs],
        "learning_rate": 0.5,
        "initial_parameters": _params(rng, 3, [5, 2]),
    }

    # micrograd's demo: relu hidden layers, a linear score, hinge loss with an L2 term.
    rng = random.Random(4000)
    xs = _points(rng, 16, 2)
    cases["relu_hinge"] = {
        "nin": 2,
        "layers": [8, 8, 1],
        "activation": "relu",
        "output_activation": "linear",
        "loss": "hinge",
        "inputs": xs,
        "targets": [1.0 if x * y > 0 else -1.0 for x, y in xs],
        "learning_rate": 0.05,
        "l2": 1e-3,
        "initial_parameters": _params(rng, 2, [8, 8, 1], 0.7),
    }

    # Seed 003's training in small: mini-batches (each epoch shuffled with random.Random(seed),
    # cut into batches of batch_size; the history is the loss over every sample), a decaying
    # learning rate (update k: lr + (lr_end - lr) * k / steps), softmax cross-entropy, L2.
    rng = random.Random(5000)
    xs = _points(rng, 10, 2)
    cases["tanh_cross_entropy_minibatch"] = {
        "nin": 2,
        "layers": [6, 3],
        "activation": "tanh",
        "output_activation": "linear",
        "loss": "cross_entropy",
        "inputs": xs,
        "targets": [int(x > 0) + int(y > 0) for x, y in xs],
        "learning_rate": 0.5,
        "learning_rate_end": 0.05,
        "batch_size": 4,
        "seed": 11,
        "l2": 1e-3,
        "initial_parameters": _params(rng, 2, [6, 3]),
    }

    for spec in cases.values():
        spec["steps"] = STEPS
        spec.setdefault("l2", 0.0)
    return cases


CASES: dict[str, dict[str, Any]] = _cases()


def fingerprint(name: str) -> str:
    """Changes whenever the case's spec changes (numbers included, via repr-exact JSON)."""
    return hashlib.sha256(json.dumps(CASES[name], sort_keys=True).encode()).hexdigest()[:16]
