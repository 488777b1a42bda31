"""Build the same formula with gradwalk, PyTorch (float64) or micrograd.

A case is a function `build(B, leaves) -> root` written against a backend `B`:
`B.leaf(name, value)` makes a differentiable input, and `B.exp(x)`, `B.log(x)`,
`B.tanh(x)`, `B.relu(x)`, `B.sigmoid(x)` apply functions; Python operators do the
rest. The same source then runs on every engine, so they are compared on equal terms.
"""

from __future__ import annotations

from typing import Any


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

    def result(self, root: Any) -> tuple[float, dict[str, float]]:
        root.backward()
        grads = {}
        for name, t in self.leaves.items():
            grads[name] = 0.0 if t.grad is None else float(t.grad.item())
        return float(root.item()), grads


class MicrogradBackend:
    """micrograd 0.1.0 has + - * / ** (number exponent), relu, and nothing else."""

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

    def result(self, root: Any) -> tuple[float, dict[str, float]]:
        root.backward()
        return root.data, {name: v.grad for name, v in self.leaves.items()}
