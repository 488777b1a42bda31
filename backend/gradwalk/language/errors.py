"""SourceError: what the language reports when a program is rejected, with a 1-based line and column."""

from __future__ import annotations


class SourceError(Exception):
    """A rejected program. `type` is a stable machine-readable kind ("syntax", "name", "limit.depth", ...)."""

    def __init__(
        self,
        msg: str,
        type: str = "syntax",
        line: int | None = None,
        column: int | None = None,
        *,
        field: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.type = type
        self.line = line
        self.column = column
        # the request field at fault, when it is not the source: ("overrides", "a"), ("paths",)
        self.field = field

    def as_detail(self) -> dict[str, object]:
        """The entry of the API's `detail` list: msg, type, and line/column when known."""
        out: dict[str, object] = {"msg": self.msg, "type": f"source.{self.type}"}
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        return out

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        return where + self.msg


def describe_char(ch: str) -> str:
    """A character named safely for an error message (ASCII only, so it survives any JSON encoder)."""
    code = ord(ch)
    if 32 <= code < 127:
        return f"'{ch}'"
    return f"{ch!a} (U+{code:04X})"
