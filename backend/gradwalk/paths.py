"""The chain rule as a sum over paths: every path from a node to the output, each with the
product of the local derivatives along it; the products add up to the node's grad
(docs/api.md, Expression: `paths`).

    >>> from gradwalk import Value, fresh_tape
    >>> from gradwalk.trace import record
    >>> with fresh_tape():
    ...     a = Value(3.0, label='a'); b = a*a + a
    ...     p = paths(record(b), a._i, max_paths=20)
    >>> p["count"], [q["product"] for q in p["paths"]], p["sum"], p["grad"]
    (3, [3.0, 3.0, 1.0], 7.0, 7.0)

Paths can be exponentially many (`x = x*x` ten times has 1,024), so they are counted by
dynamic programming and only the `max_paths` largest (by |product|) are listed: each node
keeps the best `max_paths` paths from it to the output, built from its results' best ones
(a path's |product| is |local| times its rest's, so the best paths from a node continue
with best paths of the next node). One sweep in creation order finds the nodes that
depend on the chosen one, one in reverse ranks their paths: iterative, and bounded by the
`max_path_work` limit, checked first.
"""

from __future__ import annotations

import heapq
import math
from operator import itemgetter
from typing import Any

from .limits import LimitError
from .tape import CONST, OP_BASE, ROW
from .trace import Recording, _finite

Json = dict[str, Any]

COUNT_CAP = 2**53 - 1  # counts stay exact integers in JavaScript; beyond, count_exact is false

# A ranked path from a node to the output: (rank, product, next node, operand slot, local, index
# of the rest of the path in the next node's list). The root's one path has next node -1.
Entry = tuple[float, float, int, int, float, int]


def check_path_work(rec: Recording, node: int, max_paths: int, max_work: int) -> None:
    """Refuse (LimitError) before any work when the nodes after `node` x max_paths passes `max_work`."""
    after = len(rec.order) - rec.order.index(node)
    if after * max_paths > max_work:
        raise LimitError(
            f"paths needs up to {after} nodes x {max_paths} paths = {after * max_paths} steps, more than the"
            f" max_path_work limit of {max_work}: pick a node closer to the output or a smaller graph",
            "limit.path_work",
            limit=max_work,
            loc=["body", "paths"],
        )


def paths(rec: Recording, node: int, max_paths: int, max_work: int | None = None) -> Json:
    """Paths from tape index `node` (in the graph, not a constant) to the output:
    {"node", "grad", "count", "count_exact", "complete", "sum", "paths": [{"product", "edges"}]}."""
    tape, order, root = rec.tape, rec.order, rec.root
    rows = tape.rows
    if rows[ROW * node] == CONST:
        raise ValueError("a constant takes no gradient: it has no paths to show")
    if max_work is not None:
        check_path_work(rec, node, max_paths, max_work)
    start = order.index(node)
    ids = {i: f"n{start + k}" for k, i in enumerate(order[start:])}

    # the nodes that depend on `node`, and for each such node its uses: (result, operand slot, local)
    uses: dict[int, list[tuple[int, int, float]]] = {node: []}
    for i in order[start + 1 :]:
        p = ROW * i
        if rows[p] < OP_BASE:
            continue
        a, b = rows[p + 1], rows[p + 2]
        hit = False
        if a in uses:
            uses[a].append((i, 0, rows[p + 3]))
            hit = True
        if b >= 0 and b in uses:
            uses[b].append((i, 1, rows[p + 4]))
            hit = True
        if hit:
            uses[i] = []

    # from the output down: how many paths lead from each node to it, and the best max_paths of them
    best: dict[int, list[Entry]] = {root: [(1.0, 1.0, -1, 0, 1.0, 0)]}
    count: dict[int, int] = {root: 1}
    rank = itemgetter(0)
    for i in reversed(list(uses)):
        if i == root:
            continue
        candidates: list[Entry] = []
        total = 0
        for s, slot, local in uses[i]:
            total += count[s]
            for j, rest in enumerate(best[s]):
                product = local * rest[1]
                candidates.append((abs(product) if product == product else math.inf, product, s, slot, local, j))
        count[i] = min(total, COUNT_CAP + 1)
        best[i] = heapq.nlargest(max_paths, candidates, key=rank) if len(candidates) > max_paths else candidates
        if len(candidates) <= max_paths:
            best[i].sort(key=rank, reverse=True)

    listed: list[Json] = []
    for entry in best[node]:
        edges: list[Json] = []
        at, e = node, entry
        while e[2] >= 0:
            edges.append({"source": ids[at], "target": ids[e[2]], "operand": e[3], "local": _finite(e[4])})
            at, e = e[2], best[e[2]][e[5]]
        listed.append({"product": _finite(entry[1]), "edges": edges})
    n = count[node]
    return {
        "node": ids[node],
        "grad": _finite(rec.grad[node]),
        "count": min(n, COUNT_CAP),
        "count_exact": n <= COUNT_CAP,
        "complete": len(listed) == n,
        "sum": _finite(math.fsum(entry[1] for entry in best[node])),
        "paths": listed,
    }
