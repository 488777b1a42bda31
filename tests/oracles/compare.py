"""Equality of float results across engines: NaN equals NaN, infinities by sign, else close."""

from __future__ import annotations

import math


def same(actual: float, expected: float, rel: float = 1e-12, abs_: float = 1e-12) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)
