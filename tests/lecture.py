"""The seeds' first graph, L = (a*b + c) * f, built as the lecture builds it (shared by tests)."""

from __future__ import annotations

from gradwalk import Value


def lecture_values() -> dict[str, Value]:
    """Every named value of the lecture's graph, on the current tape: a, b, c, e, d, f, L."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    return {"a": a, "b": b, "c": c, "e": e, "d": d, "f": f, "L": L}
