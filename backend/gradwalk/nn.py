"""Neurons, layers and MLPs with micrograd's API, on gradwalk's `Value`.

    >>> from gradwalk.nn import MLP
    >>> net = MLP(3, [4, 4, 1], seed=0)       # the lecture's network, same weights on every machine
    >>> out = net([2.0, 3.0, -1.0]); out.backward()
    >>> len(net.parameters())
    41

Differences from micrograd, all optional: hidden and output activations
(tanh, relu, sigmoid, linear; tanh/tanh as in the lecture), initialisation
("uniform" in [-1, 1] as in the lecture, "he" or "xavier" normal as in the numpy classifier of the course, or
explicit `initial_parameters` in `parameters()` order), a private `random.Random(seed)`
so a seed gives the same network everywhere, and names: parameters are labelled
`layer{i}.neuron{j}.w{k}` / `.b` and every node a neuron creates carries the tape group
`layer{i}/neuron{j}`, so a view can collapse a neuron into one box. The inputs of a
sample become input leaves (group "input") shared by every neuron of layer 1.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Iterable, Sequence

from .engine import Value, weighted_sum
from .ops import ACTIVATIONS
from .tape import current_tape

Number = int | float
INITS: tuple[str, ...] = ("uniform", "he", "xavier")


def activate(x: Value, activation: str) -> Value:
    """Apply a named activation (a function of the op table); "linear" is the identity (no node)."""
    if activation == "linear":
        return x
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; use one of {', '.join(ACTIVATIONS)}")
    method: Callable[[Value], Value] = getattr(Value, activation)
    return method(x)


def parameter_names(nin: int, nouts: Sequence[int]) -> list[str]:
    """Names of every parameter in `MLP.parameters()` order: each neuron's weights, then its bias."""
    names: list[str] = []
    fan_in = nin
    for i, nout in enumerate(nouts, start=1):
        for j in range(1, nout + 1):
            prefix = f"layer{i}.neuron{j}."
            names.extend(f"{prefix}w{k}" for k in range(fan_in))
            names.append(prefix + "b")
        fan_in = nout
    return names


def parameter_count(nin: int, nouts: Sequence[int]) -> int:
    sizes = [nin, *nouts]
    return sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))


