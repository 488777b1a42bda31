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
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice, repeat
from operator import is_not, itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from .ops import OPS

if TYPE_CHECKING:
    from .engine import Value

# Node kinds share one byte with op codes: leaves first, then OP_BASE + op code.
INPUT, PARAM, CONST = 0, 1, 2
OP_BASE = 3
ROLE_NAMES = ("input", "param", "const")
ROW = 5  # entries per node in Tape.rows
LEAVES = tuple((kind, -1, -1, 0.0, 0.0) for kind in (INPUT, PARAM, CONST))  # a leaf's row

# A tape compacts itself (drops nodes no live Value depends on) once it has grown past
# max(its minimum, COMPACT_GROWTH x its size after the last compaction). A thread's default
# tape, where training loops leave a dead graph per step, starts at COMPACT_MIN_DEFAULT
# (262,144 nodes, ~35 MB); a fresh_tape() dies with its block, so it waits longer.
COMPACT_MIN = 1 << 20
COMPACT_MIN_DEFAULT = 1 << 18
COMPACT_GROWTH = 8


class Tape:
    """Append-only storage for one graph family; see the module docstring.

    `rows[5*i : 5*i+5]` is (kind, a, b, la, lb): kind is INPUT/PARAM/CONST or
    OP_BASE + op code, a and b the operand indices (-1 when absent), la and lb the
    local derivatives d result / d a and d result / d b, fixed when the node is
    built. One flat list rather than a tuple per node: half the memory, and no
    container for the cycle collector to track. `data[i]` is the value; `grad`
    grows lazily.
    """

    __slots__ = (
        "__weakref__",
        "compact_at",
        "compact_min",
        "current_group",
        "data",
        "grad",
        "groups",
        "handles",
        "labels",
        "marker",
        "rows",
        "work",
    )

    def __init__(self, compact_min: int | None = None) -> None:
        self.rows: list[Any] = []  # ints and floats, 5 per node
        self.data: list[float] = []
        self.grad: list[float] = []  # shorter than data until a backward pass needs it
        self.labels: dict[int, str] = {}  # sparse: most nodes have no label
        self.groups: list[tuple[int, str | None]] = []  # (first index, group) runs; the last one is open
        self.current_group: str | None = None  # the group new nodes join (the last run's)
        self.compact_min = COMPACT_MIN if compact_min is None else compact_min
        self.compact_at = self.compact_min
        self.marker: list[None] = []  # held by the tape alone: compact() finds the tape through it
        self.handles: weakref.WeakValueDictionary[int, Value] | None = None  # see handle()
        self.work: list[Any] = []  # backward's gradients while it runs, all None between runs

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

    def group(self, name: str | None) -> Group:
        """`with tape.group(name):` tags every node created inside the block with `name`
        (MLP views collapse by it). O(1): a neuron call opens one."""
        return Group(self, name)

    def open_group(self, name: str | None) -> None:
        """New nodes join `name` from here on (one run per stretch of nodes, no empty runs)."""
        self.current_group = name
        groups = self.groups
        n = len(self.data)
        if groups and groups[-1][0] == n:  # the open run made no node: replace it
            groups.pop()
        if (groups[-1][1] if groups else None) != name:
            groups.append((n, name))

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
        A tape past its compaction threshold compacts afterwards, from what the sweep reached.
        """
        self._grow_grad()
        # The sweep's working list is the tape's own, all None between sweeps, so a small
        # graph on a long tape does not pay for a list as long as the tape.
        work = self.work
        if len(work) <= root:
            work.extend(repeat(None, len(self.data) - len(work)))  # (no temporary list)
        reached = self._sweep(root, self.grad, work)
        if len(self.data) >= self.compact_at:
            self.compact(reached)
        # back to all None: the rows the sweep walked (and any above them), and the leaves below
        lo = reached.stop + 1
        del work[lo:]
        for j in reached.low_leaves:
            if j < lo:
                work[j] = None
        n = len(self.data)  # after a compaction, shorter than before
        if n > lo:
            work.extend(repeat(None, n - lo))
        else:
            del work[n:]

    def sweep(self, root: int, grad: list[float] | None = None) -> list[Any]:
        """The reverse sweep from `root` on fresh gradients; returns them (None = not reached).

        With `grad`, results are also written there (interior nodes replaced, input and
        param leaves accumulated).
        """
        return self._sweep(root, grad).grad

    def _sweep(self, root: int, grad: list[float] | None, work: list[Any] | None = None) -> Reached:
        """Creation order is topological, so one pass from root downwards finishes every
        node's gradient before its operands are visited. The pass stops below the lowest
        op node reached: what is left down there is leaves (a training loop's parameters,
        made long before), which get their gradient from a list, so the cost follows the
        graph differentiated and not the dead graphs of earlier steps below it.

        `work` (all None, at least root + 1 long; by default a new list) receives the
        gradients: a float, or None where not reached.
        """
        g: list[Any] = [None] * (root + 1) if work is None else work
        g[root] = 1.0
        # Without `grad`, the writes go to a scratch list: cheaper than testing per node.
        out: list[float] = grad if grad is not None else [0.0] * (root + 1)
        table = self.rows
        # Walk the rows backwards in groups of five, (lb, la, b, a, kind), reading one
        # iterator five times per node: no index arithmetic, no int objects made.
        rows = reversed(table)
        skip = len(table) - ROW * (root + 1)
        next(islice(rows, skip, skip), None)  # consume the nodes after root
        lowest = root  # the lowest op node reached so far
        low_leaves: list[int] = []  # leaves reached from above `lowest` when first reached
        stop = -1  # the sweep has visited every row above this one
        low_leaf, op, const, row = low_leaves.append, OP_BASE, CONST, ROW  # locals: the loop's hottest names
        # reversed(g) reads g[i] when the sweep reaches i, after every result of i is done.
        # Only a node's first contribution checks `lowest`: once per node reached, not per edge.
        grads = reversed(g)
        skip = len(g) - (root + 1)
        next(islice(grads, skip, skip), None)
        for i, gi, lb, la, b, a, k in zip(range(root, -1, -1), grads, rows, rows, rows, rows, rows):
            if gi is not None:  # reached from root (None keeps 0 * inf out of unrelated nodes)
                if k >= op:
                    out[i] = gi
                    ga = g[a]
                    if ga is None:
                        g[a] = la * gi
                        if a < lowest:
                            if table[row * a] >= op:
                                lowest = a
                            else:
                                low_leaf(a)
                    else:
                        g[a] = ga + la * gi
                    if b >= 0:
                        gb = g[b]
                        if gb is None:
                            g[b] = lb * gi
                            if b < lowest:
                                if table[row * b] >= op:
                                    lowest = b
                                else:
                                    low_leaf(b)
                        else:
                            g[b] = gb + lb * gi
                elif k != const:
                    out[i] += gi
            elif i < lowest:  # no op node left below: only leaves, and their grads are final
                stop = i
                break
        for j in low_leaves:
            if j < stop and table[ROW * j] != CONST:  # (those above `stop` were swept)
                out[j] += g[j]
        return Reached(root, g, stop, low_leaves)

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

    def compact(self, reached: Reached | None = None) -> None:
        """Drop nodes no live Value depends on and renumber the rest (order is kept).

        Live Values are found with gc.get_referrers, one walk over the heap (about 0.1 µs
        per object); the marking walks only the live graphs' rows, as the sweep does (or
        reuses the sweep just made, `reached`, when the other live Values are leaves: a
        training loop's parameters), and only kept nodes are copied. The growth threshold
        keeps it amortised O(1) per node.
        """
        from .engine import Value

        # One walk over the heap finds the live Values (the tape's referrers) and the tape itself
        # (its marker's referrer). gc.get_referrers cannot see frozen objects, so a tape it cannot
        # see was made before a gc.freeze(), which froze it and may have frozen Values of it too:
        # renumbering would leave those stale. Such a tape keeps every node (memory over
        # correctness never). One made after the last freeze holds no frozen Value: all of its
        # Values are younger than it.
        referrers = gc.get_referrers(self, self.marker)
        if not any(r is self for r in referrers):
            self.compact_at *= 2
            return
        holders: list[Value] = [v for v in referrers if isinstance(v, Value)]
        n = len(self.data)
        keep = self._reached(reached, holders) if reached is not None else None
        if keep is None:
            keep = self._live(holders)
        m = keep.count(1)
        self.compact_at = max(self.compact_min, COMPACT_GROWTH * m)
        if m == n:
            return
        # The kept nodes come in runs (a training loop keeps its parameters and the current
        # graph): the dead stretches between them are deleted in place, so kept rows move by
        # memmove without being touched, and only the operands of rows that moved are rewritten.
        # remap[old] = new for kept nodes, and remap[-1] = -1 (no operand).
        runs = _runs(keep)
        remap: list[int] = [0] * n
        remap.append(-1)
        gaps: list[tuple[int, int]] = []
        new = end = 0
        for s, e in runs:
            remap[s:e] = range(new, new + e - s)
            new += e - s
            if s > end:
                gaps.append((end, s))
            end = e
        if end < n:
            gaps.append((end, n))
        self._grow_grad()
        rows, data, grad = self.rows, self.data, self.grad
        for s, e in reversed(gaps):  # from the top, so the stretches below keep their places
            del rows[ROW * s : ROW * e], data[s:e], grad[s:e]
        for s, e in runs:
            new = remap[s]
            if new != s:
                stop = ROW * (new + e - s)
                for col in (ROW * new + 1, ROW * new + 2):
                    rows[col:stop:ROW] = map(remap.__getitem__, rows[col:stop:ROW])
        self.groups = self._remapped_groups(runs)
        self.labels = {remap[i]: s for i, s in self.labels.items() if keep[i]}
        for v in holders:
            v._i = remap[v._i]
        if self.handles:  # every live cached handle was a holder: key them by their new index
            self.handles = weakref.WeakValueDictionary({v._i: v for v in self.handles.values()})

    def _reached(self, reached: Reached, holders: list[Value]) -> bytearray | None:
        """The nodes to keep, from a sweep, when every live op node is its root (else None)."""
        table, root = self.rows, reached.root
        for v in holders:
            if v._i != root and table[ROW * v._i] >= OP_BASE:
                return None
        keep = bytearray(len(self.data))
        lo = reached.stop + 1
        keep[lo : root + 1] = map(is_not, reached.grad[lo : root + 1], repeat(None))
        for j in reached.low_leaves:
            keep[j] = 1
        for v in holders:
            keep[v._i] = 1
        return keep

    def _live(self, holders: list[Value]) -> bytearray:
        """keep[i] = 1 for every node a holder depends on: the sweep's walk, marking instead of adding."""
        table = self.rows
        keep = bytearray(len(self.data))
        top, lowest = -1, len(self.data)
        for v in holders:
            i = v._i
            keep[i] = 1
            if table[ROW * i] >= OP_BASE:
                top = max(top, i)
                lowest = min(lowest, i)
        if top < 0:
            return keep
        rows = reversed(table)
        skip = len(table) - ROW * (top + 1)
        next(islice(rows, skip, skip), None)
        # keep from `top` down too (a live iterator: it reads the marks made below as it gets there);
        # from the end, it paired node i with node i + (n - 1 - top) and dropped what live nodes use
        kept_from_top = reversed(keep)
        skip = len(keep) - (top + 1)
        next(islice(kept_from_top, skip, skip), None)
        for i, kept, _, _, b, a, k in zip(range(top, -1, -1), kept_from_top, rows, rows, rows, rows, rows):
            if kept:
                if k >= OP_BASE:
                    keep[a] = 1
                    if a < lowest and table[ROW * a] >= OP_BASE:
                        lowest = a
                    if b >= 0:
                        keep[b] = 1
                        if b < lowest and table[ROW * b] >= OP_BASE:
                            lowest = b
            elif i < lowest:
                break
        return keep

    def _remapped_groups(self, runs: list[tuple[int, int]]) -> list[tuple[int, str | None]]:
        """The group runs after a compaction, visiting only those over kept nodes (empty ones go)."""
        groups = self.groups
        out: list[tuple[int, str | None]] = []
        new = 0  # the new index of the kept run's first node
        for s, e in runs:
            k = bisect_right(groups, s, key=_start) - 1  # the group run open at s
            end = bisect_left(groups, e, key=_start)  # group runs starting inside [s, e) end before `end`
            name = groups[k][1] if k >= 0 else None
            if out and out[-1][0] == new:  # the group run before lost every node
                out.pop()
            if (out[-1][1] if out else None) != name:
                out.append((new, name))
            # the runs inside start after s, are nonempty and differ from their predecessor: just shift
            shift = s - new
            inside = groups[k + 1 : end]
            out += inside if shift == 0 else [(start - shift, name) for start, name in inside]
            new += e - s
        # the group open now goes on for the nodes still to come
        if out and out[-1][0] == new:
            out.pop()
        if (out[-1][1] if out else None) != self.current_group:
            out.append((new, self.current_group))
        return out


