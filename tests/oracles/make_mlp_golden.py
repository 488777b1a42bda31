"""Regenerate tests/golden/mlp.json: every case of mlp_cases.py trained by PyTorch float64.

    .venv/bin/python -m tests.oracles.make_mlp_golden

The network is written with torch tensors (W @ x + b per layer, torch's own loss
functions), not with gradwalk code, from the very same initial_parameters; 20 SGD
steps p -= lr * grad on the full batch, or, for a case with `batch_size`, on the
mini-batches of docs/api.md (each epoch: the sample indices shuffled with
random.Random(seed), cut into consecutive batches) with the history taken over every
sample; `learning_rate_end` decays the rate linearly. `torch_train` is also the live
oracle of tests/test_mlp_oracles.py (marked torch).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from .mlp_cases import CASES, fingerprint

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "mlp.json"


def torch_train(spec: dict[str, Any]) -> dict[str, Any]:
    """loss, history (steps + 1 entries) and [data, grad] per parameter in MLP.parameters() order."""
    import torch
    import torch.nn.functional as F

    f64 = torch.float64
    sizes = [spec["nin"], *spec["layers"]]
    flat = spec["initial_parameters"]
    weights: list[Any] = []
    biases: list[Any] = []
    pos = 0
    for i in range(len(spec["layers"])):
        fan_in, fan_out = sizes[i], sizes[i + 1]
        rows, bs = [], []
        for _ in range(fan_out):  # micrograd order: a neuron's weights, then its bias
            rows.append(flat[pos : pos + fan_in])
            bs.append(flat[pos + fan_in])
            pos += fan_in + 1
        weights.append(torch.tensor(rows, dtype=f64, requires_grad=True))
        biases.append(torch.tensor(bs, dtype=f64, requires_grad=True))
    assert pos == len(flat)
    params = [t for pair in zip(weights, biases) for t in pair]
    acts = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda t: t}
    x = torch.tensor(spec["inputs"], dtype=f64)
    loss_name = spec["loss"]
    if loss_name == "cross_entropy":
        y = torch.tensor(spec["targets"], dtype=torch.long)
    else:
        y = torch.tensor(spec["targets"], dtype=f64)
        if y.dim() == 1:
            y = y.unsqueeze(1)

    def loss_fn(rows: list[int] | None = None) -> Any:
        h = x if rows is None else x[rows]
        yy = y if rows is None else y[rows]
        for i, (w, b) in enumerate(zip(weights, biases)):
            act = spec["output_activation"] if i == len(weights) - 1 else spec["activation"]
            h = acts[act](h @ w.T + b)
        if loss_name == "sse":
            loss = F.mse_loss(h, yy, reduction="sum")
        elif loss_name == "mse":
            loss = F.mse_loss(h, yy, reduction="mean")
        elif loss_name == "cross_entropy":
            loss = F.cross_entropy(h, yy)
        else:
            loss = torch.relu(1.0 - yy * h).mean()
        if spec["l2"] > 0:
            loss = loss + spec["l2"] * sum((p**2).sum() for p in params)
        return loss

    n, steps, size = len(spec["inputs"]), spec["steps"], spec.get("batch_size")
    shuffler = random.Random(spec.get("seed"))
    order: list[int] = []
    pos = n
    history: list[float] = []
    for k in range(steps):
        loss = loss_fn()
        grads = torch.autograd.grad(loss, params)
        history.append(loss.item())
        if size is not None and size < n:
            if pos >= n:  # a new epoch: a fresh shuffle
                order = list(range(n))
                shuffler.shuffle(order)
                pos = 0
            grads = torch.autograd.grad(loss_fn(order[pos : pos + size]), params)
            pos += size
        lr = spec["learning_rate"]
        if spec.get("learning_rate_end") is not None:
            lr = lr + (spec["learning_rate_end"] - lr) * k / steps
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
    loss = loss_fn()
    grads = torch.autograd.grad(loss, params)
    history.append(loss.item())
    flat_out: list[list[float]] = []
    for tensors in zip(weights, biases, grads[0::2], grads[1::2]):
        w, b, gw, gb = (t.detach().tolist() for t in tensors)
        for j, row in enumerate(w):
            flat_out.extend([row[k], gw[j][k]] for k in range(len(row)))
            flat_out.append([b[j], gb[j]])
    return {"loss": loss.item(), "history": history, "parameters": flat_out}


def main() -> None:
    import torch

    cases = {name: {"fingerprint": fingerprint(name), **torch_train(CASES[name])} for name in sorted(CASES)}
    golden = {"torch": torch.__version__, "cases": cases}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases to {GOLDEN}")


if __name__ == "__main__":
    main()
