"""The plain data of Python programs, importable without the sandbox installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Program:
    """A Python program and the name of its output (None: by the rules of docs/api.md, Python programs)."""

    source: str
    output: str | None = None


@dataclass(frozen=True)
class SandboxLimits:
    time_seconds: float = 5.0
    memory_bytes: int = 256 * 1024 * 1024
    recursion_depth: int = 1000
    output_bytes: int = 64 * 1024
    max_nodes: int = 300_000


class ProgramError(Exception):
    """An exception the program raised (or a problem with its output): a 422 `python.<Name>` / `output`."""

    def __init__(self, msg: str, type: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.type = type
        self.line = line
        self.column = column

    def as_detail(self) -> dict[str, Any]:
        d: dict[str, Any] = {"msg": self.msg, "type": self.type}
        if self.line is not None:
            d["line"] = self.line
            d["column"] = self.column
        return d
