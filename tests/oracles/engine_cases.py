"""The engine's oracle cases: formulas checked against PyTorch float64 (golden file and
live) and, where micrograd has the ops, against micrograd from PyPI.

Each case: name -> (leaf values, build function, micrograd gap). See backends.py.

Which oracles a case has (`oracles(name)`, or `python -m tests.oracles.engine_cases`):
every case has PyTorch (golden and live). micrograd 0.1.0 is an oracle too unless
  - the case calls a function micrograd lacks (found by running the build, not declared:
    the gap reads "micrograd 0.1.0 has no sqrt"), or
  - the case says why not with `micrograd="..."` (micrograd has the ops but raises or
    returns a complex number); tests/test_engine_oracles.py checks that it really does.
KNOWN_DISAGREEMENTS lists the cases where gradwalk and PyTorch differ (xfail, strict).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

Build = Callable[[Any, dict[str, Any]], Any]
CASES: dict[str, tuple[dict[str, float], Build, str]] = {}

# Cases where gradwalk's engine disagrees with PyTorch: name -> what differs. The tests
# mark exactly these xfail(strict=True); fix the engine, then delete the entry.
KNOWN_DISAGREEMENTS: dict[str, str] = {}

_MG_NUMBER_EXPONENT = "micrograd's ** takes a number exponent only"
_MG_DIV_RAISES = "micrograd divides as x * y**-1 in Python floats: ZeroDivisionError"


def case(name: str, micrograd: str = "", **leaves: float) -> Callable[[Build], Build]:
    """Register a case; `micrograd` says why micrograd cannot be its oracle, if it has the functions."""

    def register(build: Build) -> Build:
        assert name not in CASES, name
        CASES[name] = (leaves, build, micrograd)
        return build

    return register


def fingerprint(name: str) -> str:
    """What the golden file must match: the leaf values and the builder's source."""
    leaves, build, _ = CASES[name]
    return repr(sorted(leaves.items())) + "\n" + inspect.getsource(build)


