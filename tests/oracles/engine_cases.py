"""The engine's oracle cases: formulas checked against PyTorch float64 (golden file and
live) and, where micrograd has the ops, against micrograd from PyPI.

Each case: name -> (leaf values, build function, micrograd_ok). See backends.py.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

Build = Callable[[Any, dict[str, Any]], Any]
CASES: dict[str, tuple[dict[str, float], Build, bool]] = {}


def case(name: str, micrograd: bool = False, **leaves: float) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        CASES[name] = (leaves, build, micrograd)
        return build

    return register


def fingerprint(name: str) -> str:
    """What the golden file must match: the leaf values and the builder's source."""
    leaves, build, _ = CASES[name]
    return repr(sorted(leaves.items())) + "\n" + inspect.getsource(build)


# ------------------------------------------------------------ every op alone, several points

_POINTS = {"neg2": -2.0, "neg_half": -0.5, "zero": 0.0, "half": 0.5, "three": 3.0}
_UNARY = ("exp", "log", "tanh", "relu", "sigmoid")

for _fn in _UNARY:
    for _pname, _x in _POINTS.items():
        if _fn == "log" and _x <= 0:
            continue  # covered by the IEEE cases
        case(f"{_fn}_{_pname}", x=_x)(lambda B, v, fn=_fn: getattr(B, fn)(v["x"]))

for _pname, (_x, _y) in {"pos": (1.5, 2.5), "mixed": (-3.0, 0.75), "neg": (-1.25, -4.0)}.items():
    case(f"add_{_pname}", micrograd=True, x=_x, y=_y)(lambda B, v: v["x"] + v["y"])
    case(f"sub_{_pname}", micrograd=True, x=_x, y=_y)(lambda B, v: v["x"] - v["y"])
    case(f"mul_{_pname}", micrograd=True, x=_x, y=_y)(lambda B, v: v["x"] * v["y"])
    case(f"div_{_pname}", micrograd=True, x=_x, y=_y)(lambda B, v: v["x"] / v["y"])
    case(f"neg_{_pname}", micrograd=True, x=_x, y=_y)(lambda B, v: -v["x"] * v["y"])


@case("pow_const_int", micrograd=True, x=-1.5)
def _pow_const_int(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** 3


@case("pow_const_frac", micrograd=True, x=2.25)
def _pow_const_frac(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** 0.5


@case("pow_const_negative", micrograd=True, x=1.75)
def _pow_const_negative(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** -2


@case("pow_value_exponent", x=1.7, k=2.3)
def _pow_value_exponent(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]


@case("pow_value_exponent_negative_base", x=-2.0, k=3.0)
def _pow_value_exponent_negative_base(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]  # d/dk = x**k * log(x): NaN for a negative base, as in PyTorch


@case("rpow", x=0.8)
def _rpow(B: Any, v: dict[str, Any]) -> Any:
    return 2.0 ** v["x"]


@case("reflected_ops", micrograd=True, x=1.3)
def _reflected(B: Any, v: dict[str, Any]) -> Any:
    x = v["x"]
    return (2 + x) * (3 - x) + 4 * x + 1 / x - (5 / x)


# ------------------------------------------------------------ micrograd's test_engine.py


@case("micrograd_sanity_check", micrograd=True, x=-4.0)
def _sanity(B: Any, v: dict[str, Any]) -> Any:
    x = v["x"]
    z = 2 * x + 2 + x
    q = B.relu(z) + z * x
    h = B.relu(z * z)
    return h + q + q * x


@case("micrograd_more_ops", micrograd=True, a=-4.0, b=2.0)
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


# ------------------------------------------------------------ the seeds' examples


@case("seed_L_graph", micrograd=True, a=2.0, b=-3.0, c=10.0, f=-2.0)
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


@case("seed_fan_out", micrograd=True, a=7.0, b=-2.0, c=1.0)
def _seed_fan_out(B: Any, v: dict[str, Any]) -> Any:
    d = v["a"] + v["b"]
    e = v["c"] * d
    return e + v["a"]


@case("fan_out_square", micrograd=True, a=-3.0)
def _fan_out_square(B: Any, v: dict[str, Any]) -> Any:
    return v["a"] * v["a"]


@case("fan_out_double", micrograd=True, a=3.0)
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


@case("ieee_div_by_zero", x=1.0, y=0.0)
def _div0(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] / v["y"]


@case("ieee_zero_div_zero", x=0.0, y=0.0)
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


@case("ieee_pow_overflow", x=10.0)
def _powover(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** 400


@case("ieee_cube_root_negative", x=-8.0)
def _cbrt(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** (1 / 3)


@case("ieee_zero_pow_negative", x=0.0)
def _zpow(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** -1


@case("ieee_zero_pow_value_exponent", x=0.0, k=2.0)
def _zpowk(B: Any, v: dict[str, Any]) -> Any:
    return v["x"] ** v["k"]  # PyTorch masks d/dk to 0 where x == 0 and k >= 0


@case("ieee_pow_zero_exponent", x=0.0, k=0.0)
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


def golden_number(x: float) -> float | str:
    """JSON has no NaN or Infinity: store them as the strings the API uses."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def from_golden(x: float | str) -> float:
    return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(x, x)) if isinstance(x, str) else x
