"""The pydantic-monty worker pool and one program's run in it.

Every program gets a fresh worker process (`max_checkouts_per_worker=1`): nothing a
program did, or a limit it hit, outlives its request. The server's interpreter only
parses the program (gradwalk.programs.source) and converts the plain lists the
sandbox returns; the program itself runs only in the worker.

Two feeds in one session: the prelude (feed 0), then the program with gradwalk's
extraction appended after its last line (feed 1, `<python-input-1>`), so every line
and column a traceback names in that feed, up to the program's last line, is the
program's own.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pydantic_monty as pm

from ..limits import LimitError
from .model import ProgramError, SandboxLimits
from .prelude import EXTRACT, PRELUDE
from .source import Analysis, pick_code

PROGRAM_FILE = "<python-input-1>"


class Pool:
    """The process-wide monty pool: `start()` with the app, `stop()` with it; `get()` starts it on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: pm.Monty | None = None
        self.max_processes = 4
        self.min_processes = 1

    def start(self, max_processes: int | None = None) -> None:
        with self._lock:
            if max_processes is not None:
                self.max_processes = max_processes
            if self._pool is None:
                pool = pm.Monty(
                    min_processes=min(self.min_processes, self.max_processes),
                    max_processes=self.max_processes,
                    max_checkouts_per_worker=1,
                    checkout_timeout=60.0,
                    feed_duration_limit_grace=0.5,
                )
                pool.__enter__()
                self._pool = pool

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.__exit__(None, None, None)

    @property
    def running(self) -> bool:
        return self._pool is not None

    def get(self) -> pm.Monty:
        if self._pool is None:
            self.start()
        assert self._pool is not None
        return self._pool


POOL = Pool()


def run(analysis: Analysis, requested: str | None, limits: SandboxLimits) -> tuple[list[Any], list[str]]:
    """Run the program; return the extraction's raw result and the printed lines."""
    n_lines = analysis.source.count("\n") + 1
    code = (
        analysis.source
        + "\n"
        + EXTRACT.format(
            pick=pick_code(requested, analysis.draw_name, analysis.names),
            max_nodes=limits.max_nodes,
            requested="True" if requested is not None else "False",
            requested_name=repr(requested),
        )
    )
    printed: list[str] = []
    size = [0]
    over = [False]

    def on_print(_stream: str, text: str) -> None:
        if over[0]:
            return
        size[0] += len(text.encode("utf-8", "replace"))
        if size[0] > limits.output_bytes:
            over[0] = True
            raise _OutputOver()
        printed.append(text)

    sandbox_limits: pm.ResourceLimits = {
        "max_feed_duration_secs": limits.time_seconds,
        "max_memory": limits.memory_bytes,
        "max_recursion_depth": limits.recursion_depth,
        "max_suspensions": 1000,
    }
    started = time.monotonic()
    try:
        with POOL.get().checkout(script_name="program.py", limits=sandbox_limits) as session:
            try:
                session.feed_run(PRELUDE)
            except pm.MontyError as e:  # gradwalk's own code: a bug, never the program's error
                raise RuntimeError(f"gradwalk's sandbox prelude failed: {e}") from None
            result = session.feed_run(code, print_callback=on_print)
    except pm.MontyCrashedError as e:
        if e.timed_out or time.monotonic() - started >= limits.time_seconds:
            raise _time_limit(limits) from None
        raise LimitError(
            f"the sandbox's worker stopped ({_first_line(str(e))}); the program is over one of its limits",
            "limit.memory",
        ) from None
    except pm.MontyRuntimeError as e:
        if over[0]:
            raise _output_limit(limits) from None
        raise _runtime_error(e, n_lines, limits) from None
    except pm.MontySyntaxError as e:
        raise _syntax_error(e, n_lines) from None
    except pm.MontyError as e:
        raise ProgramError(_first_line(str(e)), "python.Error") from None
    if over[0]:
        raise _output_limit(limits)
    if not isinstance(result, list):
        raise ProgramError("the program redefined a name gradwalk's extraction needs", "program.result")
    return result, _lines("".join(printed))


class _OutputOver(Exception):
    pass


def _lines(text: str) -> list[str]:
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def _first_line(s: str) -> str:
    return s.strip().split("\n")[0][:500]


def _time_limit(limits: SandboxLimits) -> LimitError:
    return LimitError(
        f"the program ran longer than the program_time_seconds limit of {limits.time_seconds} s",
        "limit.time",
        limit=limits.time_seconds,
    )


def _output_limit(limits: SandboxLimits) -> LimitError:
    return LimitError(
        f"the program printed more than the program_output_bytes limit of {limits.output_bytes} bytes",
        "limit.output",
        limit=limits.output_bytes,
    )


def _position(frames: list[pm.Frame], n_lines: int) -> tuple[int | None, int | None]:
    """The innermost frame in the program's own text (never the prelude's or gradwalk's extraction)."""
    for f in reversed(frames):
        if f.filename == PROGRAM_FILE and f.line <= n_lines:
            return f.line, f.column
    return None, None


def _runtime_error(e: pm.MontyRuntimeError, n_lines: int, limits: SandboxLimits) -> Exception:
    inner = e.exception()
    name = type(inner).__name__
    msg = _safe(str(inner)) or name
    line, column = _position(e.traceback(), n_lines)
    if name == "TimeoutError" and "time limit exceeded" in msg:
        return _time_limit(limits)
    if name == "MemoryError" and "memory limit" in msg:
        extra: dict[str, Any] = {"limit": limits.memory_bytes}
        if line is not None:
            extra.update(line=line, column=column)
        return LimitError(
            f"the program used more than the program_memory_bytes limit of {limits.memory_bytes} bytes",
            "limit.memory",
            **extra,
        )
    if name == "RecursionError":
        extra = {"limit": limits.recursion_depth}
        if line is not None:
            extra.update(line=line, column=column)
        return LimitError(
            f"the program's calls nested deeper than the program_recursion_depth limit of {limits.recursion_depth}"
            " (a recursive function without a base case?)",
            "limit.recursion",
            **extra,
        )
    if name == "NotImplementedError" and "inheritance" in msg:
        msg = (
            "class inheritance (class B(A)) is not supported in the sandbox yet: write the class without a base"
            " class (gradwalk predefines micrograd's Value, Neuron, Layer and MLP when the program defines no Value)"
        )
    return ProgramError(msg, f"python.{name}", line, column)


def _syntax_error(e: pm.MontySyntaxError, n_lines: int) -> ProgramError:
    inner = e.exception()
    frames = e.traceback()
    line, column = (frames[-1].line, frames[-1].column) if frames else (None, None)
    if line is not None and line > n_lines:  # an unfinished last line, seen only where gradwalk's code starts
        line, column = n_lines, 1
    return ProgramError(_safe(str(inner)) or "invalid syntax", f"python.{type(inner).__name__}", line, column)


def _safe(s: str) -> str:
    return s.encode("utf-8", "backslashreplace").decode("utf-8")[:2000]