class _Calls:
    """A backend wrapper that notes the names of the functions a build calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.names: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.names.add(name)
        return getattr(self.inner, name)


def functions_used(name: str) -> frozenset[str]:
    """The backend functions (exp, sqrt, max, ...) the case calls, found by building it with gradwalk."""
    from gradwalk import fresh_tape

    from .backends import GradwalkBackend

    leaves, build, _ = CASES[name]
    with fresh_tape():
        backend = GradwalkBackend()
        values = {k: backend.leaf(k, x) for k, x in leaves.items()}
        calls = _Calls(backend)
        build(calls, values)
    return frozenset(calls.names)


def micrograd_gap(name: str) -> str:
    """Why micrograd 0.1.0 is not an oracle for this case; "" when it is."""
    from .backends import MicrogradBackend

    declared = CASES[name][2]
    missing = sorted(functions_used(name) - MicrogradBackend.HAS)
    if missing:
        return "micrograd 0.1.0 has no " + ", ".join(missing)
    return declared


def oracles(name: str) -> dict[str, str]:
    """Each oracle of the case -> how it is used, or why it is not."""
    gap = micrograd_gap(name)
    return {
        "pytorch": "golden file (make test) and live (make test-torch)",
        "micrograd": f"not an oracle: {gap}" if gap else "micrograd 0.1.0 from PyPI",
    }


# ------------------------------------------------------------ every op alone, several points

_POINTS = {"neg2": -2.0, "neg_half": -0.5, "zero": 0.0, "half": 0.5, "three": 3.0}
_UNARY = ("exp", "log", "tanh", "relu", "sigmoid", "sqrt", "abs", "sin", "cos")  # sqrt(-2), sqrt(-0.5): NaN

for _fn in _UNARY:
    for _pname, _x in _POINTS.items():
        if _fn == "log" and _x <= 0:
            continue  # covered by the IEEE cases
        case(f"{_fn}_{_pname}", x=_x)(lambda B, v, fn=_fn: getattr(B, fn)(v["x"]))

for _pname, (_x, _y) in {"pos": (1.5, 2.5), "mixed": (-3.0, 0.75), "neg": (-1.25, -4.0)}.items():
    case(f"add_{_pname}", x=_x, y=_y)(lambda B, v: v["x"] + v["y"])
    case(f"sub_{_pname}", x=_x, y=_y)(lambda B, v: v["x"] - v["y"])
    case(f"mul_{_pname}", x=_x, y=_y)(lambda B, v: v["x"] * v["y"])
    case(f"div_{_pname}", x=_x, y=_y)(lambda B, v: v["x"] / v["y"])
    case(f"neg_{_pname}", x=_x, y=_y)(lambda B, v: -v["x"] * v["y"])


@case("pow_const_int", x=-1.5)
def _pow_const_int(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** 3


@case("pow_const_frac", x=2.25)
def _pow_const_frac(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** 0.5


@case("pow_const_negative", x=1.75)
def _pow_const_negative(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** -2


@case("pow_value_exponent", micrograd=_MG_NUMBER_EXPONENT, x=1.7, k=2.3)
def _pow_value_exponent(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]


@case("pow_value_exponent_negative_base", micrograd=_MG_NUMBER_EXPONENT, x=-2.0, k=3.0)
def _pow_value_exponent_negative_base(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]  # d/dk = x**k * log(x): NaN for a negative base, as in PyTorch


@case("rpow", micrograd="micrograd has no reflected ** (number ** Value)", x=0.8)
def _rpow(B: Any, v: dict[str, Any]) -> Any:
    return 2.0 ** v["x"]


@case("reflected_ops", x=1.3)
def _reflected(B: Any, v: dict[str, Any]) -> Any:
    x = v["x"]
    return (2 + x) * (3 - x) + 4 * x + 1 / x - (5 / x)


# ------------------------------------------------------------ micrograd's test_engine.py


@case("micrograd_sanity_check", x=-4.0)
def _sanity(B: Any, v: dict[str, Any]) -> Any:
    x = v["x"]
    z = 2 * x + 2 + x
    q = B.relu(z) + z * x
    h = B.relu(z * z)
    return h + q + q * x


@case("micrograd_more_ops", a=-4.0, b=2.0)
def _more_ops(B: Any, v: dict[str, Any]) -> Any:
    a, b = v["a"], v["b"]
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + B.relu(b + a)
    d = d + 3 * d + B.relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


# ------------------------------------------------------------ the lecture's examples


@case("seed_L_graph", a=2.0, b=-3.0, c=10.0, f=-2.0)
def _seed_L(B: Any, v: dict[str, Any]) -> Any:
    e = v["a"] * v["b"]
    d = e + v["c"]
    return d * v["f"]


@case("seed_tanh_neuron", x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
def _seed_neuron(B: Any, v: dict[str, Any]) -> Any:
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    return B.tanh(n)


@case("seed_tanh_from_exp", x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432)
def _seed_neuron_exp(B: Any, v: dict[str, Any]) -> Any:
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    e = B.exp(2 * n)
    return (e - 1) / (e + 1)


@case("seed_fan_out", a=7.0, b=-2.0, c=1.0)
def _seed_fan_out(B: Any, v: dict[str, Any]) -> Any:
    d = v["a"] + v["b"]
    e = v["c"] * d
    return e + v["a"]


@case("fan_out_square", a=-3.0)
def _fan_out_square(B: Any, v: dict[str, Any]) -> Any:
    return v["a"] * v["a"]


@case("fan_out_double", a=3.0)
def _fan_out_double(B: Any, v: dict[str, Any]) -> Any:
    b = v["a"] + v["a"]
    return b * b


# ------------------------------------------------------------ combinations


@case("mixed_chain", x=0.3, y=-1.2, z=2.5)
def _mixed(B: Any, v: dict[str, Any]) -> Any:
    x, y, z = v["x"], v["y"], v["z"]
    s = B.sigmoid(x * y - z)
    t = B.tanh(B.exp(x) / (1 + z**2))
    return B.log(s + t + 1) * B.relu(z - x) ** 1.5


@case("softmax_nll", l0=1.2, l1=-0.3, l2=2.1)
def _softmax(B: Any, v: dict[str, Any]) -> Any:
    e0, e1, e2 = B.exp(v["l0"]), B.exp(v["l1"]), B.exp(v["l2"])
    return -B.log(e2 / (e0 + e1 + e2))


@case("deep_tanh_stack", x=0.9)
def _deep(B: Any, v: dict[str, Any]) -> Any:
    y = v["x"]
    for k in range(30):
        y = B.tanh(y * 1.1 + 0.05 * k)
    return y


# ------------------------------------------------------------ IEEE edge cases (never an exception)


@case("ieee_div_by_zero", micrograd=_MG_DIV_RAISES, x=1.0, y=0.0)
def _div0(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] / v["y"]


@case("ieee_zero_div_zero", micrograd=_MG_DIV_RAISES, x=0.0, y=0.0)
def _div00(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] / v["y"]


@case("ieee_log_zero", x=0.0)
def _log0(B: Any, v: dict[str, Any]) -> Any:
    return B.log(v["x"])


@case("ieee_log_negative", x=-1.0)
def _logneg(B: Any, v: dict[str, Any]) -> Any:
    return B.log(v["x"])


@case("ieee_exp_overflow", x=1000.0)
def _expover(B: Any, v: dict[str, Any]) -> Any:
    return B.exp(v["x"])


@case("ieee_mul_overflow", x=1e200, y=1e200)
def _mulover(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] * v["y"]


@case("ieee_pow_overflow", micrograd="micrograd's ** is Python's: 10.0 ** 400 raises OverflowError", x=10.0)
def _powover(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** 400


@case("ieee_cube_root_negative", micrograd="micrograd's ** is Python's: (-8.0) ** (1/3) is a complex number", x=-8.0)
def _cbrt(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** (1 / 3)


@case("ieee_zero_pow_negative", micrograd="micrograd's ** is Python's: 0.0 ** -1 raises ZeroDivisionError", x=0.0)
def _zpow(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** -1


@case("ieee_zero_pow_value_exponent", micrograd=_MG_NUMBER_EXPONENT, x=0.0, k=2.0)
def _zpowk(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]  # PyTorch masks d/dk to 0 where x == 0 and k >= 0


@case("ieee_pow_zero_exponent", micrograd=_MG_NUMBER_EXPONENT, x=0.0, k=0.0)
def _pow00(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]


@case("ieee_tanh_saturates", x=400.0)
def _tanh400(B: Any, v: dict[str, Any]) -> Any:
    return B.tanh(v["x"])


@case("ieee_sigmoid_underflow", x=-800.0)
def _sig800(B: Any, v: dict[str, Any]) -> Any:
    return B.sigmoid(v["x"])


@case("ieee_sigmoid_saturates", x=800.0)
def _sigp800(B: Any, v: dict[str, Any]) -> Any:
    return B.sigmoid(v["x"])


@case("ieee_inf_times_zero", x=1000.0, y=0.0)
def _inf0(B: Any, v: dict[str, Any]) -> Any:
    return B.exp(v["x"]) * v["y"]


@case("ieee_nan_propagates", x=-1.0, y=2.0)
def _nanprop(B: Any, v: dict[str, Any]) -> Any:
    return B.tanh(B.log(v["x"]) * v["y"] + v["y"])


@case("ieee_exploding_grad", x=-710.0)
def _explode(B: Any, v: dict[str, Any]) -> Any:
    return 1 / B.exp(v["x"])


@case("ieee_relu_of_inf", x=1e308, y=10.0)
def _reluinf(B: Any, v: dict[str, Any]) -> Any:
    return B.relu(v["x"] * v["y"])


# ------------------------------------------------------------ sqrt, abs, sin, cos, max (PyTorch's kinks)

for _pname, (_x, _y) in {"left": (2.5, -1.0), "right": (-3.0, 0.75), "neg": (-1.25, -4.0)}.items():
    case(f"max_{_pname}", x=_x, y=_y)(lambda B, v: B.max(v["x"], v["y"]))


@case("max_tie", x=1.5, y=1.5)
def _max_tie(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], v["y"])  # torch.maximum: half the gradient to each side


@case("max_tie_at_zero", x=0.0, y=0.0)
def _max_tie0(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], v["y"])


@case("max_self", a=-0.7)
def _max_self(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["a"], v["a"])  # always a tie: 0.5 + 0.5 reaches a


@case("max_constant", x=-0.25)
def _max_const(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], 0.5)


@case("max_constant_tie", x=0.0)
def _max_const_tie(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], 0.0)  # relu's value, but grad 0.5 where relu'(0) is 0


@case("max_reuse", a=1.5, b=-0.5)
def _max_reuse(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["a"], v["b"]) * v["a"]


@case("max_reuse_tie", a=2.0, b=2.0)
def _max_reuse_tie(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["a"], v["b"]) * v["a"]  # d/da = max + a/2 = 3, d/db = a/2 = 1


@case("max_of_tanh_tie", a=0.3, b=0.3)
def _max_tanh_tie(B: Any, v: dict[str, Any]) -> Any:
    return B.tanh(B.max(v["a"] * 2, v["b"] + 0.3))


@case("sqrt_of_product", a=2.0, b=4.5)
def _sqrt_prod(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["a"] * v["b"])


@case("sqrt_hypot", x=3.0, y=-4.0)
def _hypot(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"] ** 2 + v["y"] * v["y"])


@case("sqrt_vs_pow_half", x=2.25)
def _sqrt_pow(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"]) - v["x"] ** 0.5


@case("sqrt_of_square", x=-3.0)
def _sqrt_sq(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"] * v["x"])  # |x|, grad sign(x)


@case("abs_of_difference", a=0.5, b=2.0)
def _abs_diff(B: Any, v: dict[str, Any]) -> Any:
    return B.abs(v["a"] - v["b"]) * v["b"]


@case("abs_of_difference_kink", a=1.25, b=1.25)
def _abs_diff0(B: Any, v: dict[str, Any]) -> Any:
    return B.abs(v["a"] - v["b"]) * v["b"]  # sign(0) = 0 blocks both paths through abs


@case("abs_of_negation", x=0.75)
def _abs_neg(B: Any, v: dict[str, Any]) -> Any:
    return B.abs(-v["x"])


@case("sin_times_cos", a=0.7)
def _sin_cos(B: Any, v: dict[str, Any]) -> Any:
    return B.sin(v["a"]) * B.cos(v["a"])


@case("sin_cos_pythagoras", a=-1.1)
def _pythagoras(B: Any, v: dict[str, Any]) -> Any:
    return B.sin(v["a"]) ** 2 + B.cos(v["a"]) ** 2  # 1, grad 0 up to rounding


@case("cos_of_sin", a=2.2)
def _cos_sin(B: Any, v: dict[str, Any]) -> Any:
    return B.cos(B.sin(v["a"]) * 3)


@case("sin_large_argument", x=1e22)
def _sin_big(B: Any, v: dict[str, Any]) -> Any:
    return B.sin(v["x"])  # exact range reduction in both


@case("cos_large_argument", x=1e22)
def _cos_big(B: Any, v: dict[str, Any]) -> Any:
    return B.cos(v["x"])


@case("new_ops_mixed", x=0.6, y=-1.1, z=2.0)
def _new_mixed(B: Any, v: dict[str, Any]) -> Any:
    x, y, z = v["x"], v["y"], v["z"]
    r = B.sqrt(B.abs(x * y) + z)
    s = B.sin(r) * B.exp(y) - B.cos(x / z)
    return B.max(s, B.tanh(y)) * r + B.relu(B.max(x, y) - 0.1) + B.log(B.abs(y))


# ------------------------------------------------------------ sqrt, abs, sin, cos, max: IEEE


@case("ieee_sqrt_zero_times_zero", x=0.0)
def _sqrt_sq0(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"] * v["x"])  # chain rule: inf * 0 is NaN (abs'(0) would be 0)


@case("ieee_sqrt_negative_zero", x=-0.0)
def _sqrtnz(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"])  # sqrt(-0.0) is -0.0, so the grad 1 / (2 * -0.0) is -inf


@case("ieee_sqrt_inf", x=math.inf)
def _sqrtinf(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"])


@case("ieee_sqrt_negative_inf", x=-math.inf)
def _sqrtninf(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"])


@case("ieee_sqrt_of_log_negative", x=-1.0)
def _sqrtlog(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(B.log(v["x"]))


@case("ieee_sqrt_tiny", x=5e-324)
def _sqrttiny(B: Any, v: dict[str, Any]) -> Any:
    return B.sqrt(v["x"])  # a subnormal: the grad is huge but finite


@case("ieee_abs_inf", x=-math.inf)
def _absinf(B: Any, v: dict[str, Any]) -> Any:
    return B.abs(v["x"])


@case("ieee_abs_nan", x=math.nan)
def _absnan(B: Any, v: dict[str, Any]) -> Any:
    return B.abs(v["x"])


@case("ieee_abs_negative_zero", x=-0.0)
def _absnz(B: Any, v: dict[str, Any]) -> Any:
    return B.abs(v["x"])


@case("ieee_relu_nan", micrograd="micrograd's relu'(NaN) is 0; PyTorch's (and gradwalk's) is 1", x=math.nan)
def _relunan(B: Any, v: dict[str, Any]) -> Any:
    return B.relu(v["x"])


@case("ieee_sin_inf", x=math.inf)
def _sininf(B: Any, v: dict[str, Any]) -> Any:
    return B.sin(v["x"])


@case("ieee_sin_negative_inf", x=-math.inf)
def _sinninf(B: Any, v: dict[str, Any]) -> Any:
    return B.sin(v["x"])


@case("ieee_cos_inf", x=math.inf)
def _cosinf(B: Any, v: dict[str, Any]) -> Any:
    return B.cos(v["x"])


@case("ieee_sin_of_exp_overflow", x=1000.0)
def _sinexp(B: Any, v: dict[str, Any]) -> Any:
    return B.sin(B.exp(v["x"]))


@case("ieee_cos_nan", x=math.nan)
def _cosnan(B: Any, v: dict[str, Any]) -> Any:
    return B.cos(v["x"])


@case("ieee_max_nan_left", x=math.nan, y=1.0)
def _maxnanl(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], v["y"])  # NaN wins, and the gradient reaches both sides


@case("ieee_max_nan_right", x=2.0, y=math.nan)
def _maxnanr(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], v["y"])


@case("ieee_max_nan_from_log", x=-1.0, y=3.0)
def _maxnanlog(B: Any, v: dict[str, Any]) -> Any:
    return B.max(B.log(v["x"]), v["y"]) * v["y"]


@case("ieee_max_inf_tie", x=math.inf, y=math.inf)
def _maxinf(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], v["y"])


@case("ieee_max_inf_vs_finite", x=-math.inf, y=-1e308)
def _maxninf(B: Any, v: dict[str, Any]) -> Any:
    return B.max(v["x"], v["y"])


@case("ieee_max_signed_zero_tie", x=-0.0, y=0.0)
def _maxsz(B: Any, v: dict[str, Any]) -> Any:
    return 1 / B.max(v["x"], v["y"])  # maximum(-0.0, 0.0) is -0.0 (the first operand), so -inf


def golden_number(x: float) -> float | str:
    """JSON has no NaN or Infinity: store them as the strings the API uses."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def from_golden(x: float | str) -> float:
    return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(x, x)) if isinstance(x, str) else x


if __name__ == "__main__":
    for _name in sorted(CASES):
        print(f"{_name:36} micrograd: {micrograd_gap(_name) or 'yes'}")
