"""A deadline and progress reports for long work, without threading either through every call.

    >>> from gradwalk.progress import tick, watching
    >>> with watching(30.0, limit=30.0):
    ...     tick(step=1, loss=0.5)   # per SGD step, per statement, per layout pass

`watching` sets, for the current thread (a context variable), the monotonic time the
work must end by and who hears of its progress; `tick()` raises LimitError
`limit.time` past that time and hands `(step, loss)` to the listener. Outside
`watching`, `tick()` does nothing. `time.monotonic()` is system-wide on Linux, so a
deadline set by the service's process holds in its worker processes too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .limits import LimitError

OnProgress = Callable[[int, float], None]


@dataclass
class _Watch:
    deadline: float  # time.monotonic() value
    limit: float  # the time_seconds limit, for the message
    on_progress: OnProgress | None


_current: ContextVar[_Watch | None] = ContextVar("gradwalk_watch", default=None)


def time_limit_error(limit: float) -> LimitError:
    return LimitError(
        f"the request ran longer than the time_seconds limit of {limit:g} s: ask for less work (fewer steps,"
        " samples or neurons, a smaller source)",
        "limit.time",
        limit=limit,
    )


@contextmanager
def watching(
    seconds: float | None = None,
    *,
    limit: float | None = None,
    deadline: float | None = None,
    on_progress: OnProgress | None = None,
) -> Iterator[None]:
    """Run the block under a deadline: `deadline` (a monotonic time) or `seconds` from now."""
    if deadline is None:
        deadline = time.monotonic() + (seconds if seconds is not None else float("inf"))
    outer = _current.get()
    if outer is not None:  # a nested watch never extends the outer deadline
        deadline = min(deadline, outer.deadline)
        on_progress = on_progress or outer.on_progress
    shown = limit if limit is not None else (seconds if seconds is not None else 0.0)
    token = _current.set(_Watch(deadline, shown, on_progress))
    try:
        yield
    finally:
        _current.reset(token)


def tick(step: int | None = None, loss: float | None = None) -> None:
    """A unit of work is done: past the deadline raise LimitError("limit.time"); report (step, loss)."""
    w = _current.get()
    if w is None:
        return
    if time.monotonic() > w.deadline:
        raise time_limit_error(w.limit)
    if w.on_progress is not None and step is not None and loss is not None:
        w.on_progress(step, loss)
