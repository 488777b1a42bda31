"""Nudging a built graph: set leaves to new values and run its forward pass again on the tape,
and the central difference of the output with respect to every leaf (docs/api.md, Expression:
`overrides` and `finite_differences`).

    >>> from gradwalk import Value, fresh_tape
    >>> from gradwalk.nudge import finite_differences, set_leaves
    >>> from gradwalk.trace import record
    >>> with fresh_tape():
    ...     a = Value(3.0, label='a'); L = a * a + a
    ...     set_leaves(a._tape, {a._i: 2.0})
    ...     (L.data, round(finite_differences(record(L))[0]["numeric"], 9))
    (6.0, 5.0)

A graph's shape never depends on its values (the expression language has no branches, an
op node's operands are fixed when it is built), so re-evaluating the tape's rows in
creation order with the op table's forward rules is running the program again with the
new leaves: the same numbers, bit for bit, as building it from the edited source, without
parsing anything again. Every loop here is flat over the tape.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from typing import Any

from .engine import Value
from .language.errors import SourceError
from .limits import LimitError
from .ops import ABS, ADD, DIV, MAX, MUL, OPS, RELU, SUB
from .tape import CONST, OP_BASE, ROW, Tape
from .trace import Recording, _finite

Json = dict[str, Any]

EPS = 2.220446049250313e-16  # the spacing of doubles at 1.0
# h = STEP * max(1, |x|): the step that balances the central difference's truncation error
# (h**2 f'''/6) against the rounding of f (eps |f| / h) for a function of unit scale.
STEP = EPS ** (1.0 / 3.0)  # about 6.1e-6
RTOL = 1e-6  # numeric and grad agree within RTOL, relative, plus the rounding floor (see _floor)

_FORWARD: tuple[Callable[..., tuple[float, ...]], ...] = tuple(op.forward for op in OPS)
_KINKS = {RELU: "relu", ABS: "abs", MAX: "max", DIV: "div"}  # ops whose slope jumps (or blows up) at a point


def reforward(tape: Tape, start: int = 0) -> None:
    """Recompute data and local derivatives of every operation node from tape index `start` on.

    The same forward rules the engine called when it built each node (its inlined add, sub
    and mul agree with them bit for bit), so an unchanged tape stays identical.
    """
    rows, data = tape.rows, tape.data
    forward = _FORWARD
    for i in range(start, len(data)):
        p = ROW * i
        k = rows[p]
        if k < OP_BASE:
            continue
        a, b = rows[p + 1], rows[p + 2]
        if b >= 0:
            out, la, lb = forward[k - OP_BASE](data[a], data[b])
            rows[p + 4] = lb
        else:
            out, la = forward[k - OP_BASE](data[a])
        rows[p + 3] = la
        data[i] = out


def set_leaves(tape: Tape, values: dict[int, float]) -> None:
    """Give the leaves at these tape indices new values and run the forward pass again from the first."""
    if not values:
        return
    for i, x in values.items():
        if tape.kind(i) >= OP_BASE:
            raise ValueError(f"tape index {i} is an operation, not a leaf")
        tape.data[i] = float(x)
    reforward(tape, min(values))


def _shown(key: str) -> str:
    return key.encode("ascii", "backslashreplace").decode()[:80]


def _node_number(key: str) -> int | None:
    """k for a node id "n<k>" as the Graph JSON spells them (ASCII digits, no leading zero), else None."""
    digits = key[1:]
    if key[:1] != "n" or not (0 < len(digits) <= 18 and digits.isascii() and digits.isdigit()):
        return None
    return int(digits) if digits == "0" or digits[0] != "0" else None


class Nodes:
    """Finds a graph's nodes by what a request calls them: a source name, a node id, a label.

    A key is, in this order: a source name (the Value it holds at the end of the program),
    a node id of the graph ("n3"), or the label of exactly one node (`label=` or `.label =`).
    """

    def __init__(self, rec: Recording, names: Mapping[str, Value]) -> None:
        self.rec = rec
        self.names = names
        self._labels: dict[str, list[int]] | None = None

    def position(self, i: int) -> int | None:
        """Where tape index i is in the graph's node order (its id is f"n{position}"), None if not in it."""
        order = self.rec.order
        k = bisect_left(order, i)
        return k if k < len(order) and order[k] == i else None

    def ident(self, i: int) -> str:
        k = self.position(i)
        return f"n{k}" if k is not None else "a node outside the output's graph"

    def describe(self, i: int) -> str:
        label = self.rec.tape.labels.get(i)
        return f"{self.ident(i)} ('{label}')" if label else self.ident(i)

    def find(self, key: str, field: tuple[str, ...]) -> int:
        """The tape index `key` names; SourceError (type "name") when it names none."""
        v = self.names.get(key)
        if v is not None and v._tape is self.rec.tape:
            return v._i
        order = self.rec.order
        k = _node_number(key)
        if k is not None and k < len(order):
            return order[k]
        if self._labels is None:
            self._labels = {}
            for i, label in self.rec.tape.labels.items():
                self._labels.setdefault(label, []).append(i)
        labelled = self._labels.get(key, [])
        if len(labelled) > 1:
            ids = ", ".join(self.ident(i) for i in labelled[:5])
            raise SourceError(
                f"'{_shown(key)}' labels {len(labelled)} nodes ({ids}): name one by its id", "name", field=field
            )
        if labelled:
            return labelled[0]
        known = ", ".join(sorted(self.names)[:20]) or "none"
        raise SourceError(
            f"'{_shown(key)}' is not a name, node id or label of this program (names: {known})", "name", field=field
        )

    def node(self, key: str, field: tuple[str, ...]) -> int:
        """The node of the graph `key` names that has a gradient (not a constant); SourceError otherwise."""
        i = self.find(key, field)
        if self.position(i) is None:
            raise SourceError(
                f"'{_shown(key)}' is not in the output's graph: it has no path to the output", "name", field=field
            )
        if self.rec.tape.kind(i) == CONST:
            raise SourceError(
                f"'{_shown(key)}' is {self.describe(i)}, a constant: it takes no gradient", "not_a_leaf", field=field
            )
        return i

    def leaf(self, key: str, field: tuple[str, ...]) -> int:
        """The input or parameter leaf `key` names; SourceError when it names an operation or a constant."""
        i = self.find(key, field)
        tape = self.rec.tape
        kind = tape.kind(i)
        if kind >= OP_BASE:
            leaves = [n for n, v in self.names.items() if v._tape is tape and tape.kind(v._i) < OP_BASE]
            hint = f" (the named leaves: {', '.join(leaves[:20])})" if leaves else ""
            raise SourceError(
                f"'{_shown(key)}' is {self.describe(i)}, the result of an operation ({OPS[kind - OP_BASE].formula}),"
                f" not a leaf: give a new value to the leaves it is computed from{hint}",
                "not_a_leaf",
                field=field,
            )
        if kind == CONST:
            raise SourceError(
                f"'{_shown(key)}' is {self.describe(i)}, a literal constant in an operation ({tape.data[i]!r}):"
                f" bind it to a name (k = {tape.data[i]!r}) to make it an input that can take a new value",
                "not_a_leaf",
                field=field,
            )
        return i


