"""A root Value -> the Graph JSON of SPEC section 3: nodes, edges, forward order and
the step-by-step backward trace, with the chain-rule numbers of every update.

    >>> from gradwalk import Value
    >>> from gradwalk.trace import trace
    >>> a = Value(2.0, label='a'); L = a * a
    >>> [u["delta"] for u in trace(L)["backward"][1]["updates"]]
    [2.0, 2.0]

`record` runs the backward sweep from zero and keeps every update (operand, local
derivative, delta = local x grad, running grad); `graph` turns that into plain
dicts. Node ids are "n0", "n1", ... in creation order over the nodes the root
depends on. Non-finite numbers become "NaN"/"Infinity"/"-Infinity" and a warning
names the node where they first appeared. Everything is linear and iterative.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import orjson

from .engine import Value
from .ops import OPS
from .tape import CONST, OP_BASE, ROLE_NAMES, Tape

Json = dict[str, Any]


@dataclass
class Recording:
    """One backward sweep of `root`, kept as flat lists (cheap to record, cheap to read)."""

    tape: Tape
    root: int
    order: list[int]  # tape indices the root depends on, creation order
    grad: list[float]  # grad[i] for tape index i <= root, from this sweep alone
    step_node: list[int] = field(default_factory=list)  # op node of backward step k (k >= 1)
    step_start: list[int] = field(default_factory=list)  # its first update in the upd_* lists
    upd_node: list[int] = field(default_factory=list)
    upd_local: list[float] = field(default_factory=list)
    upd_delta: list[float] = field(default_factory=list)
    upd_grad: list[float] = field(default_factory=list)


def record(root: Value) -> Recording:
    """Run backward from `root` on fresh gradients and record every update, in engine order."""
    tape, r = root._tape, root._i
    seen = tape.reachable(r)
    node = tape.node
    order = [i for i in range(r + 1) if seen[i]]
    g = [0.0] * (r + 1)
    g[r] = 1.0
    rec = Recording(tape, r, order, g)
    step_node, step_start = rec.step_node, rec.step_start
    un, ul, ud, ug = rec.upd_node, rec.upd_local, rec.upd_delta, rec.upd_grad
    for i in reversed(order):
        k, a, b, la, lb = node(i)
        if k < OP_BASE:
            continue
        gi = g[i]
        step_node.append(i)
        step_start.append(len(un))
        for j, local in ((a, la), (b, lb)):
            if j < 0 or tape.kind(j) == CONST:  # constants take no gradient
                continue
            delta = local * gi
            g[j] += delta
            un.append(j)
            ul.append(local)
            ud.append(delta)
            ug.append(g[j])
    return rec


def _finite(x: float) -> float | str:
    if x - x == 0.0:
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def _identity(x: float) -> float:
    return x


def graph(root: Value, rec: Recording | None = None) -> Json:
    """The Graph JSON (as Python dicts) of `root` and everything it depends on."""
    rec = rec or record(root)
    tape, order, g = rec.tape, rec.order, rec.grad
    node, data, labels = tape.node, tape.data, tape.labels
    ids = {i: f"n{k}" for k, i in enumerate(order)}
    all_finite = all(map(math.isfinite, (data[i] for i in order))) and all(map(math.isfinite, (g[i] for i in order)))
    num = _identity if all_finite else _finite
    group_of = tape.group_of if tape.groups else (lambda _i: None)

    out_nodes: list[Json] = []
    edges: list[Json] = []
    for i in order:
        k, a, b, _, _ = node(i)
        is_op = k >= OP_BASE
        op = OPS[k - OP_BASE] if is_op else None
        out_nodes.append(
            {
                "id": ids[i],
                "label": labels.get(i, ""),
                "op": op.name if op else None,
                "symbol": op.symbol if op else None,
                "data": num(data[i]),
                "grad": num(g[i]),
                "role": "op" if is_op else ROLE_NAMES[k],
                "group": group_of(i),
            }
        )
        if is_op:
            target = ids[i]
            edges.append({"source": ids[a], "target": target, "operand": 0})
            if b >= 0:
                edges.append({"source": ids[b], "target": target, "operand": 1})

    root_id = ids[rec.root]
    one = num(1.0)
    backward: list[Json] = [
        {"node": root_id, "grad": one, "updates": [{"node": root_id, "local": one, "delta": one, "grad": one}]}
    ]
    starts = [*rec.step_start, len(rec.upd_node)]
    un, ul, ud, ug = rec.upd_node, rec.upd_local, rec.upd_delta, rec.upd_grad
    for s, i in enumerate(rec.step_node):
        backward.append(
            {
                "node": ids[i],
                "grad": num(g[i]),
                "updates": [
                    {"node": ids[un[u]], "local": num(ul[u]), "delta": num(ud[u]), "grad": num(ug[u])}
                    for u in range(starts[s], starts[s + 1])
                ],
            }
        )

    return {
        "nodes": out_nodes,
        "edges": edges,
        "output": root_id,
        "forward": [ids[i] for i in order],
        "backward": backward,
        "warnings": [] if all_finite else _non_finite_warnings(rec, ids),
    }


def trace(root: Value) -> Json:
    """Graph JSON of `root`: see the module docstring and SPEC section 3."""
    return graph(root)


def dumps(graph_json: Json) -> bytes:
    """Serialise with orjson (the standard encoder is tens of times slower on big graphs)."""
    return orjson.dumps(graph_json)


def _describe(tape: Tape, ids: dict[int, str], i: int) -> str:
    label = tape.labels.get(i)
    return f"{ids[i]} ('{label}')" if label else ids[i]


def _non_finite_warnings(rec: Recording, ids: dict[int, str]) -> list[str]:
    """Name the first node whose value, and the first whose gradient, stopped being finite."""
    tape, data = rec.tape, rec.tape.data
    warnings: list[str] = []
    for i in rec.order:
        if not math.isfinite(data[i]):
            k, a, b, _, _ = tape.node(i)
            what = f"{OPS[k - OP_BASE].formula}" if k >= OP_BASE else "a literal out of double range"
            inputs = ", ".join(f"{_describe(tape, ids, j)} = {_finite(data[j])}" for j in (a, b) if j >= 0)
            warnings.append(
                f"{_describe(tape, ids, i)} is {_finite(data[i])} in the forward pass: first non-finite value"
                f" ({what}{' with ' + inputs if inputs else ''})"
            )
            break
    for u, delta in enumerate(rec.upd_delta):
        if not math.isfinite(delta):
            s = bisect_right(rec.step_start, u) - 1
            warnings.append(
                f"the gradient of {_describe(tape, ids, rec.upd_node[u])} becomes {_finite(delta)} at backward step"
                f" {s + 1} (from {_describe(tape, ids, rec.step_node[s])}): first non-finite gradient"
            )
            break
    return warnings
