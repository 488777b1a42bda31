"""The MLP of gradwalk.nn and the losses of gradwalk.losses as numpy matrices: training at array speed.

    >>> import numpy as np
    >>> from gradwalk.vectorised import Net
    >>> net = Net.from_flat(2, [3, 1], [0.5] * 13, "tanh", "linear")
    >>> net.outputs(np.array([[1.0, 2.0]])).shape
    (1, 1)

The scalar engine (gradwalk.engine) builds one `Value` per multiply and is what the page
shows; training 100 steps of 16-16-1 on 100 samples that way builds 10 million nodes.
Here a layer is one (fan_out, fan_in + 1) matrix, each row a neuron's weights then its
bias: the rows, flattened, are `MLP.parameters()` order. The forward pass, the loss and
its gradient follow the scalar definitions term by term (the same activations, the
cross-entropy's max shift, relu's NaN mask, `l2 * sum(p**2)`), so the numbers agree with
the scalar engine's to rounding (tests/test_vectorised.py: 1e-9 over 20 steps). Pure:
numpy in, numpy out, no tape.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

Array = NDArray[np.float64]


def one_blas_thread() -> AbstractContextManager[object]:
    """Run the block with BLAS on one thread. These matrices are small and the service trains
    several requests at once: on this 2-core machine under load, digits' 500 steps took 0.6 s
    on one BLAS thread and 2.4-4.4 s on OpenBLAS's default two (benchmarks/mlp.py)."""
    limits: AbstractContextManager[object] = threadpool_limits(limits=1, user_api="blas")
    return limits


def activate(z: Array, name: str) -> tuple[Array, Array]:
    """(activation(z), its derivative at z), elementwise, as gradwalk.ops defines them."""
    if name == "tanh":
        t = np.tanh(z)
        return t, 1.0 - t * t
    if name == "relu":
        keep = ~(z <= 0.0)  # NaN passes with derivative 1, as the scalar op (and PyTorch) do
        return np.where(keep, z, 0.0), keep.astype(np.float64)
    if name == "sigmoid":
        e = np.exp(-np.abs(z))  # two branches so exp never overflows
        s = np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
        return s, s * (1.0 - s)
    if name == "linear":
        return z, np.ones_like(z)
    raise ValueError(f"unknown activation {name!r}")


@dataclass
class Net:
    """An MLP as matrices: `layers[l]` is (fan_out, fan_in + 1), each row a neuron's weights then its bias."""

    layers: list[Array]
    activation: str
    output_activation: str

    @classmethod
    def from_flat(
        cls, nin: int, sizes: Sequence[int], flat: Sequence[float] | Array, activation: str, output_activation: str
    ) -> Net:
        values = np.asarray(flat, dtype=np.float64)
        mats: list[Array] = []
        pos, fan_in = 0, nin
        for nout in sizes:
            n = nout * (fan_in + 1)
            mats.append(values[pos : pos + n].reshape(nout, fan_in + 1).copy())
            pos, fan_in = pos + n, nout
        return cls(mats, activation, output_activation)

    def flat(self) -> Array:
        return np.concatenate([m.ravel() for m in self.layers])

    def act(self, i: int) -> str:
        return self.output_activation if i == len(self.layers) - 1 else self.activation

    def forward(self, x: Array) -> tuple[list[Array], list[Array]]:
        """Every layer's input (x first) and every layer's activation derivative, for `backward`."""
        inputs: list[Array] = []
        slopes: list[Array] = []
        a = x
        for i, m in enumerate(self.layers):
            inputs.append(a)
            a, d = activate(a @ m[:, :-1].T + m[:, -1], self.act(i))
            slopes.append(d)
        inputs.append(a)  # the outputs
        return inputs, slopes

    def outputs(self, x: Array) -> Array:
        with np.errstate(all="ignore"):
            return self.forward(x)[0][-1]

    def backward(self, inputs: list[Array], slopes: list[Array], d_out: Array) -> list[Array]:
        """d loss / d layer matrix, given d loss / d outputs."""
        grads: list[Array] = [np.empty(0)] * len(self.layers)
        d = d_out
        for i in range(len(self.layers) - 1, -1, -1):
            dz = d * slopes[i]
            grads[i] = np.concatenate([dz.T @ inputs[i], dz.sum(axis=0)[:, None]], axis=1)
            if i:
                d = dz @ self.layers[i][:, :-1]
        return grads


@dataclass(frozen=True)
class Targets:
    """A loss's targets as arrays: `values` (samples, outputs) for sse/mse, (samples,) for hinge and cross_entropy."""

    loss: str
    values: Array

    @classmethod
    def of(cls, loss: str, targets: Sequence[Any]) -> Targets:
        if loss == "cross_entropy":
            return cls(loss, np.asarray(targets, dtype=np.int64))
        return cls(loss, np.asarray(targets, dtype=np.float64))

    def take(self, rows: Array) -> Targets:
        return Targets(self.loss, self.values[rows])


def loss_and_slope(out: Array, t: Targets) -> tuple[float, Array]:
    """The loss of `out` (samples, outputs) against `t`, and d loss / d out (gradwalk.losses' definitions)."""
    y = t.values
    if t.loss in ("sse", "mse"):
        diff = out - y
        total = float(np.sum(diff * diff))
        if t.loss == "sse":
            return total, 2.0 * diff
        n = float(diff.size)
        return total / n, (2.0 * diff) / n
    n = float(out.shape[0])
    if t.loss == "cross_entropy":
        top = out.max(axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)  # as the scalar loss: no shift by +-inf or NaN
        shifted = out - top
        e = np.exp(shifted)
        norm = e.sum(axis=1, keepdims=True)
        rows = np.arange(out.shape[0])
        nll = np.log(norm[:, 0]) - shifted[rows, y]
        slope = e / norm
        slope[rows, y] -= 1.0
        return float(np.sum(nll)) / n, slope / n
    if t.loss == "hinge":
        margin = 1.0 - out[:, 0] * y
        keep = ~(margin <= 0.0)
        slope = np.where(keep, -y, 0.0)[:, None] / n
        return float(np.sum(np.where(keep, margin, 0.0))) / n, slope
    raise ValueError(f"unknown loss {t.loss!r}")


def loss_and_grads(net: Net, x: Array, t: Targets, l2: float) -> tuple[float, list[Array], Array]:
    """(loss, d loss / d each layer matrix, outputs) on the samples `x`, the L2 term included when l2 > 0."""
    inputs, slopes = net.forward(x)
    out = inputs[-1]
    value, d_out = loss_and_slope(out, t)
    grads = net.backward(inputs, slopes, d_out)
    if l2 > 0.0:
        value += l2 * float(sum(np.sum(m * m) for m in net.layers))
        grads = [g + (2.0 * l2) * m for g, m in zip(grads, net.layers)]
    return value, grads, out


def accuracy(out: Array, t: Targets, kind: str) -> float:
    """The fraction of samples classified right. `kind` "class": the argmax is the class index;
    "onehot": the argmax is the target's hot output; "sign": the one output's sign is the target's."""
    y = t.values
    if kind == "class":
        return float(np.mean(np.argmax(out, axis=1) == y))
    if kind == "onehot":
        return float(np.mean(np.argmax(out, axis=1) == np.argmax(y, axis=1)))
    truth = y if y.ndim == 1 else y[:, 0]
    return float(np.mean((out[:, 0] > 0.0) == (truth > 0.0)))
