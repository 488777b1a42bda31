"""Hypothesis: random valid programs, their grads against central finite differences of their own forward values.

Each program binds three inputs, builds one or two intermediate names and an output
from + - * /, ** (constant and named exponents), unary minus and the functions,
written both as f(x) and x.f(). The derivative of the output with respect to each
input is estimated by re-running the program with that input nudged by +-h.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradwalk import fresh_tape
from gradwalk.language import run
from gradwalk.trace import trace

NAMES = ("x0", "x1", "x2")


def expressions(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    const = st.floats(-2.0, 2.0, allow_nan=False).map(lambda c: f"{c:.3f}")
    leaf = st.one_of(st.sampled_from(names), const)

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        two = st.tuples(inner, inner)
        return st.one_of(
            two.map(lambda t: f"({t[0]} + {t[1]})"),
            two.map(lambda t: f"({t[0]} - {t[1]})"),
            two.map(lambda t: f"{t[0]} * {t[1]}"),
            two.map(lambda t: f"{t[0]} / (2 + tanh({t[1]}))"),  # denominator in (1, 3)
            inner.map(lambda a: f"-{a}"),
            inner.map(lambda a: f"tanh({a})"),
            inner.map(lambda a: f"({a}).sigmoid()"),
            inner.map(lambda a: f"exp(tanh({a}))"),
            inner.map(lambda a: f"log(1 + ({a})**2)"),
            two.map(lambda t: f"(1.5 + sigmoid({t[0]}))**tanh({t[1]})"),  # node exponent, positive base
            st.tuples(inner, st.sampled_from(names)).map(lambda t: f"(2 + tanh({t[0]}))**{t[1]}"),
        )

    return st.recursive(leaf, grow, max_leaves=6)


@st.composite
def programs(draw: st.DrawFn) -> tuple[str, dict[str, float]]:
    inputs = {n: draw(st.floats(-1.5, 1.5, allow_nan=False)) for n in NAMES}
    lines = [f"{n} = {v!r}" for n, v in inputs.items()]
    lines.append(f"t = {draw(expressions(NAMES))}")
    lines.append(f"t {draw(st.sampled_from(['+=', '*=', '-=']))} {draw(expressions(NAMES))}")
    lines.append(f"y = {draw(expressions((*NAMES, 't')))}")
    return "\n".join(lines[3:]), inputs


def evaluate(body: str, inputs: dict[str, float]) -> tuple[float, dict[str, float]]:
    source = "\n".join(f"{n} = {v!r}" for n, v in inputs.items()) + "\n" + body
    with fresh_tape():
        g = trace(run(source).output)
    out = next(n for n in g["nodes"] if n["id"] == g["output"])
    grads = {n["label"]: n["grad"] for n in g["nodes"] if n["role"] == "input"}
    return out["data"], {k: grads.get(k, 0.0) for k in inputs}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_grads_match_central_finite_differences(program: tuple[str, dict[str, float]]) -> None:
    body, inputs = program
    y, grads = evaluate(body, inputs)
    assert isinstance(y, float) and math.isfinite(y)
    for name, x in inputs.items():
        h = 1e-6 * max(1.0, abs(x))
        up, _ = evaluate(body, {**inputs, name: x + h})
        down, _ = evaluate(body, {**inputs, name: x - h})
        estimate = (up - down) / (2 * h)
        assert math.isclose(grads[name], estimate, rel_tol=1e-4, abs_tol=1e-5), (name, grads[name], estimate, body)
