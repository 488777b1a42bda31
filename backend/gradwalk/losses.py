"""Loss functions built from `Value` operations, so the graph and the trace show every term.

`preds` is one list of output Values per sample. Every node a loss creates (targets
and other constants included) carries the tape group "loss".

- sse: sum over samples and outputs of (y_pred - y)**2 (the lecture's loss)
- mse: sse divided by samples x outputs
- cross_entropy: softmax over the outputs, mean negative log-likelihood; targets are
  class indices. Each sample's logits are shifted by their max (a constant, so no
  gradient changes) before exp: exp never overflows.
- hinge: mean of relu(1 - y * score), one output, y in {-1, 1} (micrograd's demo)
- l2: `l2 * sum(p**2)` over the parameters, added when l2 > 0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .engine import Value
from .tape import current_tape

Target = float | int | Sequence[float]
LOSSES: tuple[str, ...] = ("sse", "mse", "cross_entropy", "hinge")


def total(terms: Sequence[Value]) -> Value:
    """terms[0] + terms[1] + ...: a left-to-right chain with no leading constant 0."""
    acc = terms[0]
    for t in terms[1:]:
        acc = acc + t
    return acc


def _squared_errors(preds: Sequence[Sequence[Value]], targets: Sequence[Sequence[float]]) -> list[Value]:
    return [(yout - float(ygt)) ** 2.0 for outs, ys in zip(preds, targets) for yout, ygt in zip(outs, ys)]


def sse(preds: Sequence[Sequence[Value]], targets: Sequence[Sequence[float]]) -> Value:
    with current_tape().group("loss"):
        return total(_squared_errors(preds, targets))


def mse(preds: Sequence[Sequence[Value]], targets: Sequence[Sequence[float]]) -> Value:
    with current_tape().group("loss"):
        terms = _squared_errors(preds, targets)
        return total(terms) / float(len(terms))


def cross_entropy(preds: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    with current_tape().group("loss"):
        nll: list[Value] = []
        for logits, cls in zip(preds, targets):
            top = max(z.data for z in logits)
            if top - top != 0.0:  # +-inf or NaN: shifting would give NaN where the unshifted sum is exact
                top = 0.0
            shifted = [z - top for z in logits]
            log_norm = total([s.exp() for s in shifted]).log()
            nll.append(log_norm - shifted[cls])
        return total(nll) / float(len(nll))


def hinge(preds: Sequence[Sequence[Value]], targets: Sequence[float]) -> Value:
    with current_tape().group("loss"):
        margins = [(1.0 - outs[0] * float(y)).relu() for outs, y in zip(preds, targets)]
        return total(margins) / float(len(margins))


def l2_penalty(params: Sequence[Value], l2: float) -> Value:
    with current_tape().group("loss"):
        return float(l2) * total([p**2.0 for p in params])


LOSS_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "sse": sse,
    "mse": mse,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def loss(
    name: str,
    preds: Sequence[Sequence[Value]],
    targets: Sequence[Target],
    params: Sequence[Value] = (),
    l2: float = 0.0,
) -> Value:
    """The named loss of `preds` against `targets`, plus the L2 term when l2 > 0."""
    try:
        fn = LOSS_FUNCTIONS[name]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)}") from None
    value = fn(preds, targets)
    if l2 > 0.0 and params:
        penalty = l2_penalty(params, l2)
        with current_tape().group("loss"):
            value = value + penalty
    return value