def check_overrides(overrides: Mapping[str, float]) -> None:
    """SourceError unless every override is a finite number (not a bool): checked before the program runs."""
    for key, x in overrides.items():
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise SourceError(
                f"the override of '{_shown(key)}' must be a finite number, not {x!r}",
                "overrides",
                field=("overrides", key),
            )


def leaf_values(nodes: Nodes, overrides: Mapping[str, float]) -> dict[int, float]:
    """Each override's leaf (tape index) and value; SourceError for a key that names no input leaf,
    or two keys that name one leaf with two values."""
    check_overrides(overrides)
    values: dict[int, float] = {}
    given: dict[int, str] = {}
    for key, x in overrides.items():
        field = ("overrides", key)
        i = nodes.leaf(key, field)
        if i in values and values[i] != float(x):
            raise SourceError(
                f"'{_shown(given[i])}' and '{_shown(key)}' are the same leaf ({nodes.describe(i)}) and get two"
                f" different values",
                "overrides",
                field=field,
            )
        values[i] = float(x)
        given.setdefault(i, key)
    return values


def fd_leaves(rec: Recording) -> list[int]:
    """The leaves finite differences are taken for: every input and parameter (not constants) in the graph."""
    rows = rec.tape.rows
    return [i for i in rec.order if rows[ROW * i] < OP_BASE and rows[ROW * i] != CONST]