def initial_values(nin: int, nouts: Sequence[int], init: str = "uniform", seed: int | None = None) -> list[float]:
    """Initial parameters, flat in `parameters()` order, from a private RNG.

    uniform: every weight and bias uniform in [-1, 1] (the lecture's Neuron, weights then bias).
    he: weights normal * sqrt(2 / fan_in), biases 0 (seed 003's ReLU gain).
    xavier: weights normal * sqrt(2 / (fan_in + fan_out)) (Glorot; torch.nn.init.xavier_normal_), biases 0.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; use one of {', '.join(INITS)}")
    rng = random.Random(seed)
    values: list[float] = []
    fan_in = nin
    for nout in nouts:
        if init == "uniform":
            for _ in range(nout):
                values.extend(rng.uniform(-1.0, 1.0) for _ in range(fan_in + 1))
        else:
            std = math.sqrt(2.0 / fan_in) if init == "he" else math.sqrt(2.0 / (fan_in + nout))
            for _ in range(nout):
                values.extend(rng.gauss(0.0, 1.0) * std for _ in range(fan_in))
                values.append(0.0)
        fan_in = nout
    return values


NO_GROUP = contextlib.nullcontext()


class Module:
    """micrograd's base class: `parameters()` and `zero_grad()`."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    """activation(sum_k w_k * x_k + b), built as micrograd does: sum((wi*xi ...), b)."""

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        *,
        weights: Sequence[Number] | None = None,
        bias: Number | None = None,
        name: str = "",
        rng: random.Random | None = None,
        labelled: bool = True,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; use one of {', '.join(ACTIVATIONS)}")
        rng = rng or random.Random()
        if weights is None:
            weights = [rng.uniform(-1.0, 1.0) for _ in range(nin)]
        if bias is None:
            bias = rng.uniform(-1.0, 1.0)
        if len(weights) != nin:
            raise ValueError(f"a neuron with {nin} inputs needs {nin} weights, got {len(weights)}")
        self.activation = activation
        self.name = name  # "layer1/neuron3": the tape group of every node this neuron creates
        prefix = name.replace("/", ".") + "." if name and labelled else ""
        with current_tape().group(name or None):
            leaf = Value.leaf
            if prefix:
                self.w = [leaf(w, "param", f"{prefix}w{k}") for k, w in enumerate(weights)]
                self.b = leaf(bias, "param", prefix + "b")
            else:
                self.w = [leaf(w, "param") for w in weights]
                self.b = leaf(bias, "param")

    def __call__(self, x: Iterable[Value | Number]) -> Value:
        b = self.b
        x = x if isinstance(x, Sequence) else list(x)  # read twice when the fast path falls back
        with b._tape.group(self.name) if self.name else NO_GROUP:  # unnamed: training steps' throwaway tapes
            act = weighted_sum(self.w, x, b)  # the very nodes of the sum below, in one call: the hot loop
            if act is None:  # numbers among the inputs, or another tape: Python's own sum, to the letter
                act = sum((wi * xi for wi, xi in zip(self.w, x)), b)
            return activate(act, self.activation)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{self.activation.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin: int, nout: int, activation: str = "tanh", **kwargs: object) -> None:
        self.neurons = [Neuron(nin, activation, **kwargs) for _ in range(nout)]  # type: ignore[arg-type]

    def outputs(self, x: Sequence[Value | Number]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """micrograd's MLP(nin, nouts), plus activations, initialisation, seed and names.

    `initial_parameters` is a flat list in `parameters()` order (layer by layer, neuron
    by neuron, its weights then its bias); otherwise `init` and `seed` choose them.
    `labelled=False` builds it without labels and groups: the throwaway tapes of training steps.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str = "tanh",
        init: str = "uniform",
        seed: int | None = None,
        initial_parameters: Sequence[Number] | None = None,
        *,
        labelled: bool = True,
    ) -> None:
        if nin < 1 or not nouts or any(n < 1 for n in nouts):
            raise ValueError(f"an MLP needs nin >= 1 and at least one layer of >= 1 neurons, got {nin}, {list(nouts)}")
        for a in (activation, output_activation):
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}; use one of {', '.join(ACTIVATIONS)}")
        count = parameter_count(nin, nouts)
        if initial_parameters is None:
            values: Sequence[Number] = initial_values(nin, nouts, init, seed)
        else:
            values = initial_parameters
            if len(values) != count:
                raise ValueError(
                    f"MLP({nin}, {list(nouts)}) has {count} parameters; initial_parameters has {len(values)}"
                )
        self.nin = nin
        self.nouts = list(nouts)
        self.layers: list[Layer] = []
        pos, fan_in = 0, nin
        for i, nout in enumerate(nouts, start=1):
            layer = Layer.__new__(Layer)
            act = output_activation if i == len(nouts) else activation
            layer.neurons = []
            for j in range(1, nout + 1):
                ws = values[pos : pos + fan_in]
                bias = values[pos + fan_in]
                name = f"layer{i}/neuron{j}" if labelled else ""
                layer.neurons.append(Neuron(fan_in, act, weights=ws, bias=bias, name=name, labelled=labelled))
                pos += fan_in + 1
            self.layers.append(layer)
            fan_in = nout

    def inputs(self, x: Sequence[Value | Number], prefix: str = "") -> list[Value]:
        """The sample's input leaves (group "input", labels x0, x1, ...): made once, shared by layer 1."""
        if len(x) != self.nin:
            raise ValueError(f"this MLP takes {self.nin} inputs, got {len(x)}")
        if all(isinstance(xi, Value) for xi in x):
            return list(x)  # type: ignore[arg-type]
        with current_tape().group("input"):
            return [xi if isinstance(xi, Value) else Value.leaf(xi, "input", f"{prefix}x{k}") for k, xi in enumerate(x)]

    def outputs(self, x: Sequence[Value | Number], prefix: str = "") -> list[Value]:
        """The output layer's values as a list (even for one output)."""
        act: list[Value] = self.inputs(x, prefix)
        for layer in self.layers:
            act = layer.outputs(act)
        return act

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
