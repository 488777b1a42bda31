"""Train an MLP spec with SGD and return the graph at the final parameters.

    >>> from gradwalk.training import MLPSpec, train
    >>> r = train(MLPSpec(nin=3, layers=[4, 4, 1], dataset="seeds", seed=1, learning_rate=0.1, steps=20))
    >>> len(r["history"]), r["history"][-1] < r["history"][0]
    (21, True)

`train` is pure: a spec in, plain dicts out (no web code). The SGD steps run on numpy
matrices (`gradwalk.vectorised`, the scalar engine's numbers to rounding); only the graph
returned, the forward and backward pass at the final parameters, is built from `Value`s
on the caller's tape and traced (`gradwalk.trace`). `scalar_sgd` is the same training on
the scalar engine, kept as the reference the vectorised path is tested against.
`history[k]` is the loss over the training samples after k updates (steps + 1 entries);
with `parameter_history`, `parameter_history[i]` is the parameters of entry `parameter_steps[i]`
(the graph rebuilt from them with steps=0 has the loss `history[parameter_steps[i]]`).
Every limit (steps, samples, graph nodes, training work, boundary grid) is checked from
the spec alone, before anything is computed. `train(..., on_progress=, should_stop=)`
reports each history entry and stops (raising `Cancelled`) when asked.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import datasets, losses, progress, vectorised
from .engine import Value
from .limits import Limits
from .nn import INITS, MLP, initial_values, parameter_count, parameter_names
from .ops import ACTIVATIONS
from .tape import fresh_tape
from .trace import graph, record

Number = int | float
Json = dict[str, Any]


class Cancelled(Exception):
    """Training stopped because `should_stop()` said so (the client went away); `step` is where."""

    def __init__(self, step: int) -> None:
        super().__init__(f"training cancelled at step {step}")
        self.step = step


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
    batch_size: int | None = None  # None: full batch
    learning_rate_end: float | None = None  # linear decay to it over the steps; None: constant
    holdout: float = 0.0  # fraction of the samples held out of training, drawn with the seed
    graph_samples: int | None = None  # samples in the returned graph; None: all that fit max_nodes
    boundary_resolution: int = 50  # grid points per axis of the decision boundary (nin = 2)
    parameter_history: bool = False  # also return the parameters after each step (thinned to max_parameter_history)


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
    batch_size: int | None = None  # None (or >= the samples): full batch
    learning_rate_end: float | None = None
    batch_seed: int = 0  # the RNG of the mini-batches
    holdout_inputs: list[list[float]] = field(default_factory=list)
    holdout_targets: list[Any] = field(default_factory=list)
    graph_samples: int = 0  # the first graph_samples training samples make the returned graph
    boundary_resolution: int = 50
    accuracy: str | None = None  # how accuracy is counted: "class", "onehot", "sign"; None: not classification
    parameter_steps: list[int] | None = None  # the history entries whose parameters are returned; None: not asked

    def learning_rate_at(self, step: int) -> float:
        """The learning rate of update `step` (0-based): constant, or linear from learning_rate to learning_rate_end."""
        if self.learning_rate_end is None or self.steps == 0:
            return self.learning_rate
        return self.learning_rate + (self.learning_rate_end - self.learning_rate) * step / self.steps

    @property
    def mini_batch(self) -> bool:
        return self.batch_size is not None and self.batch_size < len(self.inputs)


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
    learning_rate_end = None if spec.learning_rate_end is None else _finite(spec.learning_rate_end, "learning_rate_end")
    l2 = _finite(spec.l2, "l2")
    if l2 < 0:
        raise SpecError(f"l2 must be >= 0, got {l2:g}")
    if spec.seed is not None and (isinstance(spec.seed, bool) or not isinstance(spec.seed, int)):
        raise SpecError(f"seed must be an integer, got {spec.seed!r}")
    batch_size = None if spec.batch_size is None else _count(spec.batch_size, "batch_size", 1)
    resolution = _count(spec.boundary_resolution, "boundary_resolution", 2)
    if resolution > limits.max_boundary_resolution:
        raise SpecError(
            f"boundary_resolution = {resolution} is over the limit max_boundary_resolution ="
            f" {limits.max_boundary_resolution}",
            "over_budget",
        )

    holdout = _finite(spec.holdout, "holdout")
    if not 0.0 <= holdout < 1.0:
        raise SpecError(f"holdout is the fraction of samples held out: at least 0 and below 1, got {holdout:g}")
    held = round(holdout * len(inputs))
    if holdout > 0.0 and not 1 <= held < len(inputs):
        raise SpecError(
            f"holdout = {holdout:g} of {len(inputs)} samples holds out {held}: keep at least one sample on each side"
        )
    holdout_inputs: list[list[float]] = []
    holdout_targets: list[Any] = []
    if held:
        order = list(range(len(inputs)))
        random.Random(f"holdout/{spec.seed or 0}").shuffle(order)  # the same split for a seed, whatever the init
        out = set(order[:held])
        holdout_inputs = [x for s, x in enumerate(inputs) if s in out]
        holdout_targets = [y for s, y in enumerate(targets) if s in out]
        inputs = [x for s, x in enumerate(inputs) if s not in out]
        targets = [y for s, y in enumerate(targets) if s not in out]

    # before any parameter is drawn: a huge network is refused without being built
    graph_samples = _graph_samples(
        nin, layers, spec.activation, spec.output_activation, loss, len(inputs), l2, spec.graph_samples, limits
    )
    batch = batch_size if batch_size is not None and batch_size < len(inputs) else None
    _check_work(nin, layers, steps, len(inputs), batch, len(holdout_inputs), resolution if nin == 2 else 0, limits)
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
    batch_seed = spec.seed if spec.seed is not None else random.SystemRandom().randrange(2**32)
    if not isinstance(spec.parameter_history, bool):
        raise SpecError(f"parameter_history must be true or false, got {spec.parameter_history!r}")
    recorded = recorded_steps(steps, count, limits.max_parameter_history) if spec.parameter_history else None
    return Problem(
        nin,
        layers,
        spec.activation,
        spec.output_activation,
        loss,
        inputs,
        targets,
        learning_rate,
        steps,
        l2,
        params,
        batch_size=batch_size,
        learning_rate_end=learning_rate_end,
        batch_seed=batch_seed,
        holdout_inputs=holdout_inputs,
        holdout_targets=holdout_targets,
        graph_samples=graph_samples,
        boundary_resolution=resolution,
        accuracy=_accuracy_kind(loss, layers[-1], targets),
        parameter_steps=recorded,
    )


def recorded_steps(steps: int, parameters: int, cap: int) -> list[int]:
    """The history entries (0 .. steps) whose parameters `parameter_history` returns, at most `cap` floats in all.

    Every entry when they fit; past the cap every m-th one (0, m, 2m, ...) plus the last, with
    the smallest m that fits; [] when not even the first and the last fit."""
    room = cap // max(1, parameters)  # entries that fit under the cap
    for m in range(1, steps + 1):
        if steps // m + 1 + (steps % m != 0) <= room:
            return [*range(0, steps, m), steps]
    return [0] if steps == 0 and room >= 1 else []


def _accuracy_kind(loss: str, outputs: int, targets: Sequence[Any]) -> str | None:
    """How "accuracy" is counted, or None when the targets are not classes."""
    if loss == "cross_entropy":
        return "class"
    if loss == "hinge":
        return "sign"
    if outputs == 1 and all(y[0] in (-1.0, 1.0) for y in targets):
        return "sign"  # the lecture's +1/-1 targets under sse or mse
    if outputs > 1 and all(sorted(y) == [0.0] * (outputs - 1) + [1.0] for y in targets):
        return "onehot"
    return None


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
    return count_nodes(p.nin, p.layers, p.activation, p.output_activation, p.loss, p.graph_samples, p.l2)


def _graph_samples(
    nin: int,
    layers: Sequence[int],
    activation: str,
    output_activation: str,
    loss: str,
    samples: int,
    l2: float,
    asked: int | None,
    limits: Limits,
) -> int:
    """How many training samples the returned graph holds: `asked`, else all that fit in max_nodes."""

    def nodes(n: int) -> int:
        return count_nodes(nin, layers, activation, output_activation, loss, n, l2)

    if asked is not None:
        n = _count(asked, "graph_samples", 1)
        if n > samples:
            raise SpecError(f"graph_samples = {n} but there are {samples} training samples")
    else:
        n = samples
        if nodes(n) > limits.max_nodes and nodes(1) <= limits.max_nodes:
            lo, hi = 1, n  # nodes(n) grows with n: the largest n that fits
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if nodes(mid) <= limits.max_nodes else (lo, mid - 1)
            return lo
    total = nodes(n)
    if total > limits.max_nodes:
        raise SpecError(
            f"this network on {n} sample(s) makes a graph of {total:,} nodes, over the limit"
            f" max_nodes = {limits.max_nodes:,}: use fewer or smaller layers or fewer samples",
            "over_budget",
        )
    return n


def training_work(
    nin: int, layers: Sequence[int], steps: int, samples: int, batch: int | None, holdout: int, grid: int
) -> int:
    """Multiply-adds of training, counted as `max_work` does (docs/api.md, Limits).

    A full-batch step passes every training sample forward and backward (3 passes); a
    mini-batch step passes every sample forward (for the history) and its batch forward
    and backward; held-out samples go forward once per entry. One pass of one sample
    costs one multiply-add per parameter; the decision boundary passes its grid forward once."""
    params = parameter_count(nin, layers)
    per_entry = (samples + 3 * batch if batch else 3 * samples) + holdout
    return (steps + 1) * per_entry * params + grid * grid * params


def _check_work(
    nin: int,
    layers: Sequence[int],
    steps: int,
    samples: int,
    batch: int | None,
    holdout: int,
    grid: int,
    limits: Limits,
) -> None:
    work = training_work(nin, layers, steps, samples, batch, holdout, grid)
    if work > limits.max_work:
        raise SpecError(
            f"{steps} steps of MLP({nin}, {list(layers)}) on {samples} samples is {work:,} multiply-adds"
            f" of training, over the limit max_work = {limits.max_work:,}: use fewer steps, samples or neurons",
            "over_budget",
        )


# ------------------------------------------------------------------ training

ProgressHook = Callable[[int, float], None]
StopCheck = Callable[[], bool]
ParametersHook = Callable[[int, list[float]], None]  # (step, flat parameters): for a live boundary


def batches(p: Problem) -> Iterator[list[int]]:
    """The sample indices of each update, `p.steps` of them: all samples (full batch), or mini-batches.

    Mini-batches: each epoch shuffles the samples with `random.Random(p.batch_seed)` and
    cuts them into consecutive batches of `batch_size` (the last of an epoch may be smaller)."""
    n = len(p.inputs)
    everything = list(range(n))
    if not p.mini_batch:
        for _ in range(p.steps):
            yield everything
        return
    size = p.batch_size or n
    rng = random.Random(p.batch_seed)
    order: list[int] = []
    pos = n
    for _ in range(p.steps):
        if pos >= n:
            order = list(everything)
            rng.shuffle(order)
            pos = 0
        yield order[pos : pos + size]
        pos += size


def build_loss(
    p: Problem, parameters: Sequence[float], labelled: bool = True, samples: Sequence[int] | None = None
) -> tuple[Value, MLP]:
    """The loss over `samples` (default: every training sample) at `parameters`, built on the current tape."""
    net = MLP(p.nin, p.layers, p.activation, p.output_activation, initial_parameters=parameters, labelled=labelled)
    rows = range(len(p.inputs)) if samples is None else samples
    many = len(rows) > 1
    preds = [net.outputs(p.inputs[s], f"s{s}." if many and labelled else "") for s in rows]
    return losses.loss(p.loss, preds, [p.targets[s] for s in rows], net.parameters(), p.l2), net


def _scalar_loss(p: Problem, values: Sequence[float], samples: Sequence[int] | None) -> tuple[float, list[float]]:
    with fresh_tape() as tape:
        root, net = build_loss(p, values, labelled=False, samples=samples)
        tape.backward(root._i)
        return tape.data[root._i], [tape.grad[w._i] for w in net.parameters()]


def scalar_sgd(p: Problem) -> tuple[list[float], list[float]]:
    """The reference training on the scalar engine: (final parameters, history), each pass on a fresh tape.

    The same updates as `fit` (batches, learning-rate schedule, L2) one `Value` at a time:
    what the vectorised path is tested against, and the benchmark's "before"."""
    values = list(p.parameters)
    history: list[float] = []
    for step, rows in enumerate(batches(p)):
        loss, grad = _scalar_loss(p, values, None)
        history.append(loss)
        if p.mini_batch:
            _, grad = _scalar_loss(p, values, rows)
        lr = p.learning_rate_at(step)
        values = [v - lr * g for v, g in zip(values, grad)]
    history.append(_scalar_loss(p, values, None)[0])
    return values, history


