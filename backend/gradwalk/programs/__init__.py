"""Python programs (docs/api.md, Python programs): a student's micrograd code, run only in the
pydantic-monty sandbox, traced through its own objects.

    source -> source.analyse (parse only, imports rewritten) -> sandbox.run (prelude + program +
    extraction, in a fresh worker) -> graph.build (Graph JSON, checks, snapshots); run.respond does all.

This package's top level imports no sandbox: `run`, `sandbox` and `graph` need pydantic-monty.
"""

from __future__ import annotations

from .model import Program, ProgramError, SandboxLimits

__all__ = ["Program", "ProgramError", "SandboxLimits"]
