"""A root Value -> the Graph JSON (docs/api.md, "Graph JSON"): nodes, edges, forward order and
the step-by-step backward trace, with the chain-rule numbers of every update.

    >>> from gradwalk import Value
    >>> from gradwalk.trace import trace
    >>> a = Value(2.0, label='a'); L = a * a
    >>> [u["delta"] for u in trace(L)["backward"][1]["updates"]]
    [2.0, 2.0]

`record` runs the backward sweep from zero; `replay` lists every update of it
(operand, local derivative, delta = local x grad, running grad) in engine order;
`graph` turns both into plain dicts. Node ids are "n0", "n1", ... in creation order
over the nodes the root depends on. Non-finite numbers become "NaN"/"Infinity"/
"-Infinity" and a warning names the node where they first appeared. Everything is
linear and iterative; the loops are written flat because a 200,000-node graph runs
through them on every MLP request.
"""

from __future__ import annotations

import gc
import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import compress, repeat
from operator import is_not
from typing import Any

import orjson

from .engine import Value
from .ops import OPS
from .tape import CONST, OP_BASE, ROLE_NAMES, ROW, Tape

Json = dict[str, Any]

# Per node kind: (op name, op symbol, role).
_KIND_INFO: tuple[tuple[str | None, str | None, str], ...] = (
    *((None, None, role) for role in ROLE_NAMES),
    *((op.name, op.symbol, "op") for op in OPS),
)


@dataclass
class Recording:
    """One backward sweep of `root` from fresh gradients: all the trace needs.

    The updates themselves are not stored: every delta is local x grad(step node),
    with the local derivative on the tape and the step node's grad final, so
    `replay` recomputes them in the engine's order with bit-identical results.
    """

    tape: Tape
    root: int
    order: list[int]  # tape indices the root depends on, in creation order
    grad: list[float]  # grad[i] for tape index i in order (other entries are None)


def record(root: Value) -> Recording:
    """Run backward from `root` on fresh gradients, leaving the tape's grads untouched."""
    tape = root._tape
    reached = tape._sweep(root._i, None)
    # the nodes reached, in creation order: the leaves below the sweep's stop, then the rows it walked
    lo, g = reached.stop + 1, reached.grad
    order = sorted(j for j in reached.low_leaves if j < lo)
    order += compress(range(lo, root._i + 1), map(is_not, g[lo:], repeat(None)))
    return Recording(tape, root._i, order, g)


def replay(rec: Recording, ids: list[str]) -> list[Json]:
    """The backward steps after the seed, as Graph JSON: {"node", "grad", "updates": [...]}.

    Steps run in reverse creation order, as the engine's sweep does, and each update
    repeats the sweep's arithmetic (first contribution assigned, later ones added),
    so every number is bit-identical to the engine's. Constants get no update.
    """
    rows, g = rec.tape.rows, rec.grad
    running: list[Any] = [None] * (rec.root + 1)
    running[rec.root] = 1.0
    steps: list[Json] = []
    for i in reversed(rec.order):
        p = ROW * i
        a = rows[p + 1]
        if a < 0:  # a leaf: no local rule runs
            continue
        gi = g[i]
        updates: list[Json] = []
        if rows[ROW * a] != CONST:
            local = rows[p + 3]
            delta = local * gi
            r = running[a]
            r = running[a] = delta if r is None else r + delta
            updates.append({"node": ids[a], "local": local, "delta": delta, "grad": r})
        b = rows[p + 2]
        if b >= 0 and rows[ROW * b] != CONST:
            local = rows[p + 4]
            delta = local * gi
            r = running[b]
            r = running[b] = delta if r is None else r + delta
            updates.append({"node": ids[b], "local": local, "delta": delta, "grad": r})
        steps.append({"node": ids[i], "grad": gi, "updates": updates})
    return steps


def graph(root: Value, rec: Recording | None = None) -> Json:
    """The Graph JSON (as Python dicts) of `root` and everything it depends on."""
    with collector_paused():
        return _graph(rec or record(root))


def _graph(rec: Recording) -> Json:
    tape, order, g = rec.tape, rec.order, rec.grad
    rows, data, labels = tape.rows, tape.data, tape.labels
    ids: list[str] = [""] * (rec.root + 1)
    for k, i in enumerate(order):
        ids[i] = f"n{k}"
    groups = _group_per_node(tape, order)

    out_nodes: list[Json] = []
    edges: list[Json] = []
    for i, group in zip(order, groups):
        p = ROW * i
        k = rows[p]
        name, symbol, role = _KIND_INFO[k]
        nid = ids[i]
        out_nodes.append(
            {
                "id": nid,
                "label": labels.get(i, ""),
                "op": name,
                "symbol": symbol,
                "data": data[i],
                "grad": 0.0 if k == CONST else g[i],  # constants take no gradient
                "role": role,
                "group": group,
            }
        )
        if k >= OP_BASE:
            edges.append({"source": ids[rows[p + 1]], "target": nid, "operand": 0})
            b = rows[p + 2]
            if b >= 0:
                edges.append({"source": ids[b], "target": nid, "operand": 1})

    root_id = ids[rec.root]
    backward: list[Json] = [
        {"node": root_id, "grad": 1.0, "updates": [{"node": root_id, "local": 1.0, "delta": 1.0, "grad": 1.0}]},
        *replay(rec, ids),
    ]

    result = {
        "nodes": out_nodes,
        "edges": edges,
        "output": root_id,
        "forward": [ids[i] for i in order],
        "backward": backward,
        "warnings": [],
    }
    if not _all_finite(rec, out_nodes):
        result["warnings"] = _non_finite_warnings(rec, ids, backward)
        _encode_non_finite(out_nodes, backward)
    return result