@dataclass
class Fit:
    """What training recorded: one entry per history entry (steps + 1) in each list."""

    parameters: list[float]
    history: list[float]
    accuracy: list[float] | None
    grad_norms: list[list[float]]  # per layer: mean |grad| of its parameters in the update from each entry
    holdout_history: list[float]  # the data loss of the held-out samples (no L2 term)
    holdout_accuracy: list[float] | None
    parameter_history: list[list[float]] = field(default_factory=list)  # the entries p.parameter_steps names


def fit(
    p: Problem,
    on_progress: ProgressHook | None = None,
    should_stop: StopCheck | None = None,
    on_parameters: ParametersHook | None = None,
) -> Fit:
    """`p.steps` SGD updates on numpy matrices, recording the loss, accuracy and gradient sizes of every entry.

    `grad_norms` come from the gradient each update uses (a mini-batch's, or the full
    batch's; the last entry: the full batch's at the final parameters).
    `on_progress(k, loss)` is called with each history entry as it is known (k = 0 ..
    steps); `should_stop()` is asked before each update, and True raises `Cancelled`;
    `on_parameters(k, flat)`, when given, gets the parameters of entry k (`boundary(p, flat)`
    draws them); `parameter_history` holds those of the entries `p.parameter_steps` names."""
    net = vectorised.Net.from_flat(p.nin, p.layers, p.parameters, p.activation, p.output_activation)
    x = np.asarray(p.inputs, dtype=np.float64)
    t = vectorised.Targets.of(p.loss, p.targets)
    hx = np.asarray(p.holdout_inputs, dtype=np.float64).reshape(-1, p.nin)
    ht = vectorised.Targets.of(p.loss, p.holdout_targets) if p.holdout_inputs else None
    rec = Fit([], [], [] if p.accuracy else None, [[] for _ in p.layers], [], [] if (p.accuracy and ht) else None)
    wanted = frozenset(p.parameter_steps or ())

    def entry(k: int, rows: list[int] | None) -> list[Any]:
        """Record history entry k; return the gradient update k + 1 uses (of the batch `rows`; None: all)."""
        if rows is None:
            loss, grads, out = vectorised.loss_and_grads(net, x, t, p.l2)
        else:  # the loss over every sample (a forward pass), the gradient of the batch
            out = net.forward(x)[0][-1]
            loss = vectorised.loss_and_slope(out, t)[0] + (
                p.l2 * float(sum(np.sum(m * m) for m in net.layers)) if p.l2 > 0.0 else 0.0
            )
            idx = np.asarray(rows)
            _, grads, _ = vectorised.loss_and_grads(net, x[idx], t.take(idx), p.l2)
        rec.history.append(loss)
        if rec.accuracy is not None and p.accuracy is not None:
            rec.accuracy.append(vectorised.accuracy(out, t, p.accuracy))
        for norms, g in zip(rec.grad_norms, grads):
            norms.append(float(np.mean(np.abs(g))))
        if ht is not None:
            hout = net.forward(hx)[0][-1]
            rec.holdout_history.append(vectorised.loss_and_slope(hout, ht)[0])
            if rec.holdout_accuracy is not None and p.accuracy is not None:
                rec.holdout_accuracy.append(vectorised.accuracy(hout, ht, p.accuracy))
        if on_progress is not None:
            on_progress(k, loss)
        # the request's deadline, and for a streaming client the loss before update k + 1
        progress.tick(k + 1, loss) if k < p.steps else progress.tick()
        if k in wanted:
            rec.parameter_history.append(net.flat().tolist())
        if on_parameters is not None:
            on_parameters(k, [float(v) for v in net.flat()])
        return grads

    # overflow and NaN are reported in the history, as the scalar engine does
    with np.errstate(all="ignore"), vectorised.one_blas_thread():
        for step, rows in enumerate(batches(p)):
            if should_stop is not None and should_stop():
                raise Cancelled(step)
            grads = entry(step, rows if p.mini_batch else None)
            lr = p.learning_rate_at(step)
            net.layers = [m - lr * g for m, g in zip(net.layers, grads)]
        entry(p.steps, None)
    rec.parameters = [float(v) for v in net.flat()]
    return rec


