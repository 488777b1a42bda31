"""`Value`: micrograd's scalar autograd API, built as a plain graph of objects.

    >>> from gradwalk import Value
    >>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
    >>> L = (a*b + 10).tanh(); L.backward()
    >>> round(a.grad, 6)
    -3.0

Same names and semantics as micrograd (`data`, `grad`, `label`, `_prev`, `_op`,
`backward()`, `_backward()`), plus `Value ** Value`, `log`, `sigmoid`, `sqrt`, `abs`,
`sin`, `cos`, `a.max(b)`, IEEE arithmetic that never raises (ops.py), and a backward
pass with no recursion limit.

Each node holds its operands and the local derivatives the op table returned when it
was built. No `_backward` closures: a node never refers back to itself, so a graph is
freed by reference counting as soon as it is dropped (micrograd's closures put every
node in a reference cycle, and its run time is then mostly the cycle collector).
Nothing is global: a graph is its objects, so threads, notebooks and long training
loops need no bookkeeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import count
from operator import attrgetter
from typing import TYPE_CHECKING, Union

from . import ops
from .ops import OPS

# A node's kind `_k`: a leaf role, or OP_BASE + op code. CONST is 0 so the sweep's
# "does this operand take a gradient?" is a plain truth test.
CONST, INPUT, PARAM = 0, 1, 2
OP_BASE = 3
ROLES = ("const", "input", "param")

Number = int | float
Operand = Union["Value", int, float]

_new = object.__new__
_creation = count()  # the creation order: operands always come before their results
_creation_order = attrgetter("_n")


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


def _leaf(x: float, kind: int) -> Value:
    v: Value = _new(Value)
    v.data = x
    v.grad = 0.0
    v._a = v._b = None
    v._k = kind
    v._n = next(_creation)
    return v


class Value:
    """A scalar node: its data and grad, and for results the operands and local derivatives.

    `Value(data, label="")` makes an input leaf (micrograd's constructor; `_children`
    and `_op` are accepted only empty: results are built by the operators).
    """

    __slots__ = ("__weakref__", "_a", "_b", "_group", "_k", "_la", "_label", "_lb", "_n", "data", "grad")
    data: float
    grad: float
    _a: Value | None  # first operand (None for a leaf)
    _b: Value | None  # second operand (None for a leaf or a unary op)
    _la: float  # d self / d _a, fixed when the node is built
    _lb: float  # d self / d _b
    _k: int  # kind: CONST / INPUT / PARAM, or OP_BASE + op code
    _n: int  # creation order
    _label: str  # set only when given (most nodes have none)
    _group: str  # collapse group (MLP neurons), set by `grouped`

    def __init__(self, data: Number, _children: tuple[Value, ...] = (), _op: str = "", label: str = "") -> None:
        if _children or _op:
            raise TypeError("gradwalk.Value builds children through its operators; pass only data and label")
        self.data = data if data.__class__ is float else _as_float(data)
        self.grad = 0.0
        self._a = self._b = None
        self._k = INPUT
        self._n = next(_creation)
        if label:
            self._label = str(label)

    @classmethod
    def leaf(cls, data: Number, role: str = "input", label: str = "") -> Value:
        """A leaf of the given role: "input", "param" (trainable) or "const" (no gradient)."""
        v = _leaf(_as_float(data), ROLES.index(role))
        if label:
            v._label = str(label)
        return v

    # ------------------------------------------------------------ micrograd's fields

    @property
    def label(self) -> str:
        return getattr(self, "_label", "")

    @label.setter
    def label(self, name: str) -> None:
        self._label = str(name)

    @property
    def _prev(self) -> set[Value]:
        """micrograd's children: the operand objects themselves (a*a gives {a})."""
        return {v for v in (self._a, self._b) if v is not None}

    @property
    def _op(self) -> str:
        k = self._k
        return OPS[k - OP_BASE].symbol if k >= OP_BASE else ""

    @property
    def op(self) -> str | None:
        """The op table name ("add", "tanh", ...), or None for a leaf."""
        k = self._k
        return OPS[k - OP_BASE].name if k >= OP_BASE else None

    @property
    def role(self) -> str:
        k = self._k
        return "op" if k >= OP_BASE else ROLES[k]

    @property
    def group(self) -> str | None:
        return getattr(self, "_group", None)

    @property
    def operands(self) -> tuple[Value, ...]:
        """The operands in order (a*a gives (a, a)); `_prev` is micrograd's unordered set."""
        a, b = self._a, self._b
        if a is None:
            return ()
        return (a,) if b is None else (a, b)

    def __repr__(self) -> str:
        return f"Value(data={self.data})"

    def __pos__(self) -> Value:
        return self

    # ------------------------------------------------------------ gradients

    def backward(self) -> None:
        """Fill `.grad` of every node this one depends on with d self / d node.

        Leaf grads accumulate across calls (as in PyTorch and micrograd, until
        zero_grad); interior grads are recomputed, so a second backward adds the same
        amount again to the leaves only. Constants never receive a gradient.
        """
        nodes = results_of(self)
        for v in nodes:  # interior grads start again from zero
            v.grad = 0.0
        if self._k >= OP_BASE:
            self.grad = 1.0
        elif self._k:
            self.grad += 1.0
        for v in nodes:  # reverse creation order: a node's grad is final before it is read
            g = v.grad
            a = v._a
            if a._k:  # type: ignore[union-attr]
                a.grad += v._la * g  # type: ignore[union-attr]
            b = v._b
            if b is not None and b._k:
                b.grad += v._lb * g

    def _backward(self) -> None:
        """micrograd's per-node step: add local derivative x self.grad to each operand's grad."""
        a, b = self._a, self._b
        if a is not None and a._k:
            a.grad += self._la * self.grad
        if b is not None and b._k:
            b.grad += self._lb * self.grad

    def zero_grad(self) -> None:
        self.grad = 0.0

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


