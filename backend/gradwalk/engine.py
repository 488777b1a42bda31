"""`Value`: micrograd's scalar autograd API on top of the tape.

    >>> from gradwalk import Value
    >>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
    >>> L = (a*b + 10).tanh(); L.backward()
    >>> round(a.grad, 6)
    -3.0

Same names and semantics as micrograd (`data`, `grad`, `label`, `_prev`, `_op`,
`backward()`, `_backward()`), plus `Value ** Value`, `log`, `sigmoid`, IEEE
arithmetic that never raises, and a backward pass with no recursion limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, TypeVar, Union

from . import ops
from .ops import ADD, MUL, OPS, SUB
from .tape import CONST, INPUT, LEAVES, OP_BASE, ROLE_NAMES, ROW, THREAD, Tape, current_tape

CONST_LEAF, INPUT_LEAF = LEAVES[CONST], LEAVES[INPUT]

Number = int | float
Operand = Union["Value", int, float]


def _as_float(x: object) -> float:
    if isinstance(x, Value):
        raise TypeError("Value(Value(...)) is not supported; use the Value itself")
    if isinstance(x, (int, float)):
        try:
            return float(x)
        except OverflowError:  # an int beyond double range
            return math.inf if x > 0 else -math.inf
    if hasattr(x, "__float__"):  # numpy scalars and friends
        return float(x)
    raise TypeError(f"Value needs a number, not {type(x).__name__}")


class Value:
    """A scalar node: a handle (tape, index). Operators append to the tape.

    `Value(data, label="")` makes an input leaf on the current thread's tape
    (micrograd's constructor; `_children` and `_op` are accepted only empty).
    """

    __slots__ = ("__weakref__", "_i", "_tape")  # weakref: the tape's cache of the handles `_prev` gives
    _tape: Tape
    _i: int

    def __init__(self, data: Number, _children: tuple[Value, ...] = (), _op: str = "", label: str = "") -> None:
        if _children or _op:
            raise TypeError("gradwalk.Value builds children through its operators; pass only data and label")
        x = data if data.__class__ is float else _as_float(data)  # raises before the tape changes
        try:
            tape = THREAD.tape  # current_tape(), inlined: leaves are half of a big sum's nodes
        except AttributeError:
            tape = current_tape()
        n = len(tape.data)
        if n >= tape.compact_at:
            tape.compact()
            n = len(tape.data)
        tape.rows += INPUT_LEAF
        tape.data.append(x)
        self._tape = tape
        self._i = n
        if label:
            tape.labels[n] = str(label)

    @classmethod
    def _at(cls, tape: Tape, i: int) -> Value:
        v = object.__new__(cls)
        v._tape = tape
        v._i = i
        return v

    @classmethod
    def leaf(cls, data: Number, role: str = "input", label: str = "") -> Value:
        """A leaf of the given role: "input", "param" (trainable) or "const" (no gradient)."""
        tape = current_tape()
        tape.maybe_compact()
        v = cls._at(tape, tape.leaf(_as_float(data), ROLE_NAMES.index(role)))
        if label:
            tape.labels[v._i] = str(label)
        return v

    # ------------------------------------------------------------ micrograd's fields

    @property
    def data(self) -> float:
        return self._tape.data[self._i]

    @data.setter
    def data(self, x: Number) -> None:
        self._tape.data[self._i] = _as_float(x)

    @property
    def grad(self) -> float:
        return self._tape.get_grad(self._i)

    @grad.setter
    def grad(self, x: Number) -> None:
        self._tape.set_grad(self._i, _as_float(x))

    @property
    def label(self) -> str:
        return self._tape.labels.get(self._i, "")

    @label.setter
    def label(self, name: str) -> None:
        self._tape.labels[self._i] = str(name)

    @property
    def _prev(self) -> set[Value]:
        """micrograd's children. The same handle objects for a node on every call while they
        live, so helpers that key nodes by id() (the lecture's draw_dot) see each node once."""
        tape = self._tape
        return {tape.handle(j) for j in tape.operands(self._i)}

    @property
    def _op(self) -> str:
        k = self._tape.kind(self._i)
        return OPS[k - OP_BASE].symbol if k >= OP_BASE else ""

    @property
    def op(self) -> str | None:
        """The op table name ("add", "tanh", ...), or None for a leaf."""
        k = self._tape.kind(self._i)
        return OPS[k - OP_BASE].name if k >= OP_BASE else None

    @property
    def role(self) -> str:
        k = self._tape.kind(self._i)
        return "op" if k >= OP_BASE else ROLE_NAMES[k]

    @property
    def operands(self) -> tuple[Value, ...]:
        """The operands in order (a*a gives (a, a)); `_prev` is micrograd's unordered set."""
        tape = self._tape
        return tuple(tape.handle(j) for j in tape.operands(self._i))

    def __repr__(self) -> str:
        return f"Value(data={self.data})"

    # Identity is the node, not the handle: `_prev` builds fresh handles, and
    # micrograd's draw_dot code puts them in sets.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Value) and other._i == self._i and other._tape is self._tape

    def __hash__(self) -> int:
        return hash((id(self._tape), self._i))

    # ------------------------------------------------------------ building nodes
    # Operators are generated from the op table (see _binary_method below the class).

    def _operand(self, other: Operand) -> int:
        if isinstance(other, Value):
            if other._tape is not self._tape:
                raise ValueError(
                    "cannot combine Values built on different tapes: each thread (and each fresh_tape block)"
                    " builds on its own. Build the graph on one thread, e.g. [model(x) for x in xs] instead of"
                    " ThreadPoolExecutor().map(model, xs) (Python runs one thread at a time, so it is no slower)"
                )
            return other._i
        return self._tape.leaf(_as_float(other), CONST)

    def __pos__(self) -> Value:
        return self

    # ------------------------------------------------------------ gradients

    def backward(self) -> None:
        """Fill `.grad` of every node this one depends on with d self / d node."""
        self._tape.backward(self._i)  # may compact the tape afterwards, renumbering self._i

    def _backward(self) -> None:
        """micrograd's per-node step: add local derivative x self.grad to each operand's grad."""
        self._tape.propagate(self._i)

    def zero_grad(self) -> None:
        self._tape.set_grad(self._i, 0.0)

    if TYPE_CHECKING:  # generated from the op table below the class

        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Operand) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Operand) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Operand) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Operand) -> Value: ...
        def __pow__(self, other: Operand) -> Value: ...
        def __rpow__(self, other: Operand) -> Value: ...
        def __neg__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def tanh(self) -> Value: ...
        def relu(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def abs(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def max(self, other: Operand) -> Value: ...


# The hot path: one Python frame per operator (the tape's append inlined, which halves
# the cost of building a node). `_new_node` makes an empty node without running __init__.
_new_node: Callable[[], Value] = partial(object.__new__, Value)


def _binary_method(code: int, dunder: str, reflected: bool) -> Callable[[Value, Operand], Value]:
    kind = OP_BASE + code
    forward = OPS[code].forward
    # mul, add and sub are most nodes of any graph, and a call per node costs more
    # than their arithmetic: their op-table rules are inlined below (test_engine checks
    # they agree with ops.py bit for bit); every other op calls its forward rule.
    is_mul, is_add, is_sub = code == MUL, code == ADD, code == SUB

    def method(self: Value, other: Operand) -> Value:
        tape = self._tape
        data = tape.data
        rows = tape.rows
        if other.__class__ is Value and other._tape is tape:
            j = other._i
        elif other.__class__ is float:  # a literal: a constant leaf, inlined for speed
            j = len(data)
            rows += CONST_LEAF
            data.append(other)
        else:
            j = self._operand(other)
        i = self._i
        if reflected:  # `2 * v`: the other operand comes first
            i, j = j, i
        x = data[i]
        y = data[j]
        if is_mul:
            out = x * y
            rows += (kind, i, j, y, x)
        elif is_add:
            out = x + y
            rows += (kind, i, j, 1.0, 1.0)
        elif is_sub:
            out = x - y
            rows += (kind, i, j, 1.0, -1.0)
        else:
            out, la, lb = forward(x, y)
            rows += (kind, i, j, la, lb)
        n = len(data)
        data.append(out)
        v = _new_node()
        v._tape = tape
        v._i = n
        return v

    return _named(method, dunder, code, reflected)


def weighted_sum(ws: Sequence[Value], xs: Sequence[object], b: Value) -> Value | None:
    """micrograd's neuron, `sum((w*x for w, x in zip(ws, xs)), b)`, appended in one call: the
    same nodes in the same order with the same floats (for each pair, mul w*x and then add
    acc + it; test_nn checks), without an operator call and a Value handle per node.
    None, with the tape as it was, when an operand is not a Value on b's tape: the caller
    then runs Python's sum, which makes constants of numbers or refuses a foreign tape."""
    tape = b._tape
    data, rows = tape.data, tape.rows
    mul, add = OP_BASE + MUL, OP_BASE + ADD
    start = n = len(data)
    acc, s = b._i, data[b._i]
    for w, v in zip(ws, xs):
        if v.__class__ is not Value or w.__class__ is not Value or v._tape is not tape or w._tape is not tape:
            del rows[ROW * start :], data[start:]
            return None
        i = w._i
        j: int = v._i
        x = data[i]
        y = data[j]
        m = x * y
        s = s + m
        rows += (mul, i, j, y, x, add, acc, n, 1.0, 1.0)
        data += (m, s)
        acc = n + 1
        n += 2
    out = _new_node()
    out._tape = tape
    out._i = acc
    return out


def _unary_method(code: int, name: str) -> Callable[[Value], Value]:
    kind = OP_BASE + code
    forward = OPS[code].forward

    def method(self: Value) -> Value:
        tape = self._tape
        data = tape.data
        i = self._i
        out, da = forward(data[i])
        n = len(data)
        tape.rows += (kind, i, -1, da, 0.0)
        data.append(out)
        v = _new_node()
        v._tape = tape
        v._i = n
        return v

    return _named(method, name, code, False)


F = TypeVar("F", bound=Callable[..., Value])


def _named(method: F, name: str, code: int, reflected: bool) -> F:
    """Name and document an operator as Python would (`__truediv__`, "tanh(self), a new node.")."""
    a, b = ("other", "self") if reflected else ("self", "other")
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{OPS[code].display.format(a=a, b=b)}, a new node."
    return method


for _dunder, _code in (("add", ops.ADD), ("sub", ops.SUB), ("mul", ops.MUL), ("truediv", ops.DIV), ("pow", ops.POW)):
    setattr(Value, f"__{_dunder}__", _binary_method(_code, f"__{_dunder}__", reflected=False))
    setattr(Value, f"__r{_dunder}__", _binary_method(_code, f"__r{_dunder}__", reflected=True))
setattr(Value, "__neg__", _unary_method(ops.NEG, "__neg__"))  # noqa: B010 (mypy forbids assigning a method)
for _name in ops.FUNCTIONS:
    setattr(Value, _name, _unary_method(ops.BY_NAME[_name].code, _name))
for _name in ops.BINARY_FUNCTIONS:  # a.max(b), or Value.max(a, b)
    setattr(Value, _name, _binary_method(ops.BY_NAME[_name].code, _name, reflected=False))