def boundary(p: Problem, parameters: Sequence[float]) -> Json | None:
    """The model's output on a grid over the training inputs' range (2-D inputs only).

    `z[i][j]` is at (`x[j]`, `y[i]`): the output for one output neuron, the predicted
    class (argmax) for several."""
    if p.nin != 2:
        return None
    net = vectorised.Net.from_flat(p.nin, p.layers, parameters, p.activation, p.output_activation)
    pts = np.asarray(p.inputs, dtype=np.float64)
    axes: list[list[float]] = []
    top = np.finfo(np.float64).max
    t = np.linspace(0.0, 1.0, p.boundary_resolution)
    with np.errstate(all="ignore"):
        for d in range(2):
            lo, hi = float(pts[:, d].min()), float(pts[:, d].max())
            pad = 0.1 * hi - 0.1 * lo if hi > lo else 1.0  # never hi - lo: it overflows for +-1e308
            a, b = max(lo - pad, -top), min(hi + pad, top)
            axes.append([float(v) for v in a * (1.0 - t) + b * t])  # finite for any finite a, b
    gx, gy = np.meshgrid(axes[0], axes[1])
    out = net.outputs(np.column_stack([gx.ravel(), gy.ravel()]))
    r = p.boundary_resolution
    if out.shape[1] == 1:
        z: list[list[Any]] = [[_num(float(v)) for v in row] for row in out[:, 0].reshape(r, r)]
        kind = "output"
    else:
        z = np.argmax(out, axis=1).reshape(r, r).tolist()
        kind = "class"
    return {"x": axes[0], "y": axes[1], "z": z, "kind": kind}


