"""The tape: flat arrays that hold every scalar node of a graph, in creation order.

A node is an integer index. Each operation appends one entry holding its op code,
operand indices, result and the local derivatives the op table returned. Operands
are always created before their results, so creation order is a topological order
and backward is a single reverse sweep: no recursion, no closures, no reference
cycles (micrograd's `_backward` closures put every node in a cycle, and its run
time is then mostly Python's cycle collector).

`Value` (engine.py) is a thin handle (tape, index) on top of this.
"""

from __future__ import annotations

import gc
import threading
import weakref
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any

from .ops import OPS

if TYPE_CHECKING:
    from .engine import Value

# Node kinds share one byte with op codes: leaves first, then OP_BASE + op code.
INPUT, PARAM, CONST = 0, 1, 2
OP_BASE = 3
ROLE_NAMES = ("input", "param", "const")
ROW = 5  # entries per node in Tape.rows
LEAVES = tuple((kind, -1, -1, 0.0, 0.0) for kind in (INPUT, PARAM, CONST))  # a leaf's row

# A tape compacts itself (drops nodes no live Value depends on) once it has grown
# past max(COMPACT_MIN, 2 x its size after the last compaction).
COMPACT_MIN = 1 << 20


class Tape:
    """Append-only storage for one graph family; see the module docstring.

    `rows[5*i : 5*i+5]` is (kind, a, b, la, lb): kind is INPUT/PARAM/CONST or
    OP_BASE + op code, a and b the operand indices (-1 when absent), la and lb the
    local derivatives d result / d a and d result / d b, fixed when the node is
    built. One flat list rather than a tuple per node: half the memory, and no
    container for the cycle collector to track. `data[i]` is the value; `grad`
    grows lazily.
    """

    __slots__ = ("__weakref__", "compact_at", "data", "freezes", "grad", "groups", "handles", "labels", "rows")

    def __init__(self) -> None:
        self.rows: list[Any] = []  # ints and floats, 5 per node
        self.data: list[float] = []
        self.grad: list[float] = []  # shorter than data until a backward pass needs it
        self.labels: dict[int, str] = {}  # sparse: most nodes have no label
        self.groups: list[tuple[int, str | None]] = []  # (first index, group) runs
        self.compact_at = COMPACT_MIN
        self.freezes = gc.get_freeze_count()  # see compact(): frozen objects are out of gc's sight
        self.handles: weakref.WeakValueDictionary[int, Value] | None = None  # see handle()

    def __len__(self) -> int:
        return len(self.data)

    # ------------------------------------------------------------ building

    def leaf(self, value: float, kind: int) -> int:
        i = len(self.data)
        self.rows += LEAVES[kind]
        self.data.append(value)
        return i

    def unary(self, code: int, i: int) -> int:
        out, da = OPS[code].forward(self.data[i])
        n = len(self.data)
        self.rows += (OP_BASE + code, i, -1, da, 0.0)
        self.data.append(out)
        return n

    def binary(self, code: int, i: int, j: int) -> int:
        data = self.data
        out, da, db = OPS[code].forward(data[i], data[j])
        n = len(data)
        self.rows += (OP_BASE + code, i, j, da, db)
        data.append(out)
        return n

    @contextmanager
    def group(self, name: str | None) -> Iterator[None]:
        """Tag every node created inside the block with `name` (MLP views collapse by it)."""
        outer = self.group_of(len(self.data))
        self.groups.append((len(self.data), name))
        try:
            yield
        finally:
            self.groups.append((len(self.data), outer))

    def group_of(self, i: int) -> str | None:
        k = bisect_right(self.groups, i, key=lambda run: run[0]) - 1
        return self.groups[k][1] if k >= 0 else None

    # ------------------------------------------------------------ reading

    def node(self, i: int) -> tuple[int, int, int, float, float]:
        """(kind, a, b, la, lb) of node i."""
        p = ROW * i
        return tuple(self.rows[p : p + ROW])

    def kind(self, i: int) -> int:
        k: int = self.rows[ROW * i]
        return k

    def operands(self, i: int) -> tuple[int, ...]:
        _, a, b, _, _ = self.node(i)
        if a < 0:
            return ()
        return (a,) if b < 0 else (a, b)

    def handle(self, i: int) -> Value:
        """The Value handle of node i that `_prev` and `operands` give: one object per node while it lives."""
        from .engine import Value

        cache = self.handles
        if cache is None:
            cache = self.handles = weakref.WeakValueDictionary()
        v = cache.get(i)
        if v is None:
            v = cache[i] = Value._at(self, i)
        return v

    def get_grad(self, i: int) -> float:
        grad = self.grad
        return grad[i] if i < len(grad) else 0.0

    def set_grad(self, i: int, value: float) -> None:
        self._grow_grad()
        self.grad[i] = value

    def _grow_grad(self) -> None:
        missing = len(self.data) - len(self.grad)
        if missing:
            self.grad.extend([0.0] * missing)

    # ------------------------------------------------------------ backward

    def backward(self, root: int) -> None:
        """d root / d node for every node root depends on, into `grad`.

        Leaf grads accumulate across calls (as in PyTorch, until zero_grad);
        interior grads are recomputed, so repeating backward adds the same amount
        again to the leaves. Constants never receive a gradient.
        """
        self._grow_grad()
        self.sweep(root, self.grad)

    def sweep(self, root: int, grad: list[float] | None = None) -> list[Any]:
        """The reverse sweep from `root` on fresh gradients; returns them (None = not reached).

        Creation order is topological, so one pass from root down to 0 finishes every
        node's gradient before its operands are visited. With `grad`, results are also
        written there (interior nodes replaced, input and param leaves accumulated).
        """
        g: list[Any] = [None] * (root + 1)  # float, or None where not reached
        g[root] = 1.0
        # Without `grad`, the writes go to a scratch list: cheaper than testing per node.
        out: list[float] = grad if grad is not None else [0.0] * (root + 1)
        # Walk the rows backwards in groups of five, (lb, la, b, a, kind), reading one
        # iterator five times per node: no index arithmetic, no int objects made.
        rows = reversed(self.rows)
        skip = len(self.rows) - ROW * (root + 1)
        next(islice(rows, skip, skip), None)  # consume the nodes after root
        # reversed(g) reads g[i] when the sweep reaches i, after every result of i is done
        for i, gi, lb, la, b, a, k in zip(range(root, -1, -1), reversed(g), rows, rows, rows, rows, rows):
            if gi is not None:  # reached from root (None keeps 0 * inf out of unrelated nodes)
                if k >= OP_BASE:
                    out[i] = gi
                    ga = g[a]
                    g[a] = la * gi if ga is None else ga + la * gi
                    if b >= 0:
                        gb = g[b]
                        g[b] = lb * gi if gb is None else gb + lb * gi
                elif k != CONST:
                    out[i] += gi
        return g

    def propagate(self, i: int) -> None:
        """micrograd's `node._backward()`: push node i's grad into its operands once."""
        k, a, b, la, lb = self.node(i)
        if k < OP_BASE:
            return
        self._grow_grad()
        grad = self.grad
        gi = grad[i]
        for j, local in ((a, la), (b, lb)):
            if j >= 0 and self.kind(j) != CONST:
                grad[j] += local * gi

    # ------------------------------------------------------------ memory

    def maybe_compact(self) -> None:
        if len(self.data) >= self.compact_at:
            self.compact()

    def compact(self) -> None:
        """Drop nodes no live Value depends on and renumber the rest (order is kept).

        Live Values are found with gc.get_referrers, which costs one walk over the
        heap; the doubling threshold keeps that amortised O(1) per node.
        """
        from .engine import Value

        if gc.get_freeze_count() != self.freezes:
            # gc.freeze() since this tape began may have frozen some of its Values, and
            # gc.get_referrers cannot see frozen objects: renumbering would leave them stale.
            # Keep every node instead (memory over correctness never).
            self.compact_at *= 2
            return
        holders: list[Value] = [v for v in gc.get_referrers(self) if isinstance(v, Value)]
        n = len(self.data)
        keep = bytearray(n)
        for v in holders:
            keep[v._i] = 1
        node = self.node
        for i in range(n - 1, -1, -1):
            if keep[i]:
                k, a, b, _, _ = node(i)
                if k >= OP_BASE:
                    keep[a] = 1
                    if b >= 0:
                        keep[b] = 1
        kept = [i for i in range(n) if keep[i]]
        m = len(kept)
        self.compact_at = max(COMPACT_MIN, 2 * m)
        if m == n:
            return
        new_index = [-1] * n
        for new, old in enumerate(kept):
            new_index[old] = new
        self._grow_grad()
        new_rows: list[float] = []
        for old in kept:
            k, a, b, la, lb = node(old)
            if k >= OP_BASE:
                new_rows += (k, new_index[a], new_index[b] if b >= 0 else -1, la, lb)
            else:
                new_rows += LEAVES[k]
        self.groups = self._remapped_groups(kept)
        self.rows = new_rows
        self.data = [self.data[i] for i in kept]
        self.grad = [self.grad[i] for i in kept]
        self.labels = {new_index[i]: s for i, s in self.labels.items() if keep[i]}
        for v in holders:
            v._i = new_index[v._i]
        if self.handles:  # every live cached handle was a holder: key them by their new index
            self.handles = weakref.WeakValueDictionary({v._i: v for v in self.handles.values()})

    def _remapped_groups(self, kept: list[int]) -> list[tuple[int, str | None]]:
        runs: list[tuple[int, str | None]] = []
        if not self.groups:
            return runs
        for new, old in enumerate(kept):
            g = self.group_of(old)
            if not runs or runs[-1][1] != g:
                runs.append((new, g))
        # The group open now (a `with group(...)` block that has made no node yet) goes on
        # for the nodes still to come.
        current = self.group_of(len(self.data))
        if not runs or runs[-1][1] != current:
            runs.append((len(kept), current))
        return runs


# Each thread builds on its own tape, so concurrent requests never interleave entries.
THREAD = threading.local()  # .tape: this thread's current tape


def current_tape() -> Tape:
    try:
        return THREAD.tape  # type: ignore[no-any-return]
    except AttributeError:
        tape = THREAD.tape = Tape()
        return tape


@contextmanager
def fresh_tape() -> Iterator[Tape]:
    """Build into a new, private tape inside the block (the service does this per request)."""
    outer = getattr(THREAD, "tape", None)
    tape = THREAD.tape = Tape()
    try:
        yield tape
    finally:
        if outer is None:
            del THREAD.tape
        else:
            THREAD.tape = outer
