"""One program, source to response dict (needs pydantic-monty: the `server` extra)."""

from __future__ import annotations

from typing import Any

from .graph import build
from .model import Program, ProgramError, SandboxLimits
from .sandbox import run
from .source import analyse, is_name


def respond(program: Program, limits: SandboxLimits) -> dict[str, Any]:
    """Run `program` in the sandbox and return its response dict (Graph JSON + stdout, engine, checks, snapshots)."""
    if program.output is not None and not is_name(program.output):
        raise ProgramError(f"output must be a Python name, not {program.output!r}", "output")
    analysis = analyse(program.source)
    if analysis.syntax is not None:  # Python's parser already says where: nothing to run
        kind, msg, line, column = analysis.syntax
        raise ProgramError(msg, f"python.{kind}", line, column)
    raw, stdout = run(analysis, program.output, limits)
    graph = build(raw, limits.max_nodes)
    graph["stdout"] = stdout
    return graph
