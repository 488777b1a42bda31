"""Finite differences as a third witness for sqrt, abs, sin, cos and max.

Away from the kinks (hypothesis): gradwalk's grad equals the central difference of the
same function written with Python's math module, so neither gradwalk's forward rules
nor PyTorch is involved. At the kinks a derivative is a convention, not a limit; each
test below states gradwalk's (PyTorch's) choice next to what the difference quotients
say there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gradwalk import Value, fresh_tape

MATH: dict[str, Callable[[float], float]] = {"sqrt": math.sqrt, "abs": abs, "sin": math.sin, "cos": math.cos}


def grads(f: Callable[..., Value], *xs: float) -> tuple[float, list[float]]:
    """gradwalk's output and d output / d x_i for f applied to fresh leaves."""
    with fresh_tape():
        leaves = [Value(x) for x in xs]
        out = f(*leaves)
        out.backward()
        return out.data, [v.grad for v in leaves]


def step(x: float) -> float:
    return 1e-6 * max(1.0, abs(x))


def central(f: Callable[[float], float], x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def close(grad: float, estimate: float) -> bool:
    return math.isclose(grad, estimate, rel_tol=1e-6, abs_tol=1e-7)


# ------------------------------------------------------------ away from kinks: grad == central difference

finite = st.floats(-100.0, 100.0, allow_nan=False)
UNARY_DOMAINS = {
    "sqrt": st.floats(1e-3, 1e6),
    "abs": finite.filter(lambda x: abs(x) >= 1e-3),
    "sin": finite,
    "cos": finite,
}


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
def test_unary_grad_is_the_central_difference(name: str) -> None:
    @settings(max_examples=200, deadline=None)
    @given(UNARY_DOMAINS[name])
    def check(x: float) -> None:
        data, (g,) = grads(lambda v: getattr(v, name)(), x)
        assert data == MATH[name](x)
        estimate = central(MATH[name], x, step(x))
        assert close(g, estimate), (name, x, g, estimate)

    check()


@settings(max_examples=200, deadline=None)
@given(finite, finite)
def test_max_grads_are_the_central_differences(a: float, b: float) -> None:
    h = max(step(a), step(b))
    assume(abs(a - b) > 10 * h)  # both nudges stay on one side of the tie
    data, (ga, gb) = grads(lambda x, y: x.max(y), a, b)
    assert data == max(a, b)
    assert close(ga, central(lambda t: max(t, b), a, h))
    assert close(gb, central(lambda t: max(a, t), b, h))


def _composite(ops: Any, x: Any, y: Any) -> Any:
    """The new ops chained with the old ones; `ops` maps names to gradwalk methods or math functions."""
    r = ops.sqrt(ops.abs(x * y) + 0.5)
    return ops.max(ops.sin(r) * ops.cos(y), x * 0.25) * r + ops.cos(ops.sin(x) * y)


class _Values:
    sqrt = staticmethod(Value.sqrt)
    abs = staticmethod(Value.abs)
    sin = staticmethod(Value.sin)
    cos = staticmethod(Value.cos)
    max = staticmethod(Value.max)


class _Floats:
    sqrt = staticmethod(math.sqrt)
    abs = staticmethod(abs)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    max = staticmethod(max)


@settings(max_examples=200, deadline=None)
@given(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_composite_grads_are_the_central_differences(x: float, y: float) -> None:
    h = 1e-6
    # keep the nudges off the kinks: abs at x*y == 0 and the tie of max
    assume(abs(x * y) > 1e-3)
    r = math.sqrt(abs(x * y) + 0.5)
    assume(abs(math.sin(r) * math.cos(y) - x * 0.25) > 1e-3)
    data, (gx, gy) = grads(lambda a, b: _composite(_Values, a, b), x, y)
    assert math.isclose(data, _composite(_Floats, x, y), rel_tol=1e-15, abs_tol=1e-15)
    ex = central(lambda t: _composite(_Floats, t, y), x, h)
    ey = central(lambda t: _composite(_Floats, x, t), y, h)
    assert math.isclose(gx, ex, rel_tol=1e-5, abs_tol=1e-6), (x, y, gx, ex)
    assert math.isclose(gy, ey, rel_tol=1e-5, abs_tol=1e-6), (x, y, gy, ey)


# ------------------------------------------------------------ at the kinks: the conventions, stated

H = 2.0**-10  # a power of two keeps x +- h exact; any h > 0 gives these slopes (piecewise linear)


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_abs_at_zero_has_grad_zero_the_central_difference(zero: float) -> None:
    # PyTorch's abs' is sign(x), and sign(0) = 0. The one-sided slopes are -1 and +1;
    # their mean, the central difference, is 0 as well.
    _, (g,) = grads(Value.abs, zero)
    assert g == 0.0
    assert central(abs, zero, H) == 0.0
    assert (abs(zero + H) - abs(zero)) / H == 1.0 and (abs(zero) - abs(zero - H)) / H == -1.0


@pytest.mark.parametrize("tie", [0.0, 1.5, -2.0, 2.0**900])
def test_max_at_a_tie_sends_half_to_each_side(tie: float) -> None:
    # torch.maximum: where a == b each operand gets half the gradient. For max(a, b) in a
    # the slope is 1 to the right, 0 to the left; the central difference is 0.5, as given.
    _, (ga, gb) = grads(lambda x, y: x.max(y), tie, tie)
    assert ga == gb == 0.5
    h = math.ldexp(H, math.frexp(max(1.0, abs(tie)))[1])  # scaled, still a power of two
    assert (max(tie + h, tie) - tie) / h == 1.0 and (tie - max(tie - h, tie)) / h == 0.0
    assert central(lambda t: max(t, tie), tie, h) == 0.5
    # moving both operands together, max grows at slope 1 = ga + gb
    assert (max(tie + h, tie + h) - max(tie - h, tie - h)) / (2 * h) == ga + gb


def test_max_of_a_value_with_itself_has_grad_one() -> None:
    _, (g,) = grads(lambda x: x.max(x), -0.7)
    assert g == 1.0


def test_max_against_zero_at_zero_is_not_relu() -> None:
    # The same function value as relu(0), two conventions: relu'(0) = 0 (PyTorch's
    # threshold), max(x, 0) at x = 0 gives 0.5 (a tie). The central difference says 0.5.
    _, (g_max,) = grads(lambda x: x.max(0.0), 0.0)
    _, (g_relu,) = grads(Value.relu, 0.0)
    assert (g_max, g_relu) == (0.5, 0.0)
    assert central(lambda t: max(t, 0.0), 0.0, H) == 0.5


def test_sqrt_at_zero_is_infinite() -> None:
    # sqrt'(0) = 1 / (2 sqrt(0)) = inf, the limit of the right slope h**-0.5 as h -> 0;
    # to the left sqrt is NaN, so there is no central difference at all.
    data, (g,) = grads(Value.sqrt, 0.0)
    assert data == 0.0 and g == math.inf
    slopes = [math.sqrt(h) / h for h in (1e-2, 1e-4, 1e-8, 1e-16)]
    assert slopes == sorted(slopes) and slopes[-1] > 1e7
    _, (g,) = grads(Value.sqrt, -0.0)
    assert g == -math.inf  # sqrt(-0.0) is -0.0, and 1 / (2 * -0.0) is -inf


@pytest.mark.parametrize("x", [-1.0, -1e-300, -math.inf])
def test_sqrt_of_a_negative_number_is_nan(x: float) -> None:
    data, (g,) = grads(Value.sqrt, x)
    assert math.isnan(data) and math.isnan(g)


def test_sqrt_of_square_at_zero_is_nan_where_abs_is_zero() -> None:
    # sqrt(x*x) is abs(x), but the chain rule multiplies sqrt'(0) = inf by d(x*x)/dx = 0.
    _, (g_sqrt,) = grads(lambda x: (x * x).sqrt(), 0.0)
    _, (g_abs,) = grads(Value.abs, 0.0)
    assert math.isnan(g_sqrt) and g_abs == 0.0


@pytest.mark.parametrize("name", ["sin", "cos"])
@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan])
def test_sin_cos_of_non_finite_are_nan_never_an_exception(name: str, x: float) -> None:
    data, (g,) = grads(lambda v: getattr(v, name)(), x)
    assert math.isnan(data) and math.isnan(g)


@pytest.mark.parametrize(("a", "b"), [(math.nan, 1.0), (2.0, math.nan), (math.nan, math.nan)])
def test_max_with_nan_is_nan_and_passes_the_gradient_to_both(a: float, b: float) -> None:
    data, (ga, gb) = grads(lambda x, y: x.max(y), a, b)
    assert math.isnan(data) and (ga, gb) == (1.0, 1.0)
