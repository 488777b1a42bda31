"""Compatibility with gradwalk 0.1, which kept every graph on a per-thread "tape".

Graphs are plain objects now (engine.py): nothing needs a private tape, and
`fresh_tape()` only keeps old code running. It will be removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fresh_tape() -> Iterator[None]:
    """Does nothing: kept so code written for gradwalk 0.1 still runs."""
    yield None
