"""gradwalk.nn and gradwalk.losses: micrograd's API, names, groups, initialisation, seeds, losses."""

from __future__ import annotations

import math
import random
import statistics
import subprocess
import sys

import pytest

from gradwalk import Value, fresh_tape
from gradwalk.losses import cross_entropy, hinge, l2_penalty, loss, mse, sse
from gradwalk.nn import MLP, Layer, Module, Neuron, initial_values, parameter_count, parameter_names
from gradwalk.trace import trace


def test_micrograd_api_shapes() -> None:
    with fresh_tape():
        net = MLP(3, [4, 4, 1], seed=0)
        assert isinstance(net, Module)
        assert len(net.parameters()) == 41 == parameter_count(3, [4, 4, 1])
        out = net([2.0, 3.0, -1.0])
        assert isinstance(out, Value)
        two = MLP(3, [4, 2], seed=0)([2.0, 3.0, -1.0])
        assert isinstance(two, list) and len(two) == 2
        assert repr(net).startswith("MLP of [Layer of [TanhNeuron(3)")
        layer = Layer(2, 3, "relu")
        assert len(layer.parameters()) == 9 and isinstance(layer([1.0, 2.0]), list)
        assert isinstance(Neuron(2)([1.0, 2.0]), Value)


def test_a_neuron_appends_the_nodes_micrograds_sum_would() -> None:
    """Neuron.__call__ appends its weighted sum in one call (engine.weighted_sum); the nodes, their
    order, their operands and every float must be what `sum((wi*xi ...), b)` makes."""
    rng = random.Random(3)
    ws = [rng.uniform(-1, 1) for _ in range(5)]
    xs = [rng.uniform(-1, 1) for _ in range(5)]

    def tape_of(fused: bool) -> tuple[list, list, list]:
        with fresh_tape() as tape:
            n = Neuron(5, "relu", weights=ws, bias=0.25, name="layer1/neuron1")
            x = [Value(v) for v in xs]
            if fused:
                out = n(x)
            else:
                with tape.group("layer1/neuron1"):
                    out = sum((wi * xi for wi, xi in zip(n.w, x)), n.b).relu()
            out.backward()
            groups = [tape.group_of(i) for i in range(len(tape))]
            return tape.rows[:], tape.data[:], tape.grad[:] + groups

    fused, plain = tape_of(True), tape_of(False)
    assert fused[0] == plain[0] and fused[1] == plain[1] and fused[2] == plain[2]  # == on floats: bit for bit
    with fresh_tape() as tape:  # numbers among the inputs: Python's sum, const leaves and all
        n = Neuron(2, "linear", weights=[2.0, 3.0], bias=1.0)
        assert n([Value(1.0), 2]).data == 9.0 and tape.kind(len(tape) - 3) == 2  # 2 became a CONST leaf
        size = len(tape)
        with fresh_tape():
            stranger = Value(1.0)  # another tape's Value: refused, as Python's sum refuses it
        with pytest.raises(ValueError, match="different tapes"):
            n([Value(1.0), stranger])
        assert len(tape) == size + 3  # the Value(1.0), then the mul and add sum made before the stranger
        # a generator of inputs, numbers among them: read once, as micrograd's zip reads it
        n3 = Neuron(3, "linear", weights=[0.01, 0.02, 0.03], bias=0.1)
        listed = n3([Value(1.0), 2, 4]).data
        assert n3(v for v in [Value(1.0), 2, 4]).data == listed == 0.1 + 0.01 + 0.04 + 0.12
        n3.w[1] = 0.25  # a number as a weight (micrograd's __rmul__ takes it): Python's sum, no stray nodes
        assert n3([Value(1.0), Value(2.0), Value(4.0)]).data == 0.1 + 0.01 + 0.5 + 0.12


def test_neuron_is_activation_of_weighted_sum_plus_bias() -> None:
    with fresh_tape():
        n = Neuron(2, "tanh", weights=[-3.0, 1.0], bias=6.8813735870195432)
        o = n([2.0, 0.0])  # seed 002's neuron
        assert o.data == pytest.approx(0.7071067811865476, rel=1e-15)
        o.backward()
        assert n.w[0].grad == pytest.approx(1.0, rel=1e-12)  # x1 * (1 - o**2) = 2 * 0.5
        assert n.w[1].grad == 0.0
        for act, f in (
            ("relu", lambda z: max(z, 0.0)),
            ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
            ("linear", lambda z: z),
        ):
            m = Neuron(2, act, weights=[0.5, -0.25], bias=0.1)
            assert m([1.0, 2.0]).data == pytest.approx(f(0.5 - 0.5 + 0.1), rel=1e-15)


