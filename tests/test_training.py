"""gradwalk.training and gradwalk.datasets: SGD, history, parameters, warnings, budget, validation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import pytest

from gradwalk import datasets, fresh_tape
from gradwalk.training import Limits, MLPSpec, SpecError, build_loss, count_nodes, resolve, train

SEED_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
SEED_YS = [1.0, -1.0, -1.0, 1.0]


def seeds_spec(**kw: Any) -> MLPSpec:
    base: dict[str, Any] = {"nin": 3, "layers": [4, 4, 1], "inputs": SEED_XS, "targets": SEED_YS, "seed": 1}
    return MLPSpec(**{**base, **kw})


def test_history_parameters_and_graph_agree() -> None:
    with fresh_tape():
        r = train(seeds_spec(learning_rate=0.05, steps=20))
    h = r["history"]
    assert len(h) == 21 and h[-1] < h[0] and r["loss"] == h[-1]
    nodes = {n["id"]: n for n in r["nodes"]}
    assert nodes[r["output"]]["data"] == r["loss"]
    assert len(r["parameters"]) == 41
    for p in r["parameters"]:
        node = nodes[p["node"]]
        assert node["label"] == p["name"] and node["role"] == "param"
        assert node["data"] == p["data"] and node["grad"] == p["grad"]
    assert r["warnings"] == []


def test_history_zero_is_the_loss_at_the_initial_parameters() -> None:
    with fresh_tape():
        r0 = train(seeds_spec(steps=0))
        r5 = train(seeds_spec(steps=5, learning_rate=0.1))
    # training runs on numpy (the scalar engine's numbers to rounding), the graph on the scalar engine
    assert r0["history"] == [r0["loss"]] and r5["history"][0] == pytest.approx(r0["loss"], rel=1e-13)
    # one more update from r4's parameters is what r5 reports
    with fresh_tape():
        r4 = train(seeds_spec(steps=4, learning_rate=0.1))
    stepped = [p["data"] - 0.1 * p["grad"] for p in r4["parameters"]]
    assert [p["data"] for p in r5["parameters"]] == pytest.approx(stepped, rel=1e-13, abs=1e-15)
    assert r5["history"][:4] == r4["history"][:4]
    assert r5["history"][4] == pytest.approx(r4["history"][4], rel=1e-13)


def test_seed_001_settings_warn_that_the_loss_rose() -> None:
    """Seed 001 steps with `p.data += -learning_rate * p.grad` and learning_rate = -0.1: gradient ascent."""
    for seed in range(5):
        with fresh_tape():
            r = train(seeds_spec(seed=seed, learning_rate=-0.1, steps=20))
        h = r["history"]
        assert h[-1] > h[0]
        assert len(r["warnings"]) == 1
        w = r["warnings"][0]
        assert w.startswith(f"loss rose from {h[0]:.6g} to {h[-1]:.6g} over 20 steps")
        assert "up the gradient" in w and "learning rate negative" in w


def _numbers(obj: Any) -> Iterator[Any]:
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, float):
            yield x


def test_divergence_is_reported_not_raised() -> None:
    with fresh_tape():
        r = train(seeds_spec(activation="linear", output_activation="linear", learning_rate=1e6, steps=12))
    assert any(isinstance(x, str) for x in r["history"])  # "Infinity"/"NaN" strings, as in the Graph JSON
    assert any(isinstance(p["data"], str) for p in r["parameters"])
    assert all(math.isfinite(x) for x in _numbers(r))  # JSON has no NaN: nothing non-finite is left as a float
    assert any("diverged" in w for w in r["warnings"])


@pytest.mark.parametrize("extreme", [1e308, -1e308, 5e-324])
def test_extreme_numbers_never_raise(extreme: float) -> None:
    for loss, layers, targets in (
        ("sse", [2, 1], SEED_YS),
        ("cross_entropy", [2, 3], [0, 1, 2, 0]),
        ("hinge", [2, 1], SEED_YS),
        ("mse", [2, 2], [[extreme, 0.0]] * 4),
    ):
        spec = seeds_spec(
            layers=layers,
            loss=loss,
            targets=targets,
            inputs=[[extreme, 1.0, -extreme]] * 4,
            learning_rate=extreme,
            l2=abs(extreme),
            steps=2,
            activation="linear",
        )
        with fresh_tape():
            r = train(spec)
        assert len(r["history"]) == 3 and all(math.isfinite(x) for x in _numbers(r))


def test_steps_run_on_fresh_tapes() -> None:
    spec = seeds_spec(steps=30)
    p = resolve(spec)
    with fresh_tape() as tape:
        train(p)
        assert len(tape) == count_nodes(3, [4, 4, 1], "tanh", "tanh", "sse", 4, 0.0)


@pytest.mark.parametrize(
    ("act", "out_act", "loss", "layers", "l2"),
    [
        (a, o, lo, ly, l2)
        for a, o, (lo, ly), l2 in itertools.product(
            ("tanh", "linear"),
            ("relu", "linear"),
            (("sse", [3, 2]), ("mse", [2, 1]), ("cross_entropy", [4, 3]), ("hinge", [2, 2, 1])),
            (0.0, 0.5),
        )
    ],
)
def test_node_count_is_exact(act: str, out_act: str, loss: str, layers: list[int], l2: float) -> None:
    targets: Any = {"sse": [[0.0, 1.0]] * 3, "mse": [0.5] * 3, "cross_entropy": [0, 2, 1], "hinge": [1.0, -1.0, 1.0]}
    spec = MLPSpec(
        nin=2,
        layers=layers,
        activation=act,
        output_activation=out_act,
        loss=loss,
        inputs=[[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]],
        targets=targets[loss],
        l2=l2,
        seed=0,
    )
    p = resolve(spec)
    with fresh_tape() as tape:
        build_loss(p, p.parameters)
        assert len(tape) == count_nodes(2, layers, act, out_act, loss, 3, l2)


def test_over_budget_is_refused_before_any_work() -> None:
    # a network this size would take hours to build: the answer comes from arithmetic alone
    huge = seeds_spec(layers=[100_000, 100_000, 1], seed=None)
    with pytest.raises(SpecError, match=r"max_nodes = 300,000") as e:
        resolve(huge)
    assert e.value.kind == "over_budget" and "makes a graph of 90,004,600,036 nodes" in str(e.value)
    with pytest.raises(SpecError, match=r"max_work = 1,000") as e:
        resolve(seeds_spec(steps=5), Limits(max_work=1_000))
    # 6 history entries x 3 passes (forward, backward) of 4 samples x 41 parameters
    assert "5 steps of MLP(3, [4, 4, 1]) on 4 samples is 2,952 multiply-adds" in str(e.value)
    with pytest.raises(SpecError, match=r"max_work = 1,000") as e:  # 6 x (4 forward + 3 x 2 batch) x 41
        resolve(seeds_spec(steps=5, batch_size=2), Limits(max_work=1_000))
    assert "is 2,460 multiply-adds" in str(e.value)
    with pytest.raises(SpecError, match="max_boundary_resolution = 80"):
        resolve(seeds_spec(boundary_resolution=81), Limits(max_boundary_resolution=80))
    with pytest.raises(SpecError, match="max_steps = 10"):
        resolve(seeds_spec(steps=11), Limits(max_steps=10))
    with pytest.raises(SpecError, match="max_samples = 3"):
        resolve(seeds_spec(), Limits(max_samples=3))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layers": []}, "layers must list"),
        ({"layers": [4, 0, 1]}, r"layers\[1\] must be at least 1, got 0"),
        ({"layers": [4, -2]}, r"layers\[1\] must be at least 1"),
        ({"nin": 0}, "nin must be at least 1"),
        ({"nin": None}, "nin .* is required"),
        ({"activation": "gelu"}, "unknown activation 'gelu'"),
        ({"output_activation": "softmax"}, "unknown output_activation 'softmax'"),
        ({"loss": "huber"}, "unknown loss 'huber'"),
        ({"init": "orthogonal"}, "unknown init"),
        ({"inputs": SEED_XS[:3]}, "3 samples in inputs but 4 targets"),
        ({"inputs": [[1.0, 2.0]] * 4}, r"inputs\[0\] must be a list of nin = 3 numbers, got 2 numbers"),
        ({"inputs": []}, "inputs is empty"),
        ({"inputs": [[1.0, math.nan, 0.0]] * 4}, r"inputs\[0\]\[1\] must be a finite number"),
        ({"targets": [1.0, math.inf, 0.0, 1.0]}, r"targets\[1\] must be a finite number"),
        ({"learning_rate": math.nan}, "learning_rate must be a finite number"),
        ({"l2": -1.0}, "l2 must be >= 0"),
        ({"steps": -1}, "steps must be at least 0"),
        ({"steps": 2.5}, "steps must be an integer"),
        ({"initial_parameters": [0.1] * 40}, "has 41 parameters .* initial_parameters has 40"),
        ({"initial_parameters": [0.1] * 40 + [math.inf]}, r"initial_parameters\[40\] must be a finite number"),
        (
            {"loss": "cross_entropy", "layers": [4, 3], "targets": [0, 1, 3, 2]},
            r"targets\[2\] = 3 is not a class index of this network: use 0 to 2",
        ),
        ({"loss": "cross_entropy", "layers": [4, 3], "targets": [0, 1, 1.0, 2]}, r"targets\[2\] must be a class index"),
        ({"loss": "cross_entropy"}, "cross_entropy needs an output layer of at least 2"),
        ({"loss": "hinge", "targets": [1.0, 0.0, -1.0, 1.0]}, r"targets\[1\] = 0: hinge targets must be -1 or 1"),
        ({"loss": "hinge", "layers": [4, 2], "targets": [1.0, -1.0, -1.0, 1.0]}, "hinge takes one output"),
        ({"layers": [4, 2]}, r"targets\[0\] must be a list of 2 numbers"),
        ({"dataset": "moons"}, "either a dataset or inputs and targets"),
        ({"inputs": None, "targets": None, "dataset": "mnist"}, "unknown dataset 'mnist'"),
        ({"inputs": None, "targets": None, "dataset": "moons"}, "dataset 'moons' has 2 inputs per sample; nin is 3"),
        ({"inputs": None, "targets": None}, "give inputs and targets"),
    ],
)
def test_invalid_specs_say_what_is_wrong(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message) as e:
        resolve(seeds_spec(**change))
    assert e.value.kind == "invalid_spec"


# ------------------------------------------------------------------ datasets


def test_datasets_are_deterministic_and_well_formed() -> None:
    for name in datasets.PRESETS:
        a, b = datasets.load(name, 5), datasets.load(name, 5)
        assert a == b
        assert len(a.inputs) == len(a.labels) > 0
        assert all(len(x) == a.nin for x in a.inputs)
        labels = set(a.labels)
        assert labels <= ({-1.0, 1.0} if a.classes == 2 else set(map(float, range(a.classes))))
        assert len(labels) == a.classes
        summary = a.summary()
        assert summary["samples"] == len(a.inputs) and summary["description"]
    assert datasets.load("seeds").inputs == SEED_XS and datasets.load("seeds").labels == SEED_YS
    assert datasets.load("moons", 1).inputs != datasets.load("moons", 2).inputs


@pytest.mark.parametrize("name", sorted(datasets.PRESETS))
def test_every_preset_trains_with_its_suggested_loss(name: str) -> None:
    ds = datasets.load(name, 0)
    with fresh_tape():
        r = train(MLPSpec(layers=[6, ds.outputs], dataset=name, seed=0, learning_rate=0.05, steps=3))
    assert len(r["history"]) == 4 and all(isinstance(x, float) for x in r["history"])
    assert r["nodes"][-1]["group"] == "loss"


def test_dataset_targets_follow_the_loss() -> None:
    with fresh_tape():
        r = train(MLPSpec(layers=[4, 2], dataset="xor", loss="cross_entropy", seed=0, steps=1))
    assert len(r["history"]) == 2
    with fresh_tape():
        r = train(MLPSpec(layers=[4, 3], dataset="blobs", loss="mse", output_activation="sigmoid", seed=0))
    assert math.isfinite(r["loss"])
    with pytest.raises(SpecError, match="hinge takes two"):
        resolve(MLPSpec(layers=[4, 1], dataset="blobs", loss="hinge"))
    with pytest.raises(SpecError, match="3 classes: use 3 outputs"):
        resolve(MLPSpec(layers=[4, 2], dataset="blobs", loss="sse"))
