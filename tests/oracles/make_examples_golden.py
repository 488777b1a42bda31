"""Regenerate tests/golden/examples.json from PyTorch float64 after the examples change.

.venv/bin/python -m tests.oracles.make_examples_golden
"""

from __future__ import annotations

import json
from pathlib import Path

from .examples_torch import GOLDEN_NAME, golden

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / GOLDEN_NAME


def main() -> None:
    data = golden()
    GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(data['examples'])} examples to {GOLDEN}")


if __name__ == "__main__":
    main()
