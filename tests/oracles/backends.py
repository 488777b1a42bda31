"""Build the same formula with gradwalk, PyTorch (float64) or micrograd.

A case is a function `build(B, leaves) -> root` written against a backend `B`:
`B.leaf(name, value)` makes a differentiable input, and `B.exp(x)`, `B.log(x)`,
`B.tanh(x)`, `B.relu(x)`, `B.sigmoid(x)`, `B.sqrt(x)`, `B.abs(x)`, `B.sin(x)`,
`B.cos(x)` and `B.max(x, y)` apply functions; Python operators do the rest. The same
source then runs on every engine, so they are compared on equal terms.
"""

from __future__ import annotations

from typing import Any

# The functions a case may call on its backend (every backend below has them, or says it lacks them).
FUNCTIONS = ("exp", "log", "tanh", "relu", "sigmoid", "sqrt", "abs", "sin", "cos", "max")


class GradwalkBackend:
    def __init__(self) -> None:
        from gradwalk import Value

        self.Value = Value
        self.leaves: dict[str, Any] = {}

    def leaf(self, name: str, value: float) -> Any:
        v = self.Value(value, label=name)
        self.leaves[name] = v
        return v

    def exp(self, x: Any) -> Any:
        return x.exp()

    def log(self, x: Any) -> Any:
        return x.log()

    def tanh(self, x: Any) -> Any:
        return x.tanh()

    def relu(self, x: Any) -> Any:
        return x.relu()

    def sigmoid(self, x: Any) -> Any:
        return x.sigmoid()

    def sqrt(self, x: Any) -> Any:
        return x.sqrt()

    def abs(self, x: Any) -> Any:
        return x.abs()

    def sin(self, x: Any) -> Any:
        return x.sin()

    def cos(self, x: Any) -> Any:
        return x.cos()

    def max(self, x: Any, y: Any) -> Any:
        return x.max(y)  # y may be a number

    def result(self, root: Any) -> tuple[float, dict[str, float]]:
        root.backward()
        return root.data, {name: v.grad for name, v in self.leaves.items()}


class TorchBackend:
    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.leaves: dict[str, Any] = {}

    def leaf(self, name: str, value: float) -> Any:
        t = self.torch.tensor(value, dtype=self.torch.float64, requires_grad=True)
        self.leaves[name] = t
        return t

    def _tensor(self, x: Any) -> Any:
        return x if isinstance(x, self.torch.Tensor) else self.torch.tensor(x, dtype=self.torch.float64)

    def exp(self, x: Any) -> Any:
        return self.torch.exp(x)

    def log(self, x: Any) -> Any:
        return self.torch.log(x)

    def tanh(self, x: Any) -> Any:
        return self.torch.tanh(x)

    def relu(self, x: Any) -> Any:
        return self.torch.relu(x)

    def sigmoid(self, x: Any) -> Any:
        return self.torch.sigmoid(x)

    def sqrt(self, x: Any) -> Any:
        return self.torch.sqrt(x)

    def abs(self, x: Any) -> Any:
        return self.torch.abs(x)

    def sin(self, x: Any) -> Any:
        return self.torch.sin(x)

    def cos(self, x: Any) -> Any:
        return self.torch.cos(x)

    def max(self, x: Any, y: Any) -> Any:
        return self.torch.maximum(self._tensor(x), self._tensor(y))  # elementwise; half each way at a tie

    def result(self, root: Any) -> tuple[float, dict[str, float]]:
        root.backward()
        grads = {}
        for name, t in self.leaves.items():
            grads[name] = 0.0 if t.grad is None else float(t.grad.item())
        return float(root.item()), grads


class MicrogradLacks(Exception):
    """A case called a function that micrograd 0.1.0 does not have."""

    def __init__(self, function: str) -> None:
        super().__init__(f"micrograd 0.1.0 has no {function}")
        self.function = function


class MicrogradBackend:
    """micrograd 0.1.0 has + - * / ** (number exponent), relu, and nothing else.

    Every other function of FUNCTIONS raises MicrogradLacks, so a case that needs one
    can never pass for a micrograd comparison by accident.
    """

    HAS = frozenset({"relu"})

    def __init__(self) -> None:
        from micrograd.engine import Value

        self.Value = Value
        self.leaves: dict[str, Any] = {}

    def leaf(self, name: str, value: float) -> Any:
        v = self.Value(value)
        self.leaves[name] = v
        return v

    def relu(self, x: Any) -> Any:
        return x.relu()

    def __getattr__(self, name: str) -> Any:
        if name in FUNCTIONS:
            raise MicrogradLacks(name)
        raise AttributeError(name)

    def result(self, root: Any) -> tuple[float, dict[str, float]]:
        root.backward()
        return root.data, {name: v.grad for name, v in self.leaves.items()}
