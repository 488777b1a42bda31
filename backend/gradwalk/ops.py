"""The op table: every operation's forward rule, local derivatives and display formulas.

One place per op. The engine calls `forward` when it builds a node and stores the
local derivatives it returns, so the backward sweep needs no per-op code. The
language's function names, the MLP activations, `GET /api/v1/ops` and the page's
chain-rule panel (which renders `display`/`display_local`) all read this table, so
what is shown and what is computed cannot drift apart. Adding an op is one entry in
OPS plus its oracle cases (tests/oracles/engine_cases.py).

All arithmetic is IEEE double and never raises: 1/0 is inf, log(0) is -inf,
log(-1) and (-8)**(1/3) are NaN (as in PyTorch), overflow is +-inf.
Derivative edge cases follow PyTorch's autograd formulas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

INF = math.inf
NAN = math.nan

# A forward rule maps operand values to (result, d result/d operand for each operand).
Forward = Callable[..., tuple[float, ...]]


@dataclass(frozen=True)
class Op:
    code: int  # index into OPS; stored per node on the tape
    name: str  # API name: "add", "tanh", ...
    symbol: str  # micrograd's `_op` string, shown in op nodes: "+", "tanh", ...
    arity: int
    forward: Forward
    formula: str  # the result in terms of operands a (and b), plain text: "a + b"
    local_formulas: tuple[str, ...]  # d result / d operand, one per operand, plain text
    # What the page shows, with placeholders {a}, {b} (the operands' data, or a constant's
    # value) and {out} (the result's data): "{a} × {b}", local ("{b}", "{a}").
    display: str
    display_local: tuple[str, ...]
    function: bool = True  # callable by name: f(x) and x.f() (max(a, b) for arity 2)


# ---------------------------------------------------------------- IEEE helpers


def _div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return NAN
        # sign of x/±0 follows both signs, as IEEE 754 specifies
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _is_odd_integer(y: float) -> bool:
    return math.isfinite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0.0


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except ValueError:
        # math.pow refuses exactly: 0 ** negative, and negative ** non-integer
        if x == 0.0:
            return -INF if (math.copysign(1.0, x) < 0 and _is_odd_integer(y)) else INF
        return NAN
    except OverflowError:
        return -INF if (x < 0 and _is_odd_integer(y)) else INF


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(x: float) -> float:
    if x > 0.0 or x != x:
        return math.log(x)
    return -INF if x == 0.0 else NAN


def _sin(x: float) -> float:
    return math.sin(x) if x - x == 0.0 else NAN  # math.sin(inf) raises; IEEE says NaN


def _cos(x: float) -> float:
    return math.cos(x) if x - x == 0.0 else NAN


def _sigmoid(x: float) -> float:
    # two branches so exp never overflows: sigmoid(-800) is 0, sigmoid(800) is 1
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    e = _exp(x)
    return e / (1.0 + e)


# ---------------------------------------------------------------- forward rules
# Each returns (result, local derivative per operand). Derivatives mirror the
# formulas in PyTorch's derivatives.yaml so edge cases (0 * inf, masks) agree.


def _f_add(a: float, b: float) -> tuple[float, float, float]:
    return a + b, 1.0, 1.0


def _f_sub(a: float, b: float) -> tuple[float, float, float]:
    return a - b, 1.0, -1.0


def _f_mul(a: float, b: float) -> tuple[float, float, float]:
    return a * b, b, a


def _f_div(a: float, b: float) -> tuple[float, float, float]:
    return _div(a, b), _div(1.0, b), _div(-a, b * b)


def _f_pow(a: float, b: float) -> tuple[float, float, float]:
    out = _pow(a, b)
    # PyTorch: d/da is 0 where the exponent is 0; d/db is 0 where a == 0 and b >= 0
    da = 0.0 if b == 0.0 else b * _pow(a, b - 1.0)
    db = 0.0 if (a == 0.0 and b >= 0.0) else out * _log(a)
    return out, da, db


def _f_neg(a: float) -> tuple[float, float]:
    return -a, -1.0


def _f_exp(a: float) -> tuple[float, float]:
    out = _exp(a)
    return out, out


def _f_log(a: float) -> tuple[float, float]:
    return _log(a), _div(1.0, a)


def _f_tanh(a: float) -> tuple[float, float]:
    t = math.tanh(a)  # saturates cleanly: tanh(400) == 1.0, so the derivative is exactly 0
    return t, 1.0 - t * t


def _f_relu(a: float) -> tuple[float, float]:
    if a > 0.0:
        return a, 1.0
    if a != a:  # PyTorch masks the gradient where the result <= 0, and NaN <= 0 is false
        return a, 1.0
    return 0.0, 0.0


def _f_sigmoid(a: float) -> tuple[float, float]:
    s = _sigmoid(a)
    return s, s * (1.0 - s)


def _f_sqrt(a: float) -> tuple[float, float]:
    out = math.sqrt(a) if a >= 0.0 else (a if a != a else NAN)
    return out, _div(0.5, out)  # PyTorch: 1 / (2 sqrt(a)), inf at 0


def _f_abs(a: float) -> tuple[float, float]:
    # PyTorch's sgn(a): the derivative is 0 at the kink 0, and at NaN
    return abs(a), (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0)


def _f_sin(a: float) -> tuple[float, float]:
    return _sin(a), _cos(a)


def _f_cos(a: float) -> tuple[float, float]:
    return _cos(a), -_sin(a)


def _f_max(a: float, b: float) -> tuple[float, float, float]:
    # torch.maximum: a tie sends half the gradient each way; NaN wins and passes to both
    if a != a or b != b:
        return NAN, 1.0, 1.0
    if a > b:
        return a, 1.0, 0.0
    if a < b:
        return b, 0.0, 1.0
    return a, 0.5, 0.5


_MAX_LOCAL_A = "1 if a > b else 0.5 if a == b else 0"
_MAX_LOCAL_B = "1 if b > a else 0.5 if a == b else 0"

OPS: tuple[Op, ...] = (
    Op(0, "add", "+", 2, _f_add, "a + b", ("1", "1"), "{a} + {b}", ("1", "1"), function=False),
    Op(1, "sub", "-", 2, _f_sub, "a - b", ("1", "-1"), "{a} − {b}", ("1", "-1"), function=False),
    Op(2, "mul", "*", 2, _f_mul, "a * b", ("b", "a"), "{a} × {b}", ("{b}", "{a}"), function=False),
    Op(3, "div", "/", 2, _f_div, "a / b", ("1 / b", "-a / b**2"), "{a} / {b}", ("1 / {b}", "−{a} / {b}²"),
       function=False),
    Op(4, "pow", "**", 2, _f_pow, "a ** b", ("b * a**(b - 1)", "a**b * log(a)"), "{a} ** {b}",
       ("{b} × {a} ** ({b} − 1)", "{out} × log({a})"), function=False),
    Op(5, "neg", "neg", 1, _f_neg, "-a", ("-1",), "−{a}", ("-1",), function=False),
    Op(6, "exp", "exp", 1, _f_exp, "exp(a)", ("exp(a)",), "exp({a})", ("{out}",)),
    Op(7, "log", "log", 1, _f_log, "log(a)", ("1 / a",), "log({a})", ("1 / {a}",)),
    Op(8, "tanh", "tanh", 1, _f_tanh, "tanh(a)", ("1 - tanh(a)**2",), "tanh({a})", ("(1 − {out}²)",)),
    Op(9, "relu", "ReLU", 1, _f_relu, "relu(a)", ("1 if a > 0 else 0",), "relu({a})", ("[{a} > 0]",)),
    Op(10, "sigmoid", "sigmoid", 1, _f_sigmoid, "sigmoid(a)", ("sigmoid(a) * (1 - sigmoid(a))",), "sigmoid({a})",
       ("{out} × (1 − {out})",)),
    Op(11, "sqrt", "sqrt", 1, _f_sqrt, "sqrt(a)", ("1 / (2 * sqrt(a))",), "sqrt({a})", ("1 / (2 × {out})",)),
    Op(12, "abs", "abs", 1, _f_abs, "abs(a)", ("sign(a)",), "abs({a})", ("sign({a})",)),
    Op(13, "sin", "sin", 1, _f_sin, "sin(a)", ("cos(a)",), "sin({a})", ("cos({a})",)),
    Op(14, "cos", "cos", 1, _f_cos, "cos(a)", ("-sin(a)",), "cos({a})", ("−sin({a})",)),
    Op(15, "max", "max", 2, _f_max, "max(a, b)", (_MAX_LOCAL_A, _MAX_LOCAL_B), "max({a}, {b})",
       ("[{a} > {b}] (½ at a tie)", "[{b} > {a}] (½ at a tie)")),
)

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, TANH, RELU, SIGMOID, SQRT, ABS, SIN, COS, MAX = range(16)
assert all(op.code == k for k, op in enumerate(OPS)), "an op's code is its place in OPS"

# Functions the expression language and `Value` methods expose by name, by arity.
FUNCTIONS: tuple[str, ...] = tuple(op.name for op in OPS if op.function and op.arity == 1)
BINARY_FUNCTIONS: tuple[str, ...] = tuple(op.name for op in OPS if op.function and op.arity == 2)
# Activations an MLP layer can use: the table's unary functions that make sense there, plus the identity.
ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "sigmoid", "linear")
assert all(a == "linear" or a in FUNCTIONS for a in ACTIVATIONS)


def listing() -> list[dict[str, object]]:
    """Every op as GET /api/v1/ops serves it: the page's chain-rule panel renders these templates."""
    return [
        {
            "name": op.name,
            "symbol": op.symbol,
            "arity": op.arity,
            "formula": op.formula,
            "local_derivatives": dict(zip("ab", op.local_formulas, strict=False)),
            "display": op.display,
            "display_local": list(op.display_local),
            "function": op.function,
        }
        for op in OPS
    ]
