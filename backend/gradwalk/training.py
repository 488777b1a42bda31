"""Train an MLP spec with full-batch SGD and return the graph at the final parameters.

    >>> from gradwalk.training import MLPSpec, train
    >>> r = train(MLPSpec(nin=3, layers=[4, 4, 1], dataset="seeds", seed=1, learning_rate=0.1, steps=20))
    >>> len(r["history"]), r["history"][-1] < r["history"][0]
    (21, True)

`train` is pure: a spec in, plain dicts out (no web code). Each SGD step builds on a
fresh tape (parameters re-created as leaves from plain floats, loss, backward,
`p -= lr * grad`), so memory stays flat however many steps run; the final forward and
backward pass is built on the caller's tape and traced (`gradwalk.trace`).
`history[k]` is the loss after k updates (steps + 1 entries). The work (nodes per pass
x passes) is counted exactly before anything is computed, so a request over budget is
refused at once.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import datasets, losses, progress
from .engine import Value
from .limits import Limits
from .nn import INITS, MLP, initial_values, parameter_count, parameter_names
from .ops import ACTIVATIONS
from .tape import fresh_tape
from .trace import graph, record

Number = int | float
Json = dict[str, Any]


class SpecError(ValueError):
    """A spec that cannot be trained; `kind` is "invalid_spec" or "over_budget"."""

    def __init__(self, msg: str, kind: str = "invalid_spec") -> None:
        super().__init__(msg)
        self.kind = kind


@dataclass
class MLPSpec:
    """What to build and train (docs/api.md, "MLP"). Either inputs/targets or a dataset name."""

    nin: int | None = None
    layers: list[int] = field(default_factory=lambda: [4, 4, 1])
    activation: str = "tanh"
    output_activation: str = "tanh"
    loss: str | None = None  # None: the dataset's suggested loss, else "sse"
    inputs: list[list[float]] | None = None
    targets: list[Any] | None = None
    dataset: str | None = None
    learning_rate: float = 0.1
    steps: int = 0
    seed: int | None = None
    init: str = "uniform"
    initial_parameters: list[float] | None = None
    l2: float = 0.0


@dataclass
class Problem:
    """A checked spec: every field resolved and in the form the loss functions take."""

    nin: int
    layers: list[int]
    activation: str
    output_activation: str
    loss: str
    inputs: list[list[float]]
    targets: list[Any]
    learning_rate: float
    steps: int
    l2: float
    parameters: list[float]


# ------------------------------------------------------------------ checking


def _finite(x: object, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise SpecError(f"{where} must be a number, got {x!r}")
    try:
        f = float(x)
    except OverflowError:
        raise SpecError(f"{where} is too large for a double") from None
    if not math.isfinite(f):
        raise SpecError(f"{where} must be a finite number, got {x!r}")
    return f


def _count(x: object, where: str, least: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise SpecError(f"{where} must be an integer, got {x!r}")
    if x < least:
        raise SpecError(f"{where} must be at least {least}, got {x}")
    return x


def _one_number(y: object, where: str) -> float:
    if isinstance(y, (list, tuple)):
        if len(y) != 1:
            raise SpecError(f"{where} has {len(y)} numbers; the network has 1 output")
        y = y[0]
    return _finite(y, where)


def _targets(loss: str, raw: Sequence[Any], outputs: int) -> list[Any]:
    if loss == "cross_entropy":
        if outputs < 2:
            raise SpecError("cross_entropy needs an output layer of at least 2 neurons (one per class)")
        out_ce: list[int] = []
        for s, y in enumerate(raw):
            if isinstance(y, bool) or not isinstance(y, int):
                raise SpecError(f"targets[{s}] must be a class index (an integer) for cross_entropy, got {y!r}")
            if not 0 <= y < outputs:
                raise SpecError(f"targets[{s}] = {y} is not a class index of this network: use 0 to {outputs - 1}")
            out_ce.append(y)
        return out_ce
    if loss == "hinge":
        if outputs != 1:
            raise SpecError(f"hinge takes one output (a score); the last layer has {outputs} neurons")
        out_h: list[float] = []
        for s, y in enumerate(raw):
            v = _one_number(y, f"targets[{s}]")
            if v not in (-1.0, 1.0):
                raise SpecError(f"targets[{s}] = {v:g}: hinge targets must be -1 or 1")
            out_h.append(v)
        return out_h
    out: list[list[float]] = []
    for s, y in enumerate(raw):
        if outputs == 1:
            out.append([_one_number(y, f"targets[{s}]")])
            continue
        if not isinstance(y, (list, tuple)) or len(y) != outputs:
            got = f"{len(y)} numbers" if isinstance(y, (list, tuple)) else repr(y)
            raise SpecError(f"targets[{s}] must be a list of {outputs} numbers (one per output), got {got}")
        out.append([_finite(v, f"targets[{s}][{k}]") for k, v in enumerate(y)])
    return out


def resolve(spec: MLPSpec, limits: Limits | None = None) -> Problem:
    """Check `spec` and resolve dataset, loss, targets and initial parameters; raise SpecError."""
    limits = limits or Limits()
    if not isinstance(spec.layers, (list, tuple)) or not spec.layers:
        raise SpecError("layers must list the neurons of each layer (at least one layer; the last is the outputs)")
    layers = [_count(n, f"layers[{i}]", 1) for i, n in enumerate(spec.layers)]
    for name, value in (("activation", spec.activation), ("output_activation", spec.output_activation)):
        if value not in ACTIVATIONS:
            raise SpecError(f"unknown {name} {value!r}; use one of {', '.join(ACTIVATIONS)}")
    if spec.init not in INITS:
        raise SpecError(f"unknown init {spec.init!r}; use one of {', '.join(INITS)}")
    outputs = layers[-1]

    if spec.dataset is not None:
        if spec.inputs is not None or spec.targets is not None:
            raise SpecError("give either a dataset or inputs and targets, not both")
        try:
            ds = datasets.load(spec.dataset, spec.seed)
        except ValueError as e:
            raise SpecError(str(e)) from None
        if spec.nin is not None and spec.nin != ds.nin:
            raise SpecError(f"dataset {ds.name!r} has {ds.nin} inputs per sample; nin is {spec.nin}")
        nin = ds.nin
        loss = spec.loss or ds.loss
        if ds.classes > 2 and loss == "hinge":
            raise SpecError(f"dataset {ds.name!r} has {ds.classes} classes; hinge takes two (+1/-1): use cross_entropy")
        if ds.classes > 2 and loss != "cross_entropy" and outputs != ds.classes:
            raise SpecError(f"dataset {ds.name!r} has {ds.classes} classes: use {ds.classes} outputs for {loss}")
        inputs: list[list[float]] = ds.inputs
        raw_targets: Sequence[Any] = datasets.targets_for(ds, loss, outputs)
    else:
        if spec.nin is None:
            raise SpecError("nin (inputs per sample) is required unless a dataset is named")
        nin = _count(spec.nin, "nin", 1)
        loss = spec.loss or "sse"
        if spec.inputs is None or spec.targets is None:
            raise SpecError("give inputs and targets (one target per sample), or name a dataset")
        if not spec.inputs:
            raise SpecError("inputs is empty: give at least one sample")
        if len(spec.inputs) > limits.max_samples:
            raise SpecError(
                f"{len(spec.inputs)} samples is over the limit max_samples = {limits.max_samples}", "over_budget"
            )
        inputs = []
        for s, x in enumerate(spec.inputs):
            if not isinstance(x, (list, tuple)) or len(x) != nin:
                got = f"{len(x)} numbers" if isinstance(x, (list, tuple)) else repr(x)
                raise SpecError(f"inputs[{s}] must be a list of nin = {nin} numbers, got {got}")
            inputs.append([_finite(v, f"inputs[{s}][{k}]") for k, v in enumerate(x)])
        if len(spec.targets) != len(inputs):
            raise SpecError(f"{len(inputs)} samples in inputs but {len(spec.targets)} targets: give one per sample")
        raw_targets = spec.targets
    if loss not in losses.LOSSES:
        raise SpecError(f"unknown loss {loss!r}; use one of {', '.join(losses.LOSSES)}")
    targets = _targets(loss, raw_targets, outputs)

    steps = _count(spec.steps, "steps", 0)
    if steps > limits.max_steps:
        raise SpecError(f"steps = {steps} is over the limit max_steps = {limits.max_steps}", "over_budget")
    learning_rate = _finite(spec.learning_rate, "learning_rate")
    l2 = _finite(spec.l2, "l2")
    if l2 < 0:
        raise SpecError(f"l2 must be >= 0, got {l2:g}")
    if spec.seed is not None and (isinstance(spec.seed, bool) or not isinstance(spec.seed, int)):
        raise SpecError(f"seed must be an integer, got {spec.seed!r}")

    # before any parameter is drawn: a huge network is refused without being built
    _check_graph_size(nin, layers, spec.activation, spec.output_activation, loss, len(inputs), l2, steps, limits)
    count = parameter_count(nin, layers)
    if spec.initial_parameters is not None:
        if len(spec.initial_parameters) != count:
            raise SpecError(
                f"MLP({nin}, {layers}) has {count} parameters (weights then bias, neuron by neuron);"
                f" initial_parameters has {len(spec.initial_parameters)}"
            )
        params = [_finite(v, f"initial_parameters[{k}]") for k, v in enumerate(spec.initial_parameters)]
    else:
        params = initial_values(nin, layers, spec.init, spec.seed)
    return Problem(
        nin, layers, spec.activation, spec.output_activation, loss, inputs, targets, learning_rate, steps, l2, params
    )


def count_nodes(
    nin: int, layers: Sequence[int], activation: str, output_activation: str, loss: str, samples: int, l2: float
) -> int:
    """Exactly how many tape nodes one forward pass of the loss creates (parameters included)."""
    sizes = [nin, *layers]
    params = parameter_count(nin, layers)
    per_sample = nin  # input leaves
    for i, n in enumerate(layers):
        act = output_activation if i == len(layers) - 1 else activation
        per_sample += n * (2 * sizes[i] + (act != "linear"))  # a mul and an add per weight, the activation
    m = layers[-1]
    if loss in ("sse", "mse"):
        loss_nodes = samples * m * 5 - 1 + (2 if loss == "mse" else 0)  # const, sub, const, pow; adds; / N
    elif loss == "cross_entropy":
        loss_nodes = samples * (4 * m + 1) + samples - 1 + 2  # per logit const, sub, exp, add; log, sub; / N
    else:
        loss_nodes = samples * 6 - 1 + 2  # const, mul, const, sub, relu, add; / N
    l2_nodes = 3 * params + 2 if l2 > 0 else 0  # pow, const, add per parameter; const, mul, final add
    return params + samples * per_sample + loss_nodes + l2_nodes


def graph_size(p: Problem) -> int:
    """The node count of the graph `train(p)` returns, known before any training."""
    return count_nodes(p.nin, p.layers, p.activation, p.output_activation, p.loss, len(p.inputs), p.l2)


def _check_graph_size(
    nin: int,
    layers: Sequence[int],
    activation: str,
    output_activation: str,
    loss: str,
    samples: int,
    l2: float,
    steps: int,
    limits: Limits,
) -> None:
    nodes = count_nodes(nin, layers, activation, output_activation, loss, samples, l2)
    if nodes > limits.max_nodes:
        raise SpecError(
            f"this network on {samples} sample(s) makes a graph of {nodes:,} nodes, over the limit"
            f" max_nodes = {limits.max_nodes:,}: use fewer or smaller layers or fewer samples",
            "over_budget",
        )
    work = nodes * (steps + 1)
    if work > limits.max_work:
        raise SpecError(
            f"{steps} steps on a graph of {nodes:,} nodes is {work:,} node evaluations (nodes x (steps + 1)),"
            f" over the limit max_work = {limits.max_work:,}: use fewer steps, samples or neurons",
            "over_budget",
        )


# ------------------------------------------------------------------ training


def build_loss(p: Problem, parameters: Sequence[float], labelled: bool = True) -> tuple[Value, MLP]:
    """The loss of the whole batch at `parameters`, built on the current tape."""
    net = MLP(p.nin, p.layers, p.activation, p.output_activation, initial_parameters=parameters, labelled=labelled)
    many = len(p.inputs) > 1
    preds = [net.outputs(x, f"s{s}." if many and labelled else "") for s, x in enumerate(p.inputs)]
    return losses.loss(p.loss, preds, p.targets, net.parameters(), p.l2), net


def sgd(p: Problem) -> tuple[list[float], list[float]]:
    """`p.steps` full-batch SGD updates; returns (parameters after them, loss before each update)."""
    values = list(p.parameters)
    history: list[float] = []
    lr = p.learning_rate
    for step in range(p.steps):
        with fresh_tape() as tape:
            root, net = build_loss(p, values, labelled=False)
            tape.backward(root._i)
            grad = tape.grad
            history.append(tape.data[root._i])
            values = [v - lr * grad[w._i] for v, w in zip(values, net.parameters())]
        progress.tick(step + 1, history[-1])  # the deadline, and the loss for a streaming client
    return values, history


def _num(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def training_warnings(history: Sequence[float], learning_rate: float) -> list[str]:
    """Say plainly when training made the loss worse, and why it probably did."""
    if len(history) < 2:
        return []
    bad = next((k for k, x in enumerate(history) if not math.isfinite(x)), None)
    if bad is not None:
        if bad == 0:
            return [f"the loss is {_num(history[0])} at the initial parameters"]
        return [
            f"the loss became {_num(history[bad])} after {bad} update(s) (it was {history[0]:.6g}):"
            f" training diverged{' (is the learning rate too large?)' if learning_rate > 0 else ''}"
        ]
    first, last, steps = history[0], history[-1], len(history) - 1
    if last <= first:
        return []
    msg = f"loss rose from {first:.6g} to {last:.6g} over {steps} steps: "
    if learning_rate < 0:
        msg += (
            f"the update goes up the gradient (is the learning rate negative? it is {learning_rate:g}, and"
            " p -= learning_rate * grad then climbs the loss)"
        )
    elif learning_rate == 0:
        msg += "the learning rate is 0"
    else:
        msg += f"the learning rate ({learning_rate:g}) may be too large"
    return [msg]


def train(spec: MLPSpec | Problem, limits: Limits | None = None) -> Json:
    """Check, train and trace: Graph JSON plus "loss", "history" and "parameters" (docs/api.md, "MLP")."""
    p = spec if isinstance(spec, Problem) else resolve(spec, limits)
    values, history = sgd(p)
    root, net = build_loss(p, values)  # on the caller's tape: this is the graph returned
    rec = record(root)
    result = graph(root, rec)
    final = rec.tape.data[rec.root]
    history.append(final)
    order, g = rec.order, rec.grad
    names = parameter_names(p.nin, p.layers)
    params: list[Json] = []
    for name, v in zip(names, net.parameters()):
        i = v._i
        k = bisect_left(order, i)
        params.append(
            {
                "name": name,
                "node": f"n{k}" if k < len(order) and order[k] == i else None,
                "data": _num(rec.tape.data[i]),
                "grad": _num(g[i]),
            }
        )
    result["loss"] = _num(final)
    result["history"] = [_num(x) for x in history]
    result["parameters"] = params
    result["warnings"] = [*result["warnings"], *training_warnings(history, p.learning_rate)]
    return result