def variables(rec: Recording, names: dict[str, Value]) -> dict[str, str]:
    """Each name whose Value is in the recorded graph -> its node id ("n3")."""
    order = rec.order
    out: dict[str, str] = {}
    for name, v in names.items():
        if v._tape is not rec.tape:
            continue
        k = bisect_left(order, v._i)
        if k < len(order) and order[k] == v._i:
            out[name] = f"n{k}"
    return out


def source_lines(rec: Recording, runs: list[tuple[int, int]]) -> list[int | None]:
    """The source line that made each recorded node, in node order, from the interpreter's statement runs
    ((first tape index, line), increasing): what the page steps by when it steps by statement."""
    starts = [start for start, _ in runs]
    out: list[int | None] = []
    for i in rec.order:
        k = bisect_right(starts, i) - 1
        out.append(runs[k][1] if k >= 0 else None)
    return out


def trace(root: Value) -> Json:
    """Graph JSON of `root`: see the module docstring and docs/api.md."""
    return graph(root)


def dumps(graph_json: Json) -> bytes:
    """Serialise with orjson (the standard encoder is tens of times slower on big graphs)."""
    return orjson.dumps(graph_json)


# ------------------------------------------------------------ helpers

_pause_lock = threading.Lock()
_pauses = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep Python's cycle collector off while a block allocates many acyclic containers.

    A 200,000-node Graph JSON is over a million dicts; the collector would rescan the
    growing heap again and again (measured: two thirds of the build time) to find no
    cycle at all. Nested and concurrent pauses are counted; the last one re-enables.
    """
    global _pauses
    with _pause_lock:
        owned = _pauses > 0 or gc.isenabled()  # else someone else turned it off: leave it so
        if owned:
            _pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if owned:
            with _pause_lock:
                _pauses -= 1
                if _pauses == 0:
                    gc.enable()


def _group_per_node(tape: Tape, order: list[int]) -> list[str | None]:
    """The group of each node in `order`, walking the group runs alongside (order is increasing)."""
    runs = tape.groups
    if not runs:
        return [None] * len(order)
    out: list[str | None] = []
    current: str | None = None
    r = 0
    for i in order:
        while r < len(runs) and runs[r][0] <= i:
            current = runs[r][1]
            r += 1
        out.append(current)
    return out


def _all_finite(rec: Recording, nodes: list[Json]) -> bool:
    """Whether every number in the graph is finite.

    Node data and grads suffice: a non-finite local or delta makes some grad
    non-finite too. A finite sum proves all its terms finite (C speed); only when
    it is not (overflow, or a constant's unused gradient) are the nodes checked one by one.
    """
    order, data, g = rec.order, rec.tape.data, rec.grad
    if math.isfinite(sum(map(data.__getitem__, order))) and math.isfinite(sum(map(g.__getitem__, order))):
        return True
    isfinite = math.isfinite
    return all(isfinite(n["data"]) and isfinite(n["grad"]) for n in nodes)


def _finite(x: float) -> float | str:
    """JSON has no NaN or Infinity: encode them as the protobuf JSON mapping does."""
    if x - x == 0.0:
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def _encode_non_finite(nodes: list[Json], backward: list[Json]) -> None:
    for n in nodes:
        n["data"] = _finite(n["data"])
        n["grad"] = _finite(n["grad"])
    for s in backward:
        s["grad"] = _finite(s["grad"])
        for u in s["updates"]:
            u["local"], u["delta"], u["grad"] = _finite(u["local"]), _finite(u["delta"]), _finite(u["grad"])


def _describe(tape: Tape, ids: list[str], i: int) -> str:
    label = tape.labels.get(i)
    return f"{ids[i]} ('{label}')" if label else ids[i]


def _non_finite_warnings(rec: Recording, ids: list[str], backward: list[Json]) -> list[str]:
    """Name the first node whose value, and the first whose gradient, stopped being finite."""
    tape, data = rec.tape, rec.tape.data
    warnings: list[str] = []
    for i in rec.order:
        if not math.isfinite(data[i]):
            k, a, b, _, _ = tape.node(i)
            what = OPS[k - OP_BASE].formula if k >= OP_BASE else "a literal out of double range"
            inputs = ", ".join(f"{_describe(tape, ids, j)} = {_finite(data[j])}" for j in (a, b) if j >= 0)
            warnings.append(
                f"{_describe(tape, ids, i)} is {_finite(data[i])} in the forward pass: first non-finite value"
                f" ({what}{' with ' + inputs if inputs else ''})"
            )
            break
    index = {nid: i for i, nid in enumerate(ids) if nid}
    for s, step in enumerate(backward):
        bad = next((u for u in step["updates"] if not math.isfinite(u["delta"])), None)
        if bad is not None:
            warnings.append(
                f"the gradient of {_describe(tape, ids, index[bad['node']])} becomes {_finite(bad['delta'])} at"
                f" backward step {s} (from {_describe(tape, ids, index[step['node']])}): first non-finite gradient"
            )
            break
    return warnings