class Reached(NamedTuple):
    """What a sweep reached: `grad[i]` is None for nodes it did not; below `stop`, only `low_leaves`."""

    root: int
    grad: list[Any]
    stop: int
    low_leaves: list[int]


_start = itemgetter(0)


def _runs(keep: bytearray) -> list[tuple[int, int]]:
    """The [start, end) stretches of 1s in `keep`, found at memchr speed."""
    runs: list[tuple[int, int]] = []
    n = len(keep)
    s = keep.find(1)
    while s >= 0:
        e = keep.find(0, s)
        if e < 0:
            e = n
        runs.append((s, e))
        s = keep.find(1, e)
    return runs


class Group:
    """The `with tape.group(name):` block: a class rather than @contextmanager, 4x cheaper."""

    __slots__ = ("name", "outer", "tape")

    def __init__(self, tape: Tape, name: str | None) -> None:
        self.tape = tape
        self.name = name
        self.outer: str | None = None

    def __enter__(self) -> None:
        self.outer = self.tape.current_group
        self.tape.open_group(self.name)

    def __exit__(self, *exc: object) -> None:
        self.tape.open_group(self.outer)


# Each thread builds on its own tape, so concurrent requests never interleave entries.
THREAD = threading.local()  # .tape: this thread's current tape


def current_tape() -> Tape:
    try:
        return THREAD.tape  # type: ignore[no-any-return]
    except AttributeError:
        tape = THREAD.tape = Tape(COMPACT_MIN_DEFAULT)
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