def test_zero_grad_and_backward_accumulate_like_micrograd() -> None:
    with fresh_tape():
        net = MLP(2, [3, 1], seed=4)
        out = net([1.0, -1.0])
        out.backward()
        grads = [p.grad for p in net.parameters()]
        assert any(g != 0.0 for g in grads)
        net.zero_grad()
        assert all(p.grad == 0.0 for p in net.parameters())


def test_parameter_names_are_labels_in_parameters_order() -> None:
    with fresh_tape():
        net = MLP(2, [3, 2], seed=1)
        labels = [p.label for p in net.parameters()]
    assert labels == parameter_names(2, [3, 2])
    assert labels[:3] == ["layer1.neuron1.w0", "layer1.neuron1.w1", "layer1.neuron1.b"]
    assert labels[-1] == "layer2.neuron2.b" and labels[-4] == "layer2.neuron2.w0"
    assert all(p.role == "param" for p in net.parameters())


def test_every_node_a_neuron_creates_carries_its_group() -> None:
    with fresh_tape():
        net = MLP(3, [4, 2], "relu", "sigmoid", seed=2)
        out = net.outputs([2.0, 3.0, -1.0])
        g = trace(loss("sse", [out], [[0.0, 1.0]]))
    by_id = {n["id"]: n for n in g["nodes"]}
    groups = {n["group"] for n in g["nodes"]}
    assert groups == {"input"} | {"loss"} | {f"layer1/neuron{j}" for j in range(1, 5)} | {
        "layer2/neuron1",
        "layer2/neuron2",
    }
    for n in g["nodes"]:
        if n["role"] == "param":
            i, j = n["label"].split(".")[:2]
            assert n["group"] == f"{i}/{j}"
        if n["role"] == "input":
            assert n["group"] == "input" and n["label"] in {"x0", "x1", "x2"}
        if n["op"] in ("relu", "sigmoid"):
            assert n["group"].startswith("layer")
    # the inputs are made once and shared by the four neurons of layer 1: fan-out shows
    inputs = [n["id"] for n in g["nodes"] if n["role"] == "input"]
    assert len(inputs) == 3
    for x in inputs:
        consumers = {by_id[e["target"]]["group"] for e in g["edges"] if e["source"] == x}
        assert consumers == {f"layer1/neuron{j}" for j in range(1, 5)}


def test_linear_activation_adds_no_node() -> None:
    with fresh_tape() as tape:
        Neuron(2, "linear", weights=[1.0, 2.0], bias=0.0)([1.0, 1.0])
        n_linear = len(tape)
    with fresh_tape() as tape:
        Neuron(2, "tanh", weights=[1.0, 2.0], bias=0.0)([1.0, 1.0])
        assert len(tape) == n_linear + 1


def test_seed_gives_the_same_network_and_leaves_the_global_rng_alone() -> None:
    random.seed(12345)
    state = random.getstate()
    a = initial_values(3, [4, 4, 1], "uniform", seed=7)
    b = initial_values(3, [4, 4, 1], "uniform", seed=7)
    assert a == b and a != initial_values(3, [4, 4, 1], "uniform", seed=8)
    with fresh_tape():
        assert [p.data for p in MLP(3, [4, 4, 1], seed=7).parameters()] == a
        MLP(3, [4, 4, 1])  # unseeded: a private RNG too
    assert random.getstate() == state
    assert all(-1.0 <= v <= 1.0 for v in a)


def test_seed_is_the_same_in_another_process() -> None:
    code = "from gradwalk.nn import initial_values as f; print([repr(v) for v in f(3, [4, 4, 1], 'he', 11)])"
    env_out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "97"}
    ).stdout.strip()
    assert env_out == str([repr(v) for v in initial_values(3, [4, 4, 1], "he", 11)])