def check_fd_work(rec: Recording, max_work: int) -> None:
    """Refuse (LimitError) before any work when leaves x nodes passes `max_work` (each leaf: two forward passes)."""
    leaves, nodes = len(fd_leaves(rec)), len(rec.order)
    if leaves * nodes > max_work:
        raise LimitError(
            f"finite_differences needs {leaves} leaves x {nodes} nodes = {leaves * nodes} node evaluations"
            f" (twice), more than the max_fd_work limit of {max_work}: ask for them on a smaller graph",
            "limit.fd_work",
            limit=max_work,
            loc=["body", "finite_differences"],
        )


def finite_differences(rec: Recording, max_work: int | None = None) -> list[Json]:
    """One entry per input/param leaf of the graph, in node order:
    {"node", "numeric", "grad", "h", "tolerance", "agree", "note"} (docs/api.md, Expression).

    numeric = (f(x + h) - f(x - h)) / 2h, f the output, each side one forward pass over the
    nodes created after the leaf, on a scratch copy of the values (the tape is not touched).
    """
    if max_work is not None:
        check_fd_work(rec, max_work)
    tape, order, g, root = rec.tape, rec.order, rec.grad, rec.root
    rows, data = tape.rows, tape.data
    ids = {i: f"n{k}" for k, i in enumerate(order)}
    # the op nodes of the graph in creation order, (index, code, a, b), and the kinks among them
    program: list[tuple[int, int, int, int]] = []
    for i in order:
        k = rows[ROW * i]
        if k >= OP_BASE:
            program.append((i, k - OP_BASE, rows[ROW * i + 1], rows[ROW * i + 2]))
    starts = [step[0] for step in program]
    kinks = [step for step in program if step[1] in _KINKS]
    kink_starts = [step[0] for step in kinks]
    # rounding noise of one forward pass, per suffix of the program: sum of |grad x data| over its op nodes
    noise = [0.0] * (len(program) + 1)
    for pos in range(len(program) - 1, -1, -1):
        i = program[pos][0]
        term = abs(g[i] * data[i])
        noise[pos] = noise[pos + 1] + (term if term < math.inf else 0.0)  # non-finite: the note says why

    scratch = data[: root + 1]  # the pass works on a copy: data stays as the graph shows it
    f0 = data[root]
    out: list[Json] = []
    for leaf in fd_leaves(rec):
        x = data[leaf]
        h = STEP * max(1.0, abs(x))
        xp, xm = x + h, x - h
        first = bisect_right(starts, leaf)  # only nodes created after the leaf can depend on it
        k0 = bisect_right(kink_starts, leaf)
        scratch[leaf] = xp
        fp = _forward(program, first, scratch, root)
        sides_p = [_side(code, scratch, a, b) for _, code, a, b in kinks[k0:]]
        scratch[leaf] = xm
        fm = _forward(program, first, scratch, root)
        sides_m = [_side(code, scratch, a, b) for _, code, a, b in kinks[k0:]]
        scratch[leaf] = x
        scratch[leaf + 1 : root + 1] = data[leaf + 1 : root + 1]  # back to the graph's values
        step = xp - xm  # 2h as the doubles x + h and x - h really differ
        half = step / 2 if step > 0.0 else math.nan  # NaN: x is not finite
        numeric = (fp - fm) / step if step > 0.0 else math.nan
        grad = g[leaf]
        # relative, plus the two passes' rounding, plus the central difference's own error (its
        # third-derivative term, f3 h^2 / 6: x - tanh(x) at 0 has grad 0 and a difference of h^2 / 3)
        truncation = half * half * max(1.0, abs(f0)) if math.isfinite(f0) else 0.0
        tolerance = RTOL * max(abs(grad), abs(numeric)) + 8.0 * EPS * noise[first] / half + truncation
        agree = math.isfinite(numeric) and math.isfinite(grad) and abs(numeric - grad) <= tolerance
        crossed = [kinks[k0 + j] for j in range(len(sides_p)) if sides_p[j] != sides_m[j]]
        out.append(
            {
                "node": ids[leaf],
                "numeric": _finite(numeric),
                "grad": _finite(grad),
                "h": _finite(half),
                "tolerance": _finite(tolerance),
                "agree": agree,
                "note": _note(tape, ids, crossed, f0, fp, fm, grad),
            }
        )
    return out


