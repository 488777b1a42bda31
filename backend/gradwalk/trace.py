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
over the nodes the root depends on, so the output is the last. Non-finite numbers become "NaN"/"Infinity"/
"-Infinity" and a warning names the node where they first appeared. Everything is
linear and iterative; the loops are written flat because a 200,000-node graph runs
through them on every MLP request.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from .engine import CONST, OP_BASE, ROLES, Value, reachable
from .ops import OPS

Json = dict[str, Any]

# Per node kind: (op name, op symbol, role).
_KIND_INFO: tuple[tuple[str | None, str | None, str], ...] = (
    *((None, None, role) for role in ROLES),
    *((op.name, op.symbol, "op") for op in OPS),
)


@dataclass
class Recording:
    """One backward sweep of `root` from fresh gradients: all the trace needs.

    Nodes are numbered by their place in `nodes` (creation order); `a[k]`/`b[k]` are
    the operand positions (-1 when absent). The updates themselves are not stored:
    every delta is local x grad(step node), with the local derivative on the node and
    the step node's grad final, so `replay` recomputes them in the engine's order
    with bit-identical results.
    """

    root: Value
    nodes: list[Value]  # everything root depends on, in creation order; root is last
    index: dict[Value, int]  # node -> its place in `nodes`
    a: list[int]
    b: list[int]
    grad: list[float]  # d root / d node, per place


def record(root: Value) -> Recording:
    """Run backward from `root` on fresh gradients, leaving the nodes' own grads untouched."""
    nodes = reachable(root)
    index = {v: k for k, v in enumerate(nodes)}
    get = index.get
    a = [get(v._a, -1) for v in nodes]  # type: ignore[arg-type]
    b = [get(v._b, -1) for v in nodes]  # type: ignore[arg-type]
    n = len(nodes)
    g = [0.0] * n
    g[n - 1] = 1.0
    # The engine's sweep (Value.backward) over positions: same order, same arithmetic.
    kinds = [v._k for v in nodes]
    for k in range(n - 1, -1, -1):
        i = a[k]
        if i < 0:
            continue
        v = nodes[k]
        gk = g[k]
        if kinds[i]:
            g[i] += v._la * gk
        j = b[k]
        if j >= 0 and kinds[j]:
            g[j] += v._lb * gk
    return Recording(root, nodes, index, a, b, g)


def replay(rec: Recording, ids: list[str]) -> list[Json]:
    """The backward steps after the seed, as Graph JSON: {"node", "grad", "updates": [...]}.

    Steps run in reverse creation order, as the engine's sweep does, and each update
    repeats the sweep's arithmetic, so every number is bit-identical to the engine's.
    Constants get no update.
    """
    nodes, a, b, g = rec.nodes, rec.a, rec.b, rec.grad
    running = [0.0] * len(nodes)
    running[-1] = 1.0
    steps: list[Json] = []
    for k in range(len(nodes) - 1, -1, -1):
        i = a[k]
        if i < 0:  # a leaf: no local rule runs
            continue
        v = nodes[k]
        gk = g[k]
        updates: list[Json] = []
        if nodes[i]._k != CONST:
            local = v._la
            delta = local * gk
            r = running[i] = running[i] + delta
            updates.append({"node": ids[i], "local": local, "delta": delta, "grad": r})
        j = b[k]
        if j >= 0 and nodes[j]._k != CONST:
            local = v._lb
            delta = local * gk
            r = running[j] = running[j] + delta
            updates.append({"node": ids[j], "local": local, "delta": delta, "grad": r})
        steps.append({"node": ids[k], "grad": gk, "updates": updates})
    return steps


def graph(root: Value, rec: Recording | None = None) -> Json:
    """The Graph JSON (as Python dicts) of `root` and everything it depends on."""
    with collector_paused():
        return _graph(rec or record(root))


def _graph(rec: Recording) -> Json:
    nodes, a, b, g = rec.nodes, rec.a, rec.b, rec.grad
    ids = [f"n{k}" for k in range(len(nodes))]
    out_nodes: list[Json] = []
    edges: list[Json] = []
    for k, v in enumerate(nodes):
        kind = v._k
        name, symbol, role = _KIND_INFO[kind]
        nid = ids[k]
        out_nodes.append(
            {
                "id": nid,
                "label": v.label,
                "op": name,
                "symbol": symbol,
                "data": v.data,
                "grad": 0.0 if kind == CONST else g[k],  # constants take no gradient
                "role": role,
                "group": v.group,
            }
        )
        if kind >= OP_BASE:
            edges.append({"source": ids[a[k]], "target": nid, "operand": 0})
            if b[k] >= 0:
                edges.append({"source": ids[b[k]], "target": nid, "operand": 1})

    root_id = ids[-1]
    backward: list[Json] = [
        {"node": root_id, "grad": 1.0, "updates": [{"node": root_id, "local": 1.0, "delta": 1.0, "grad": 1.0}]},
        *replay(rec, ids),
    ]

    result = {
        "nodes": out_nodes,
        "edges": edges,
        "output": root_id,
        "forward": ids,
        "backward": backward,
        "warnings": [],
    }
    if not _all_finite(rec, out_nodes):
        result["warnings"] = _non_finite_warnings(rec, ids, backward)
        _encode_non_finite(out_nodes, backward)
    return result


def variables(rec: Recording, names: dict[str, Value]) -> dict[str, str]:
    """Each name whose Value is in the recorded graph -> its node id ("n3")."""
    index = rec.index
    return {name: f"n{index[v]}" for name, v in names.items() if v in index}


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


def _all_finite(rec: Recording, nodes: list[Json]) -> bool:
    """Whether every number in the graph is finite.

    Node data and grads suffice: a non-finite local or delta makes some grad
    non-finite too. A finite sum proves all its terms finite (C speed); only when
    it is not (overflow, or a constant's unused gradient) are the nodes checked one by one.
    """
    if math.isfinite(sum(n["data"] for n in nodes)) and math.isfinite(sum(rec.grad)):
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


def _describe(v: Value, nid: str) -> str:
    label = v.label
    return f"{nid} ('{label}')" if label else nid


def _non_finite_warnings(rec: Recording, ids: list[str], backward: list[Json]) -> list[str]:
    """Name the first node whose value, and the first whose gradient, stopped being finite."""
    nodes = rec.nodes
    warnings: list[str] = []
    for k, v in enumerate(nodes):
        if not math.isfinite(v.data):
            what = OPS[v._k - OP_BASE].formula if v._k >= OP_BASE else "a literal out of double range"
            inputs = ", ".join(
                f"{_describe(nodes[j], ids[j])} = {_finite(nodes[j].data)}" for j in (rec.a[k], rec.b[k]) if j >= 0
            )
            warnings.append(
                f"{_describe(v, ids[k])} is {_finite(v.data)} in the forward pass: first non-finite value"
                f" ({what}{' with ' + inputs if inputs else ''})"
            )
            break
    index = {nid: k for k, nid in enumerate(ids)}
    for s, step in enumerate(backward):
        bad = next((u for u in step["updates"] if not math.isfinite(u["delta"])), None)
        if bad is not None:
            k, j = index[bad["node"]], index[step["node"]]
            warnings.append(
                f"the gradient of {_describe(nodes[k], ids[k])} becomes {_finite(bad['delta'])} at"
                f" backward step {s} (from {_describe(nodes[j], ids[j])}): first non-finite gradient"
            )
            break
    return warnings