@pytest.mark.parametrize(("init", "expected_std"), [("he", math.sqrt(2 / 400)), ("xavier", math.sqrt(2 / 500))])
def test_he_and_xavier_are_scaled_normals_with_zero_biases(init: str, expected_std: float) -> None:
    values = initial_values(400, [100], init, seed=3)
    weights = [v for k, v in enumerate(values) if k % 401 != 400]
    biases = values[400::401]
    assert biases == [0.0] * 100
    assert statistics.pstdev(weights) == pytest.approx(expected_std, rel=0.02)
    assert abs(statistics.fmean(weights)) < 0.01 * expected_std * 10


def test_bad_arguments_raise() -> None:
    with fresh_tape():
        with pytest.raises(ValueError, match="41 parameters"):
            MLP(3, [4, 4, 1], initial_parameters=[0.0] * 40)
        with pytest.raises(ValueError, match="unknown activation"):
            MLP(3, [1], activation="gelu")
        with pytest.raises(ValueError, match="at least one layer"):
            MLP(3, [])
        with pytest.raises(ValueError, match="takes 3 inputs"):
            MLP(3, [1], seed=0)([1.0, 2.0])
        with pytest.raises(ValueError, match="unknown init"):
            initial_values(3, [1], "orthogonal")


# ------------------------------------------------------------------ losses


def _leaves(rows: list[list[float]]) -> list[list[Value]]:
    return [[Value(v) for v in row] for row in rows]


def test_sse_and_mse() -> None:
    with fresh_tape():
        preds = _leaves([[0.5, -1.0], [2.0, 0.0]])
        targets = [[1.0, 1.0], [0.0, 0.5]]
        expected = 0.25 + 4.0 + 4.0 + 0.25
        assert sse(preds, targets).data == expected
        m = mse(preds, targets)
        assert m.data == expected / 4
        m.backward()
        assert preds[0][1].grad == pytest.approx(2 * (-1.0 - 1.0) / 4)


def test_cross_entropy_is_stable_and_correct() -> None:
    with fresh_tape():
        preds = _leaves([[1.0, 3.0, 2.0], [1000.0, 0.0, -1000.0]])
        ce = cross_entropy(preds, [1, 0])
        expected0 = -math.log(0.66524096 / (0.09003057 + 0.66524096 + 0.24472847))  # seed 003's softmax example
        assert ce.data == pytest.approx((expected0 + 0.0) / 2, rel=1e-7)
        ce.backward()
        # d/dz softmax-CE = (softmax - onehot) / N
        assert preds[0][1].grad == pytest.approx((0.66524096 - 1) / 2, rel=1e-7)
        assert all(math.isfinite(v.grad) for row in preds for v in row)
        assert preds[1][0].grad == 0.0 and preds[1][2].grad == 0.0


def test_hinge_and_l2() -> None:
    with fresh_tape():
        preds = _leaves([[0.5], [-2.0], [3.0]])
        h = hinge(preds, [1.0, -1.0, -1.0])
        assert h.data == pytest.approx((0.5 + 0.0 + 4.0) / 3)
        params = [Value(1.5), Value(-2.0)]
        pen = l2_penalty(params, 0.1)
        assert pen.data == pytest.approx(0.1 * (2.25 + 4.0))
        total = loss("hinge", preds, [1.0, -1.0, -1.0], params, l2=0.1)
        total.backward()
        assert total.data == pytest.approx(h.data + pen.data)
        assert params[0].grad == pytest.approx(0.1 * 2 * 1.5)
        with pytest.raises(ValueError, match="unknown loss"):
            loss("huber", preds, [1.0, -1.0, -1.0])


def test_loss_nodes_are_in_the_loss_group() -> None:
    with fresh_tape():
        net = MLP(2, [2, 3], seed=0)
        root = loss("cross_entropy", [net.outputs([1.0, 2.0])], [2], net.parameters(), l2=0.5)
        g = trace(root)
    out = next(n for n in g["nodes"] if n["id"] == g["output"])
    assert out["group"] == "loss"
    assert any(n["op"] == "exp" and n["group"] == "loss" for n in g["nodes"])
    assert all(n["group"] in ("loss", "input") or n["group"].startswith("layer") for n in g["nodes"])
