"""Regenerate tests/golden/engine.json from PyTorch float64 (`make golden`).

    .venv/bin/python -m tests.oracles.make_golden
"""

from __future__ import annotations

import json
from pathlib import Path

from .backends import TorchBackend
from .engine_cases import CASES, fingerprint, golden_number

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "engine.json"


def torch_result(name: str) -> dict[str, object]:
    leaves, build, _ = CASES[name]
    backend = TorchBackend()
    values = {k: backend.leaf(k, x) for k, x in leaves.items()}
    data, grads = backend.result(build(backend, values))
    return {
        "fingerprint": fingerprint(name),
        "data": golden_number(data),
        "grads": {k: golden_number(g) for k, g in grads.items()},
    }


def main() -> None:
    import torch

    golden = {"torch": torch.__version__, "cases": {name: torch_result(name) for name in sorted(CASES)}}
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(golden['cases'])} cases to {GOLDEN}")


if __name__ == "__main__":
    main()