def neuron_health(p: Problem, parameters: Sequence[float]) -> Json:
    """Neurons that cannot learn at the final parameters, over every training sample.

    dead: a ReLU neuron whose output is 0 on every sample (no gradient flows through it);
    saturated: a tanh neuron with |output| > 0.99 on every sample (its slope is under 0.02)."""
    net = vectorised.Net.from_flat(p.nin, p.layers, parameters, p.activation, p.output_activation)
    with np.errstate(all="ignore"):
        inputs, _ = net.forward(np.asarray(p.inputs, dtype=np.float64))
    dead: list[str] = []
    saturated: list[str] = []
    for i in range(len(p.layers)):
        act, out = net.act(i), inputs[i + 1]
        if act == "relu":
            flags, where = np.all(out == 0.0, axis=0), dead
        elif act == "tanh":
            flags, where = np.all(np.abs(out) > 0.99, axis=0), saturated
        else:
            continue
        where.extend(f"layer{i + 1}/neuron{j + 1}" for j in np.flatnonzero(flags))
    return {"dead": dead, "saturated": saturated}


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


def train(
    spec: MLPSpec | Problem,
    limits: Limits | None = None,
    *,
    on_progress: ProgressHook | None = None,
    should_stop: StopCheck | None = None,
    on_parameters: ParametersHook | None = None,
) -> Json:
    """Check, train and trace: Graph JSON plus "loss", "history", "parameters" and the training
    record (docs/api.md, "MLP"). `on_progress(step, loss)` hears each history entry;
    `should_stop()` True raises `Cancelled`; `on_parameters` as in `fit`."""
    p = spec if isinstance(spec, Problem) else resolve(spec, limits)
    rec = fit(p, on_progress, should_stop, on_parameters)
    if should_stop is not None and should_stop():
        raise Cancelled(p.steps)
    values, history = rec.parameters, rec.history
    everything = p.graph_samples == len(p.inputs)
    shown = None if everything else range(p.graph_samples)
    root, net = build_loss(p, values, samples=shown)  # on the caller's tape: this is the graph returned
    rec_ = record(root)
    result = graph(root, rec_)
    if everything:
        history[-1] = rec_.tape.data[rec_.root]  # the graph's own number, as the page shows it
    order, g = rec_.order, rec_.grad
    names = parameter_names(p.nin, p.layers)
    params: list[Json] = []
    for name, v in zip(names, net.parameters()):
        i = v._i
        k = bisect_left(order, i)
        params.append(
            {
                "name": name,
                "node": f"n{k}" if k < len(order) and order[k] == i else None,
                "data": _num(rec_.tape.data[i]),
                "grad": _num(g[i]),
            }
        )
    result["loss"] = _num(history[-1])
    result["history"] = [_num(x) for x in history]
    result["parameters"] = params
    result["accuracy"] = rec.accuracy
    result["grad_norms"] = [[_num(x) for x in layer] for layer in rec.grad_norms]
    result["boundary"] = boundary(p, values)
    result["neurons"] = neuron_health(p, values)
    result["samples"] = {"train": len(p.inputs), "holdout": len(p.holdout_inputs), "graph": p.graph_samples}
    result["holdout"] = (
        {
            "loss": _num(rec.holdout_history[-1]),
            "accuracy": None if rec.holdout_accuracy is None else rec.holdout_accuracy[-1],
            "history": [_num(x) for x in rec.holdout_history],
            "accuracy_history": rec.holdout_accuracy,
        }
        if p.holdout_inputs
        else None
    )
    if p.parameter_steps is None:
        result["parameter_steps"] = result["parameter_history"] = None
    else:
        result["parameter_steps"] = list(p.parameter_steps)
        result["parameter_history"] = [[_num(v) for v in flat] for flat in rec.parameter_history]
    notes = list(training_warnings(history, p.learning_rate))
    if not everything:
        notes.append(
            f"the graph shows the first {p.graph_samples} of {len(p.inputs)} training samples (its loss is theirs);"
            " loss, history and accuracy are over all of them"
        )
    result["warnings"] = [*result["warnings"], *notes]
    return result
