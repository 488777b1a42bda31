"""What training records beside the loss: accuracy, grad_norms, boundary, neurons, holdout, progress.

Each figure is checked against the scalar engine: the final parameters the response
returns, put into a gradwalk.nn.MLP and evaluated one `Value` at a time."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from gradwalk import fresh_tape
from gradwalk.limits import Limits
from gradwalk.nn import MLP
from gradwalk.training import Cancelled, MLPSpec, boundary, fit, resolve, train

MOONS: dict[str, Any] = {
    "dataset": "moons",
    "layers": [8, 8, 1],
    "activation": "relu",
    "output_activation": "linear",
    "loss": "hinge",
    "learning_rate": 0.3,
    "steps": 40,
    "seed": 2,
}


def run(**spec: Any) -> dict[str, Any]:
    with fresh_tape():
        return train(MLPSpec(**spec))


def scalar_outputs(body: dict[str, Any], spec: MLPSpec, xs: list[list[float]]) -> list[list[float]]:
    p = resolve(spec)
    with fresh_tape():
        values = [q["data"] for q in body["parameters"]]
        net = MLP(p.nin, p.layers, p.activation, p.output_activation, initial_parameters=values)
        return [[o.data for o in net.outputs(x)] for x in xs]


def test_accuracy_is_the_fraction_the_final_net_gets_right() -> None:
    spec = MLPSpec(**MOONS)
    body = run(**MOONS)
    p = resolve(spec)
    outs = scalar_outputs(body, spec, p.inputs)
    right = sum((o[0] > 0) == (y > 0) for o, y in zip(outs, p.targets))
    assert len(body["accuracy"]) == len(body["history"]) == 41
    assert body["accuracy"][-1] == right / len(p.inputs)
    assert body["accuracy"][-1] > body["accuracy"][0]


def test_accuracy_counts_classes_for_cross_entropy_and_is_null_for_regression() -> None:
    spec = {"dataset": "blobs", "layers": [6, 3], "loss": "cross_entropy", "steps": 10, "seed": 0}
    body = run(**spec)
    p = resolve(MLPSpec(**spec))
    outs = scalar_outputs(body, MLPSpec(**spec), p.inputs)
    right = sum(max(range(3), key=o.__getitem__) == y for o, y in zip(outs, p.targets))
    assert body["accuracy"][-1] == right / len(p.inputs)
    regression = run(nin=1, layers=[3, 1], inputs=[[0.0], [1.0], [2.0]], targets=[0.5, 0.2, 0.7], steps=3, seed=0)
    assert regression["accuracy"] is None
    lecture = run(nin=3, dataset="seeds", layers=[4, 4, 1], steps=3, seed=0)  # sse on +1/-1 targets: by sign
    assert len(lecture["accuracy"]) == 4


def test_grad_norms_are_each_layers_mean_abs_grad() -> None:
    body = run(**MOONS)
    norms = body["grad_norms"]
    assert len(norms) == 3 and all(len(layer) == 41 for layer in norms)
    # the last entry is the gradient at the final parameters: the scalar graph's grads, layer by layer
    sizes = [8 * 3, 8 * 9, 1 * 9]
    start = 0
    for layer, size in zip(norms, sizes):
        grads = [abs(q["grad"]) for q in body["parameters"][start : start + size]]
        assert layer[-1] == pytest.approx(sum(grads) / size, rel=1e-9)
        start += size
    assert start == len(body["parameters"])


def test_boundary_is_the_models_output_on_a_grid_over_the_data() -> None:
    spec = MLPSpec(**MOONS)
    body = run(**MOONS)
    b = body["boundary"]
    p = resolve(spec)
    assert len(b["x"]) == len(b["y"]) == 50 and len(b["z"]) == 50 and all(len(row) == 50 for row in b["z"])
    assert b["kind"] == "output"
    xs, ys = [x for x, _ in p.inputs], [y for _, y in p.inputs]
    assert b["x"][0] < min(xs) and b["x"][-1] > max(xs) and b["y"][0] < min(ys) and b["y"][-1] > max(ys)
    points = [(0, 0), (49, 49), (10, 37), (25, 3)]
    outs = scalar_outputs(body, spec, [[b["x"][j], b["y"][i]] for i, j in points])
    for (i, j), o in zip(points, outs):
        assert b["z"][i][j] == pytest.approx(o[0], rel=1e-9, abs=1e-12)
    fine = run(**{**MOONS, "boundary_resolution": 120})["boundary"]
    assert len(fine["x"]) == 120 and len(fine["z"][0]) == 120


def test_boundary_of_several_outputs_is_the_class_and_absent_without_two_inputs() -> None:
    spec = {"dataset": "blobs", "layers": [6, 3], "loss": "cross_entropy", "steps": 30, "seed": 0}
    body = run(**spec)
    b = body["boundary"]
    assert b["kind"] == "class" and {v for row in b["z"] for v in row} <= {0, 1, 2}
    out = scalar_outputs(body, MLPSpec(**spec), [[b["x"][7], b["y"][41]]])[0]
    assert b["z"][41][7] == max(range(3), key=out.__getitem__)
    assert run(nin=3, dataset="seeds", steps=1, seed=0)["boundary"] is None


def test_dead_and_saturated_neurons_are_flagged() -> None:
    xs = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.1]]
    # layer 1: relu; neuron 2 has weights 0 and bias -1 (dead); layer 2: tanh; neuron 1 has bias 5 (saturated)
    layer1 = [1.0, 0.5, 0.1, 0.0, 0.0, -1.0, -0.5, 1.0, 0.2]
    layer2 = [0.1, 0.1, 0.1, 5.0, 0.3, -0.2, 0.4, 0.0]
    out = [0.5, 0.5, 0.0]
    spec = {
        "nin": 2,
        "layers": [3, 2, 1],
        "activation": "relu",
        "output_activation": "tanh",
        "inputs": xs,
        "targets": [1.0, -1.0, 1.0],
        "initial_parameters": layer1 + layer2 + out,
    }
    body = run(**spec)
    assert body["neurons"] == {"dead": ["layer1/neuron2"], "saturated": []}
    spec["activation"] = "tanh"
    body = run(**spec)
    assert body["neurons"]["saturated"] == ["layer2/neuron1"] and body["neurons"]["dead"] == []
    nodes = {n["group"] for n in body["nodes"]}
    assert "layer2/neuron1" in nodes  # the flag names the graph's own group


def test_holdout_is_a_disjoint_split_scored_on_its_own() -> None:
    spec = MLPSpec(**{**MOONS, "holdout": 0.25})
    p = resolve(spec)
    assert len(p.inputs) == 75 and len(p.holdout_inputs) == 25
    every = resolve(MLPSpec(**MOONS)).inputs
    assert sorted(map(tuple, p.inputs + p.holdout_inputs)) == sorted(map(tuple, every))
    body = run(**{**MOONS, "holdout": 0.25})
    held = body["holdout"]
    outs = scalar_outputs(body, spec, p.holdout_inputs)
    hinge = sum(max(0.0, 1.0 - o[0] * y) for o, y in zip(outs, p.holdout_targets)) / 25
    assert held["loss"] == pytest.approx(hinge, rel=1e-9)
    assert held["accuracy"] == sum((o[0] > 0) == (y > 0) for o, y in zip(outs, p.holdout_targets)) / 25
    assert body["samples"] == {"train": 75, "holdout": 25, "graph": 75}
    assert run(**MOONS)["holdout"] is None


def test_mini_batches_train_differently_and_reproducibly() -> None:
    full, small = run(**MOONS), run(**{**MOONS, "batch_size": 16})
    again = run(**{**MOONS, "batch_size": 16})
    assert len(small["history"]) == 41 and small["history"] != full["history"]
    assert small["history"] == again["history"]
    assert small["history"][-1] < small["history"][0]


def test_progress_hears_every_entry_and_stop_cancels() -> None:
    heard: list[tuple[int, float]] = []
    p = resolve(MLPSpec(**MOONS))
    with fresh_tape():
        body = train(p, on_progress=lambda k, loss: heard.append((k, loss)))
    assert [k for k, _ in heard] == list(range(41))
    assert [x for _, x in heard][:-1] == body["history"][:-1]
    assert heard[-1][1] == pytest.approx(body["history"][-1], rel=1e-12)
    calls: list[int] = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled) as e:
        fit(p, should_stop=stop)
    assert e.value.step == 3


def test_parameters_hook_gives_what_a_live_boundary_needs() -> None:
    p = resolve(MLPSpec(**MOONS))
    seen: dict[int, list[float]] = {}
    rec = fit(p, on_parameters=lambda k, flat: seen.__setitem__(k, flat))
    assert sorted(seen) == list(range(41)) and seen[0] == pytest.approx(p.parameters, abs=0.0)
    assert seen[40] == rec.parameters and seen[5] != seen[6]
    assert boundary(p, seen[40]) == boundary(p, rec.parameters)


def test_big_data_gets_a_graph_of_the_samples_that_fit() -> None:
    body = run(dataset="digits", layers=[16, 10], loss="cross_entropy", init="he", steps=2, seed=0)
    n = body["samples"]["graph"]
    assert 1 <= n < body["samples"]["train"] == 1797 and len(body["nodes"]) <= 300_000
    assert sum(nd["role"] == "input" for nd in body["nodes"]) == 64 * n
    assert math.isfinite(body["loss"]) and any("the graph shows the first" in w for w in body["warnings"])


def _floats(obj: Any) -> list[float]:
    out: list[float] = []
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, float):
            out.append(x)
    return out


@pytest.mark.parametrize("extreme", [1e308, -1e308, 5e-324])
@pytest.mark.parametrize(("loss", "layers"), [("sse", [2, 1]), ("cross_entropy", [2, 3]), ("hinge", [3, 1])])
def test_extreme_numbers_leave_no_float_non_finite(extreme: float, loss: str, layers: list[int]) -> None:
    """Overflow in training, the boundary grid or the record is reported as "NaN"/"Infinity" strings."""
    targets = {"sse": [1.0, -1.0, 1.0], "cross_entropy": [0, 2, 1], "hinge": [1.0, -1.0, 1.0]}[loss]
    body = run(
        nin=2,
        layers=layers,
        loss=loss,
        inputs=[[extreme, 1.0], [-extreme, extreme], [0.5, -extreme]],
        targets=targets,
        learning_rate=extreme,
        l2=abs(extreme),
        steps=3,
        activation="linear",
        batch_size=2,
        holdout=0.34,
    )
    assert body["boundary"] is not None and body["holdout"] is not None
    assert all(math.isfinite(x) for x in _floats(body))


def test_recorded_steps_thin_to_the_cap() -> None:
    from gradwalk.training import recorded_steps

    assert recorded_steps(10, 5, 55) == list(range(11))  # all 11 entries fit
    assert recorded_steps(10, 5, 30) == [0, 2, 4, 6, 8, 10]  # 6 fit: every 2nd
    assert recorded_steps(10, 5, 20) == [0, 4, 8, 10]  # 4 fit: every 3rd is 0, 3, 6, 9, 10 (5); every 4th and the last
    assert recorded_steps(10, 5, 10) == [0, 10] and recorded_steps(10, 5, 9) == []  # not even the first and last
    assert recorded_steps(0, 5, 5) == [0] and recorded_steps(0, 5, 4) == []
    for steps, params, cap in ((10_000, 41, 100_000), (500, 1210, 100_000), (7, 3, 20)):
        chosen = recorded_steps(steps, params, cap)
        assert chosen[0] == 0 and chosen[-1] == steps and len(chosen) * params <= cap
        gaps = {b - a for a, b in itertools.pairwise(chosen[:-1])}
        assert len(gaps) <= 1  # one stride m, then the last


def test_fit_records_the_parameters_of_the_steps_asked() -> None:
    p = resolve(MLPSpec(**MOONS, parameter_history=True), Limits(max_parameter_history=4 * 105))
    assert p.parameter_steps == [0, 14, 28, 40]  # 105 parameters: room for 4 of 41 entries
    rec = fit(p)
    assert len(rec.parameter_history) == 4 and rec.parameter_history[-1] == rec.parameters
    assert rec.parameter_history[0] == p.parameters
    assert resolve(MLPSpec(**MOONS)).parameter_steps is None and fit(resolve(MLPSpec(**MOONS))).parameter_history == []
