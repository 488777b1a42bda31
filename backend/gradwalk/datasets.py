"""Training sets: small 2-D ones (and the lecture's 3-D one) generated from a seed, and
scikit-learn's 8x8 digits, shipped as a data file (gradwalk/data/README.md).

No downloads and no numpy: each generated preset draws from its own `random.Random(seed)`,
so a name and a seed give the same samples on every machine. Binary sets label samples
+1/-1 (the lecture's targets and micrograd's hinge demo); multi-class sets label them
0..classes-1. `targets_for` converts labels to what a loss expects. Each preset carries
`suggested` spec fields that train it to at least 95 % accuracy (tests/test_presets.py).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


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
    suggested: dict[str, Any] = field(default_factory=dict)  # MLPSpec fields that train it well

    def summary(self, samples: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "nin": self.nin,
            "outputs": self.outputs,
            "loss": self.loss,
            "classes": self.classes,
            "samples": len(self.inputs),
            "suggested": dict(self.suggested),
        }
        if samples:
            out["inputs"] = self.inputs
            out["targets"] = [int(y) if self.classes > 2 else y for y in self.labels]
        return out


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


@cache
def _digits_file() -> tuple[tuple[tuple[float, ...], ...], tuple[float, ...]]:
    raw = resources.files("gradwalk").joinpath("data/digits.csv.gz").read_bytes()
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode("ascii"))))
    return tuple(tuple(int(v) / 16.0 for v in r[:64]) for r in rows), tuple(float(r[64]) for r in rows)


def _digits(_rng: random.Random) -> tuple[list[list[float]], list[float]]:
    # the same 1,797 images whatever the seed (the seed still draws the held-out split and the init)
    xs, ys = _digits_file()
    return [list(x) for x in xs], list(ys)


Generator = Callable[[random.Random], tuple[list[list[float]], list[float]]]


@dataclass(frozen=True)
class Preset:
    generate: Generator
    description: str
    nin: int
    outputs: int  # the output layer size that fits the suggested loss
    loss: str  # suggested loss
    classes: int
    suggested: dict[str, Any]  # spec fields that train it to >= 95 % (digits: >= 90 % held out)


def _spec(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"batch_size": None, "learning_rate_end": None, "l2": 0.0, "holdout": 0.0}
    return {**base, **fields}


# Each `suggested` is the whole training spec: picking the preset fills every field (nin included).
PRESETS: dict[str, Preset] = {
    "seeds": Preset(
        _seeds,
        "The seeds' four samples (3 inputs, targets +1/-1) for MLP(3, [4, 4, 1]).",
        3, 1, "sse", 2,
        _spec(nin=3, layers=[4, 4, 1], activation="tanh", output_activation="tanh", loss="sse", init="uniform",
              learning_rate=0.05, steps=50, seed=1),
    ),
    "xor": Preset(
        _xor,
        "XOR on the corners of [-1, 1]^2: +1 where the signs differ, -1 elsewhere.",
        2, 1, "sse", 2,
        _spec(nin=2, layers=[4, 1], activation="tanh", output_activation="tanh", loss="sse", init="uniform",
              learning_rate=0.1, steps=100, seed=1),
    ),
    "moons": Preset(
        _moons,
        "Two interleaved half circles, 100 samples, labels +1/-1 (micrograd's demo).",
        2, 1, "hinge", 2,
        # micrograd's demo.ipynb: MLP(2, [16, 16, 1]), ReLU, SVM max-margin loss + 1e-4 L2, lr 1.0 -> 0.1, 100 steps
        _spec(nin=2, layers=[16, 16, 1], activation="relu", output_activation="linear", loss="hinge", init="uniform",
              learning_rate=1.0, learning_rate_end=0.1, l2=1e-4, steps=100, seed=1),
    ),
    "circles": Preset(
        _circles,
        "A ring of radius 1 (-1) around a ring of radius 0.5 (+1), 100 samples.",
        2, 1, "hinge", 2,
        _spec(nin=2, layers=[16, 16, 1], activation="relu", output_activation="linear", loss="hinge", init="uniform",
              learning_rate=1.0, learning_rate_end=0.1, l2=1e-4, steps=100, seed=1),
    ),
    "spiral": Preset(
        _spiral,
        "Two interleaved spiral arms, 100 samples, labels +1/-1.",
        2, 1, "hinge", 2,
        _spec(nin=2, layers=[16, 16, 1], activation="relu", output_activation="linear", loss="hinge", init="uniform",
              learning_rate=0.5, learning_rate_end=0.05, l2=1e-5, steps=2000, seed=1),
    ),
    "blobs": Preset(
        _blobs,
        "Three Gaussian clusters, 90 samples, class indices 0-2 (multi-class).",
        2, 3, "cross_entropy", 3,
        _spec(nin=2, layers=[8, 3], activation="tanh", output_activation="linear", loss="cross_entropy",
              init="xavier", learning_rate=0.5, steps=200, seed=1),
    ),
    "digits": Preset(
        _digits,
        "scikit-learn's 8x8 handwritten digits: 1,797 images of 64 pixels (scaled to 0-1), classes 0-9."
        " Trained on mini-batches, with a fifth held out.",
        64, 10, "cross_entropy", 10,
        # seed 003's classifier in small: ReLU, He init, softmax cross-entropy, mini-batches of 64
        _spec(nin=64, layers=[32, 10], activation="relu", output_activation="linear", loss="cross_entropy",
              init="he", learning_rate=0.1, steps=500, batch_size=64, holdout=0.2, graph_samples=1, seed=1),
    ),
}


def load(name: str, seed: int | None = None) -> Dataset:
    """The preset `name` drawn with `random.Random(seed)` (seed None means 0)."""
    try:
        p = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; use one of {', '.join(PRESETS)}") from None
    xs, ys = p.generate(random.Random(0 if seed is None else seed))
    return Dataset(name, p.description, p.nin, p.outputs, p.loss, p.classes, xs, ys, p.suggested)


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