def _forward(program: list[tuple[int, int, int, int]], first: int, v: list[float], root: int) -> float:
    """Run program[first:] on the values v, in place; the root's new value."""
    forward = _FORWARD
    for n in range(first, len(program)):
        i, code, a, b = program[n]
        if code == MUL:
            v[i] = v[a] * v[b]
        elif code == ADD:
            v[i] = v[a] + v[b]
        elif code == SUB:
            v[i] = v[a] - v[b]
        elif b >= 0:
            v[i] = forward[code](v[a], v[b])[0]
        else:
            v[i] = forward[code](v[a])[0]
    return v[root]


def _sign(q: float) -> int:
    return 1 if q > 0.0 else -1 if q < 0.0 else 0 if q == 0.0 else 2  # 2: NaN


def _side(code: int, v: list[float], a: int, b: int) -> int:
    """Which side of its kink a node is on: relu's input > 0, abs's and a divisor's sign, max's winner."""
    if code == RELU:
        return int(v[a] > 0.0)
    if code == MAX:
        return _sign(v[a] - v[b])
    return _sign(v[b] if code == DIV else v[a])


def _describe(tape: Tape, ids: dict[int, str], i: int) -> str:
    label = tape.labels.get(i)
    return f"{ids[i]} ('{label}')" if label else ids[i]


def _kink_note(tape: Tape, ids: dict[int, str], step: tuple[int, int, int, int]) -> str:
    i, code, a, b = step
    data = tape.data
    where = _describe(tape, ids, i)
    q = data[a] - data[b] if code == MAX else data[b] if code == DIV else data[a]
    if code == DIV:
        if q == 0.0:
            return f"{where} divides by 0: a pole, where no slope exists"
        return f"the divisor of {where} is {q:.3g} and changes sign within h: a pole between x - h and x + h"
    name = _KINKS[code]
    if q != 0.0:
        what = "its operands differ by" if code == MAX else "its input is"
        return (
            f"{name} at {where}: {what} {q:.3g}, within h of its kink, so the central difference"
            f" spans two slopes while grad takes the one at x"
        )
    if code == RELU:
        return (
            f"relu at 0 ({where}): not differentiable there; grad takes the slope 0 (PyTorch's convention),"
            f" the central difference averages the slopes 0 and 1 of the two sides"
        )
    if code == ABS:
        return (
            f"abs at 0 ({where}): not differentiable there; grad takes sign(0) = 0 (PyTorch's convention),"
            f" the central difference averages the slopes -1 and 1 of the two sides"
        )
    return (
        f"max with equal operands ({where}): not differentiable there; grad sends half to each operand"
        f" (torch.maximum's convention), the central difference averages the one-sided slopes"
    )


def _note(
    tape: Tape,
    ids: dict[int, str],
    crossed: list[tuple[int, int, int, int]],
    f0: float,
    fp: float,
    fm: float,
    grad: float,
) -> str | None:
    """Why numeric and grad may rightly differ for this leaf, or None."""
    notes: list[str] = []
    if not math.isfinite(f0):
        notes.append(f"the output is {_finite(f0)} here: a difference of non-finite values measures no slope")
    elif not (math.isfinite(fp) and math.isfinite(fm)):
        side = _finite(fp) if not math.isfinite(fp) else _finite(fm)
        notes.append(
            f"the output is {side} at x {'+' if not math.isfinite(fp) else '-'} h: the program leaves"
            f" its domain (a log, sqrt or ** of a negative number, or an overflow) within h of x"
        )
    elif not math.isfinite(grad):
        notes.append(f"grad is {_finite(grad)}: the slope is infinite or undefined at x")
    if crossed:
        others = len(crossed) - 1
        more = f" (and {others} more kink{'s' if others > 1 else ''} within h)" if others else ""
        notes.append(_kink_note(tape, ids, crossed[0]) + more)
    return "; ".join(notes) or None
