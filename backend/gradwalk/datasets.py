"""Small 2-D (and the lecture's 3-D) training sets, generated deterministically from a seed.

No downloads and no numpy: each preset draws from its own `random.Random(seed)`, so a
name and a seed give the same samples on every machine. Binary sets label samples
+1/-1 (the lecture's targets and micrograd's hinge demo); the multi-class set labels
them 0..classes-1. `targets_for` converts labels to what a loss expects.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    nin: int
    outputs: int  # the output layer size that fits the suggested loss
    loss: str  # suggested loss
    classes: int  # 2 for the +1/-1 sets
    inputs: list[list[float]]
    labels: list[float]  # +1/-1 for binary sets, class index for multi-class

    def summary(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "nin": self.nin,
            "outputs": self.outputs,
            "loss": self.loss,
            "classes": self.classes,
            "samples": len(self.inputs),
            "inputs": self.inputs,
            "targets": [int(y) if self.classes > 2 else y for y in self.labels],
        }


def _seeds(_rng: random.Random) -> tuple[list[list[float]], list[float]]:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    return xs, [1.0, -1.0, -1.0, 1.0]


def _xor(_rng: random.Random) -> tuple[list[list[float]], list[float]]:
    xs = [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
    return xs, [-1.0, 1.0, 1.0, -1.0]


def _moons(rng: random.Random, n: int = 100, noise: float = 0.1) -> tuple[list[list[float]], list[float]]:
    # sklearn's make_moons(n_samples=100, noise=0.1) shape: two interleaved half circles
    xs: list[list[float]] = []
    ys: list[float] = []
    for k in range(n):
        upper = k < n // 2
        t = math.pi * (k % (n // 2)) / (n // 2 - 1)
        x, y = (math.cos(t), math.sin(t)) if upper else (1.0 - math.cos(t), 0.5 - math.sin(t))
        xs.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
        ys.append(-1.0 if upper else 1.0)
    return xs, ys


def _circles(rng: random.Random, n: int = 100, noise: float = 0.08) -> tuple[list[list[float]], list[float]]:
    xs: list[list[float]] = []
    ys: list[float] = []
    for k in range(n):
        inner = k % 2 == 1
        t = 2.0 * math.pi * rng.random()
        r = 0.5 if inner else 1.0
        xs.append([r * math.cos(t) + rng.gauss(0.0, noise), r * math.sin(t) + rng.gauss(0.0, noise)])
        ys.append(1.0 if inner else -1.0)
    return xs, ys


def _spiral(rng: random.Random, n: int = 100, noise: float = 0.05) -> tuple[list[list[float]], list[float]]:
    # two interleaved arms, one and a half turns each
    xs: list[list[float]] = []
    ys: list[float] = []
    half = n // 2
    for k in range(n):
        arm = k % 2
        i = k // 2
        r = 0.1 + 0.9 * i / max(half - 1, 1)
        t = 3.0 * math.pi * i / max(half - 1, 1) + math.pi * arm
        xs.append([r * math.cos(t) + rng.gauss(0.0, noise), r * math.sin(t) + rng.gauss(0.0, noise)])
        ys.append(1.0 if arm else -1.0)
    return xs, ys


def _blobs(rng: random.Random, n: int = 90, classes: int = 3) -> tuple[list[list[float]], list[float]]:
    centres = [(math.cos(2 * math.pi * c / classes), math.sin(2 * math.pi * c / classes)) for c in range(classes)]
    xs: list[list[float]] = []
    ys: list[float] = []
    for k in range(n):
        c = k % classes
        cx, cy = centres[c]
        xs.append([cx + rng.gauss(0.0, 0.3), cy + rng.gauss(0.0, 0.3)])
        ys.append(float(c))
    return xs, ys


Generator = Callable[[random.Random], tuple[list[list[float]], list[float]]]

# name -> (generator, description, nin, outputs, suggested loss, classes)
PRESETS: dict[str, tuple[Generator, str, int, int, str, int]] = {
    "seeds": (_seeds, "The seeds' four samples (3 inputs, targets +1/-1) for MLP(3, [4, 4, 1]).", 3, 1, "sse", 2),
    "xor": (_xor, "XOR on the corners of [-1, 1]^2: +1 where the signs differ, -1 elsewhere.", 2, 1, "sse", 2),
    "moons": (_moons, "Two interleaved half circles, 100 samples, labels +1/-1 (micrograd's demo).", 2, 1, "hinge", 2),
    "circles": (_circles, "A ring of radius 1 (-1) around a ring of radius 0.5 (+1), 100 samples.", 2, 1, "hinge", 2),
    "spiral": (_spiral, "Two interleaved spiral arms, 100 samples, labels +1/-1.", 2, 1, "hinge", 2),
    "blobs": (
        _blobs,
        "Three Gaussian clusters, 90 samples, class indices 0-2 (multi-class).",
        2,
        3,
        "cross_entropy",
        3,
    ),
}


def load(name: str, seed: int | None = None) -> Dataset:
    """The preset `name` drawn with `random.Random(seed)` (seed None means 0)."""
    try:
        gen, description, nin, outputs, loss, classes = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; use one of {', '.join(PRESETS)}") from None
    xs, ys = gen(random.Random(0 if seed is None else seed))
    return Dataset(name, description, nin, outputs, loss, classes, xs, ys)


def targets_for(ds: Dataset, loss: str, outputs: int) -> list[float] | list[int] | list[list[float]]:
    """The dataset's labels in the form `loss` takes, for an output layer of `outputs` neurons.

    Binary sets: +1/-1 for sse, mse and hinge; class 0 (for -1) / 1 (for +1) for
    cross_entropy. Multi-class sets: class indices for cross_entropy, one-hot rows
    (1 for the class, 0 elsewhere) for sse and mse. Shapes are checked by the caller.
    """
    if loss == "cross_entropy":
        if ds.classes == 2:
            return [1 if y > 0 else 0 for y in ds.labels]
        return [int(y) for y in ds.labels]
    if ds.classes == 2:
        return list(ds.labels)
    return [[1.0 if c == int(y) else 0.0 for c in range(outputs)] for y in ds.labels]
