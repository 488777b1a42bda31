"""PyTorch float64 as the oracle for the curated examples (gradwalk/examples.py).

The example sources are read with gradwalk's tokenizer and parser (precedence is
checked separately against Python's own arithmetic in tests/test_language.py), then
every statement is evaluated on torch tensors: PyTorch, not gradwalk's engine or
interpreter, computes every value and gradient. Leaves are keyed by their label.
"""

from __future__ import annotations

import hashlib
import operator
from typing import Any

from gradwalk.examples import EXAMPLES
from gradwalk.language.parser import parse
from gradwalk.language.tokens import tokenize

from .engine_cases import golden_number

GOLDEN_NAME = "examples.json"


def fingerprint(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]




def torch_run(source: str) -> tuple[float, dict[str, float]]:
    """(output data, {leaf label: grad}) computed by PyTorch."""
    import torch

    fns = {
        "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
        "sqrt": torch.sqrt, "abs": torch.abs, "sin": torch.sin, "cos": torch.cos,
    }
    binary = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
    leaves: list[tuple[list[str], Any]] = []  # ([label], tensor): the label may be set later

    def leaf(x: float, label: str) -> Any:
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        leaves.append(([label], t))
        return t

    def as_tensor(x: Any) -> Any:
        return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=torch.float64)

    def label_of(t: Any) -> list[str] | None:
        return next((lab for lab, u in leaves if u is t), None)

    tokens, _ = tokenize(source)
    statements, _ = parse(tokens)
    env: dict[str, Any] = {}
    last: Any = None
    selected: Any = None
    for st in statements:
        if st.kind == "noop":
            continue
        if st.kind == "leaf":
            last = env[st.target] = leaf(st.value, st.target)
            continue
        if st.kind == "label":
            last = env[st.target]
            lab = label_of(last)
            if lab is not None:
                lab[0] = st.label
            continue
        if st.kind == "select":
            last = selected = env[st.target]
            continue
        stack: list[Any] = []
        for code, arg, _tok in st.code:
            if code == "num":
                stack.append(arg)
            elif code == "load":
                stack.append(env[arg])
            elif code == "value":
                stack.append(leaf(arg[0], arg[1]))
            elif code == "bin":
                b, a = stack.pop(), stack.pop()
                stack.append(binary[arg](as_tensor(a), as_tensor(b)))
            elif code == "neg":
                stack.append(-as_tensor(stack.pop()))
            elif code == "fn":
                stack.append(fns[arg](as_tensor(stack.pop())))
        value = stack[-1]
        if not isinstance(value, torch.Tensor):
            value = leaf(value, "")
        if st.kind == "assign":
            if st.op != "=":
                value = binary[st.op[0]](env[st.target], value)
            lab = label_of(value)
            if lab is not None and not lab[0]:
                lab[0] = st.target
            env[st.target] = value
        last = value
    out = selected if selected is not None else last
    out.backward()
    grads = {lab[0]: (t.grad.item() if t.grad is not None else 0.0) for lab, t in leaves}
    return out.item(), grads


def golden() -> dict[str, Any]:
    import torch

    cases = {}
    for e in EXAMPLES:
        data, grads = torch_run(e.source)
        cases[e.id] = {
            "fingerprint": fingerprint(e.source),
            "data": golden_number(data),
            "grads": {k: golden_number(g) for k, g in grads.items()},
        }
    return {"torch": torch.__version__, "examples": cases}