# ---------------------------------------------------------------- graph walks


def reachable(root: Value) -> list[Value]:
    """Every node `root` depends on (itself included), in creation order. Iterative."""
    seen = {root}
    stack = [root]
    push, pop, mark = stack.append, stack.pop, seen.add
    while stack:
        v = pop()
        a = v._a
        if a is not None:
            if a not in seen:
                mark(a)
                push(a)
            b = v._b
            if b is not None and b not in seen:
                mark(b)
                push(b)
    nodes = list(seen)
    nodes.sort(key=_creation_order)
    return nodes


def results_of(root: Value) -> list[Value]:
    """The op nodes `root` depends on, newest first: the order backward visits them."""
    seen = {root}
    stack = [root]
    found: list[Value] = []
    push, pop, mark, keep = stack.append, stack.pop, seen.add, found.append
    while stack:
        v = pop()
        a = v._a
        if a is not None:  # only op nodes have operands
            keep(v)
            if a not in seen:
                mark(a)
                push(a)
            b = v._b
            if b is not None and b not in seen:
                mark(b)
                push(b)
    found.sort(key=_creation_order, reverse=True)
    return found


# ---------------------------------------------------------------- groups


def creation_mark() -> int:
    """A point in the creation order: every node made after this call has a larger `_n`."""
    return next(_creation)


def set_group(root: Value, name: str, since: int) -> None:
    """Give `name` to root and every node it depends on that was made after `since` and has no group.

    MLP views collapse a neuron's nodes into one box by it. Tagging walks back from the
    result once, so building nodes costs nothing extra.
    """
    if root._n <= since or hasattr(root, "_group"):
        return
    root._group = name
    stack = [root]
    while stack:
        v = stack.pop()
        for w in (v._a, v._b):
            if w is not None and w._n > since and not hasattr(w, "_group"):
                w._group = name
                stack.append(w)


# ---------------------------------------------------------------- building nodes
# The hot path: one Python frame per operator, the node made with object.__new__ and
# its slots written in place.


def _binary_method(code: int, dunder: str, reflected: bool) -> Callable[[Value, Operand], Value]:
    kind = OP_BASE + code
    forward = OPS[code].forward
    # mul, add and sub are most nodes of any graph, and a call per node costs more than
    # their arithmetic: their op-table rules are inlined (test_engine checks they agree
    # with ops.py bit for bit); every other op calls its forward rule.
    is_mul, is_add, is_sub = code == ops.MUL, code == ops.ADD, code == ops.SUB

    def method(self: Value, other: Operand) -> Value:
        if other.__class__ is not Value:
            if other.__class__ is float:
                other = _leaf(other, CONST)
            elif isinstance(other, Value):
                pass
            else:
                other = _leaf(_as_float(other), CONST)
        a, b = (other, self) if reflected else (self, other)
        x = a.data
        y = b.data
        v: Value = _new(Value)
        if is_mul:
            v.data = x * y
            v._la = y
            v._lb = x
        elif is_add:
            v.data = x + y
            v._la = v._lb = 1.0
        elif is_sub:
            v.data = x - y
            v._la = 1.0
            v._lb = -1.0
        else:
            v.data, v._la, v._lb = forward(x, y)
        v.grad = 0.0
        v._a = a
        v._b = b
        v._k = kind
        v._n = next(_creation)
        return v

    method.__name__ = method.__qualname__ = dunder
    method.__doc__ = f"{_doc(code, reflected)}, a new node."
    # Each operator gets its own code object: CPython specialises bytecode per code
    # object, and one shared by every operator runs a mixed a*b + c graph ~1.7x slower.
    method.__code__ = method.__code__.replace(co_name=dunder)
    return method


def _unary_method(code: int, name: str) -> Callable[[Value], Value]:
    kind = OP_BASE + code
    forward = OPS[code].forward

    def method(self: Value) -> Value:
        v: Value = _new(Value)
        v.data, v._la = forward(self.data)
        v.grad = 0.0
        v._a = self
        v._b = None
        v._k = kind
        v._n = next(_creation)
        return v

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"{_doc(code, False)}, a new node."
    method.__code__ = method.__code__.replace(co_name=name)  # its own specialisation, as above
    return method


def _doc(code: int, reflected: bool) -> str:
    a, b = ("other", "self") if reflected else ("self", "other")
    return OPS[code].display.format(a=a, b=b)


for _dunder, _code in (("add", ops.ADD), ("sub", ops.SUB), ("mul", ops.MUL), ("truediv", ops.DIV), ("pow", ops.POW)):
    setattr(Value, f"__{_dunder}__", _binary_method(_code, f"__{_dunder}__", reflected=False))
    setattr(Value, f"__r{_dunder}__", _binary_method(_code, f"__r{_dunder}__", reflected=True))
setattr(Value, "__neg__", _unary_method(ops.NEG, "__neg__"))  # noqa: B010 (mypy forbids assigning a method)
for _name in ops.FUNCTIONS:
    setattr(Value, _name, _unary_method(ops.BY_NAME[_name].code, _name))
for _name in ops.BINARY_FUNCTIONS:  # a.max(b), or Value.max(a, b)
    setattr(Value, _name, _binary_method(ops.BY_NAME[_name].code, _name, reflected=False))
