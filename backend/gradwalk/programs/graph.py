"""The sandbox's plain lists -> Graph JSON (docs/api.md, Graph JSON) + `checks` + `snapshots`.

The lists are checked before use: the program could have redefined anything gradwalk's
extraction calls, so nothing is trusted to be well formed.
"""

from __future__ import annotations

import math
from typing import Any

from ..limits import LimitError
from ..ops import BY_NAME, OPS, Op
from .model import ProgramError

Json = dict[str, Any]

_SYMBOLS: dict[str, Op] = {op.symbol: op for op in OPS}
_SYMBOLS["relu"] = BY_NAME["relu"]
_KNOWN = {"+", "-", "*", "/", "**", "neg", "exp", "log", "tanh", "relu", "ReLU", "sigmoid"}


def _fin(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _bad() -> ProgramError:
    return ProgramError("the program redefined a name gradwalk's extraction needs", "program.result")


def _floats(x: Any, n: int) -> list[float]:
    if not isinstance(x, list) or len(x) != n or not all(isinstance(v, float) for v in x):
        raise _bad()
    return x


def build(raw: list[Any], max_nodes: int) -> Json:
    """Graph JSON of the extraction result `raw` (see gradwalk.programs.prelude.EXTRACT)."""
    if not raw or not isinstance(raw[0], str):
        raise _bad()
    tag = raw[0]
    if tag == "no-output":
        name = raw[1] if len(raw) > 1 else None
        if isinstance(name, str) and raw[2] == "undefined":
            raise ProgramError(f"the program binds no module-level name {name!r} (the request's output)", "output")
        raise ProgramError(
            "no output: the program holds no Value in a module-level name. Name one: assign it (L = ...), "
            'call draw_dot(L), or send "output": "L"',
            "output",
        )
    if tag == "not-value":
        raise ProgramError(f"{raw[1]!r} holds a {raw[2]}, not a Value (an object with data and grad)", "output")
    if tag == "too-many":
        raise LimitError(
            f"the output's graph has more than the max_nodes limit of {max_nodes} nodes", "limit.nodes", limit=max_nodes
        )
    if tag != "ok" or len(raw) != 11:
        raise _bad()
    _, name, engine, data, grad, before, ops, labels, kids, steps, snaps = raw
    n = len(data) if isinstance(data, list) else -1
    data, grad, before = _floats(data, n), _floats(grad, n), _floats(before, n)
    if not (isinstance(ops, list) and isinstance(labels, list)) or not (len(ops) == len(labels) == n) or n < 1:
        raise _bad()
    if not all(isinstance(o, str) for o in ops) or not all(isinstance(s, str) for s in labels):
        raise _bad()
    kids = _unflatten_kids(kids, n)
    if engine not in ("gradwalk", "program") or not (name is None or isinstance(name, str)):
        raise _bad()
    ids = [f"n{k}" for k in range(n)]
    root = n - 1
    nodes: list[Json] = []
    edges: list[Json] = []
    for k in range(n):
        sym = ops[k] if kids[k] and ops[k] else None
        op = _op_of(sym, len(kids[k]))
        nodes.append(
            {
                "id": ids[k],
                "label": labels[k],
                "op": op.name if op else None,
                "symbol": sym if kids[k] else None,
                "data": _fin(data[k]),
                "grad": _fin(grad[k]),
                "role": "op" if kids[k] else "input",
                "group": None,
            }
        )
        for pos, j in enumerate(kids[k]):
            edges.append({"source": ids[j], "target": ids[k], "operand": pos})
    backward: list[Json] = [
        {"node": ids[root], "grad": 1.0, "updates": [{"node": ids[root], "local": 1.0, "delta": 1.0, "grad": 1.0}]}
    ]
    made: dict[int, dict[int, float]] = {}  # step node -> {operand: delta}
    s_node, s_grad, s_count, u_node, u_delta, u_grad = _step_lists(steps, n)
    u = 0
    for k, g_step, count in zip(s_node, s_grad, s_count):
        out_ups = []
        made[k] = {}
        for j, delta, g in zip(u_node[u : u + count], u_delta[u : u + count], u_grad[u : u + count]):
            made[k][j] = made[k].get(j, 0.0) + delta
            local = delta / g_step if g_step != 0 and math.isfinite(g_step) else None
            out_ups.append(
                {"node": ids[j], "local": None if local is None else _fin(local), "delta": _fin(delta), "grad": _fin(g)}
            )
        u += count
        if kids[k] or out_ups:
            backward.append({"node": ids[k], "grad": _fin(g_step), "updates": out_ups})
    snapshots: list[Json] = []
    if not isinstance(snaps, list):
        raise _bad()
    for s in snaps:
        if not (isinstance(s, list) and len(s) == 2 and isinstance(s[0], int) and isinstance(s[1], list)):
            raise _bad()
        sd: Json = {}
        sg: Json = {}
        for e in s[1]:
            if not (isinstance(e, list) and len(e) == 3 and isinstance(e[0], int) and 0 <= e[0] < n):
                raise _bad()
            if not (isinstance(e[1], float) and isinstance(e[2], float)):
                raise _bad()
            sd[ids[e[0]]] = _fin(e[1])
            sg[ids[e[0]]] = _fin(e[2])
        snapshots.append({"output": ids[s[0]] if 0 <= s[0] < n else None, "data": sd, "grad": sg})
    warnings: list[str] = []
    for k in range(n):
        if not (math.isfinite(data[k]) and math.isfinite(grad[k])):
            warnings.append(f"non-finite value first at {ids[k]} ({labels[k] or ops[k] or 'leaf'})")
            break
    found, checked = checks(data, grad, before, ops, kids, made, ids, labels, engine, warnings)
    return {
        "nodes": nodes,
        "edges": edges,
        "output": ids[root],
        "forward": ids,
        "backward": backward,
        "warnings": warnings,
        "output_name": name,
        "engine": engine,
        "checks": found,
        "checked": checked,
        "snapshots": snapshots,
    }


def _ints(x: Any, n: int | None, below: int) -> list[int]:
    if not isinstance(x, list) or (n is not None and len(x) != n):
        raise _bad()
    if not all(type(v) is int and 0 <= v < below for v in x):
        raise _bad()
    return x


def _unflatten_kids(kids: Any, n: int) -> list[list[int]]:
    if not (isinstance(kids, list) and len(kids) == 2):
        raise _bad()
    counts = _ints(kids[0], n, n + 1)
    flat = _ints(kids[1], sum(counts), n)
    out: list[list[int]] = []
    p = 0
    for k, c in enumerate(counts):
        ch = flat[p : p + c]
        if any(j >= k for j in ch):  # operands come before their result
            raise _bad()
        out.append(ch)
        p += c
    return out


def _step_lists(steps: Any, n: int) -> tuple[list[int], list[float], list[int], list[int], list[float], list[float]]:
    if not (isinstance(steps, list) and len(steps) == 6):
        raise _bad()
    s_node = _ints(steps[0], None, n)
    s_grad = _floats(steps[1], len(s_node))
    s_count = _ints(steps[2], len(s_node), n + 2)
    total = sum(s_count)
    u_node = _ints(steps[3], total, n)
    return s_node, s_grad, s_count, u_node, _floats(steps[4], total), _floats(steps[5], total)


def _op_of(sym: str | None, arity: int) -> Op | None:
    if sym is None:
        return None
    if sym.startswith("**"):
        return BY_NAME["pow"]
    return _SYMBOLS.get(sym) if sym in _KNOWN else None


def _const_pow(sym: str) -> float | None:
    try:
        return float(sym[2:])
    except ValueError:
        return None


def _close(x: float, y: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y)) + 1e-12


def _forward(sym: str, xs: list[float], want: float) -> tuple[float, list[float]] | None:
    """The op table's result and local derivatives (one per operand of `xs`), or None if unknown."""
    try:
        if sym.startswith("**") and sym != "**":
            k = _const_pow(sym)
            if k is None or len(xs) != 1:
                return None
            r, la, _ = BY_NAME["pow"].forward(xs[0], k)
            return r, [la]
        op = _op_of(sym, len(xs))
        if op is None:
            return None
        if op.arity == 1:
            if len(xs) != 1:
                return None
            r, la = op.forward(xs[0])
            return r, [la]
        if len(xs) == 1:  # a*a: one child in the _prev set, both operands
            r, la, lb = op.forward(xs[0], xs[0])
            return r, [la + lb]
        if len(xs) != 2:
            return None
        r1, a1, b1 = op.forward(xs[0], xs[1])
        if sym in ("+", "*") or _close(r1, want):
            return r1, [a1, b1]
        r2, a2, b2 = op.forward(xs[1], xs[0])  # a set keeps no operand order: try the other
        return (r2, [b2, a2]) if _close(r2, want) else (r1, [a1, b1])
    except (OverflowError, ValueError, ZeroDivisionError):
        return None


def checks(
    data: list[float],
    grad: list[float],
    before: list[float],
    ops: list[str],
    kids: list[list[int]],
    made: dict[int, dict[int, float]],
    ids: list[str],
    labels: list[str],
    engine: str = "program",
    warnings: list[str] | None = None,
) -> tuple[list[Json], int]:
    """Disagreements between the program's numbers and gradwalk's op table, each with its likely cause.

    Data is recomputed from the program's leaf values; the grads' local derivatives are taken at
    the program's own operand values (what its `_backward` closures read). With gradwalk's own
    engine (known right), a disagreement in data can only mean the leaves changed after the
    forward pass (a training step's update): a warning says so and there are no checks.
    Returns the disagreements and how many results were checked (0: none could be).
    """
    n = len(data)
    if n == 0:
        return [], 0
    ref = list(data)
    local_ok = [True] * n
    known = [True] * n
    locals_: list[list[float] | None] = [None] * n
    out: list[Json] = []

    def name(k: int) -> str:  # what the page shows on the node: its label, else its op and id
        return labels[k] if labels[k] else f"the {ops[k]!r} result {ids[k]}" if ops[k] else ids[k]

    for k in range(n):
        if not kids[k]:
            continue
        f = _forward(ops[k], [ref[j] for j in kids[k]], data[k])
        if f is None:
            known[k] = False
            continue
        ref[k] = f[0]
        own = _forward(ops[k], [data[j] for j in kids[k]], data[k])
        locals_[k] = own[1] if own is not None else f[1]
        local_ok[k] = own is not None and _close(own[0], data[k])
        if not _close(data[k], ref[k]):
            why = (
                f"its {ops[k]!r} forward rule gives a different result from its operands (or they changed after"
                " it was computed, as an update like p.data += ... after the forward pass does)"
                if not local_ok[k]
                else "it follows from a wrong value upstream"
            )
            out.append(
                {
                    "node": ids[k],
                    "field": "data",
                    "program": _fin(data[k]),
                    "reference": _fin(ref[k]),
                    "msg": f"{name(k)}: data {data[k]!r}, the op table gives {ref[k]!r}: {why}",
                }
            )
    # Stale, not wrong: every result that disagrees with its own operands has a leaf operand, as after
    # a training step's `p.data += -lr * p.grad` (a wrong forward rule shows at inner nodes too).
    drifted = [k for k in range(n) if kids[k] and known[k] and not local_ok[k]]
    stale = bool(drifted) and all(any(not kids[j] for j in kids[k]) for k in drifted)
    if out and (engine == "gradwalk" or stale):
        if warnings is not None:
            warnings.append(
                f"{len(out)} results are stale: the graph's leaves changed after its forward pass (an update"
                " such as p.data += -lr * p.grad after computing the output); the grads are from the stored"
                " results, and no checks are made"
            )
        return [], 0
    # reference grads: chain rule with the local derivatives at the program's operand values
    rg = [0.0] * n
    rg[n - 1] = 1.0
    gknown = [True] * n
    parents: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        for j in kids[k]:
            if k not in parents[j]:
                parents[j].append(k)
    for k in range(n - 1, -1, -1):
        if not kids[k]:
            continue
        lk = locals_[k]
        if lk is None or not gknown[k]:
            for j in kids[k]:
                gknown[j] = False
            continue
        for j, loc in zip(kids[k], lk):
            rg[j] += loc * rg[k]
    for j in range(n - 1):
        if not gknown[j] or _close(grad[j], rg[j]):
            continue
        out.append(
            {
                "node": ids[j],
                "field": "grad",
                "program": _fin(grad[j]),
                "reference": _fin(rg[j]),
                "msg": _grad_cause(j, grad, rg, kids, parents, locals_, made, ops, name),
            }
        )
    # the grads the program itself left: k backward passes without zeroing in between?
    if not out and _close(before[n - 1], 1.0) and all(gknown):
        k, leaves_only = _passes(before, rg, kids, locals_)
        why = (
            f"the leaves kept their grads over {k} backward passes (a new graph each time, as in a training"
            " loop): zero the grads before each backward, as zero_grad() does"
            if leaves_only
            else f"backward was run {k} times without zeroing the grads in between"
        )
        if k > 1:
            for j in range(n - 1):
                if not _close(before[j], rg[j]):
                    out.append(
                        {"node": ids[j], "field": "grad", "program": _fin(before[j]), "reference": _fin(rg[j]),
                         "msg": f"{name(j)}: the grad the program left is {before[j]!r}, one backward pass gives"
                         f" {rg[j]!r}: {why} (the response's grads are one fresh pass)"}
                    )  # fmt: skip
    return out, sum(1 for k in range(n) if kids[k] and known[k])


def _passes(
    before: list[float], rg: list[float], kids: list[list[int]], locals_: list[list[float] | None]
) -> tuple[int, bool]:
    """(k, leaves_only) with k in 2..5 when `before` is what k backward passes without zeroing give, else (0, _).

    Two ways to get there: k passes over this same graph (interior grads accumulate too, so they
    compound), or k graphs built on the same leaves, as a training loop without zero_grad() does
    (only the leaves accumulate: each is k times its one-pass grad, PyTorch's behaviour too).
    """
    n = len(before)
    if all(_close(b, r) for b, r in zip(before, rg)):
        return 0, False
    g = [0.0] * n
    for k in range(1, 6):
        g[n - 1] = 1.0
        for i in range(n - 1, -1, -1):
            lk = locals_[i]
            if lk is not None:
                for j, loc in zip(kids[i], lk):
                    g[j] += loc * g[i]
        if k > 1 and all(_close(a, b) for a, b in zip(g, before)):
            return k, False
    for k in range(2, 6):  # a leaf made inside the loop (a constant) is new each time: one pass
        if all(_close(b, r) or (not kids[j] and _close(b, k * r)) for j, (b, r) in enumerate(zip(before, rg))):
            return k, True
    return 0, False


def _grad_cause(
    j: int,
    grad: list[float],
    rg: list[float],
    kids: list[list[int]],
    parents: list[list[int]],
    locals_: list[list[float] | None],
    made: dict[int, dict[int, float]],
    ops: list[str],
    name: Any,
) -> str:
    head = f"{name(j)}: grad {grad[j]!r}, the chain rule gives {rg[j]!r}: "
    expected: list[tuple[int, float]] = []
    for p in parents[j]:
        lp = locals_[p]
        if lp is None:
            continue
        loc = sum(lv for c, lv in zip(kids[p], lp) if c == j)
        expected.append((p, loc * grad[p]))
    for p, e in expected:
        if e != 0 and not made.get(p):
            return head + (
                f"the `_backward` of {name(p)} ({ops[p]!r}) was never attached: calling it changed no grad"
                " (is `out._backward = _backward` inside `_backward`, or missing?)"
            )
    uses = sum(kids[p].count(j) for p in parents[j])
    twice = len(expected) >= 2 or any(
        len(kids[p]) == 1 and len(locals_[p] or []) == 1 and ops[p] in "+*-/" for p, _ in expected
    )
    if twice or uses >= 2:
        for _p, e in expected:
            if _close(grad[j], e) or (len(expected) == 1 and _close(grad[j], e / 2)):
                return head + (
                    "`=` where `+=` accumulates: the node is used more than once and keeps only one contribution"
                )
    for p, e in expected:
        got = made.get(p, {}).get(j)
        if got is not None and not _close(got, e):
            return head + (
                f"a wrong local derivative in the `_backward` of {name(p)} ({ops[p]!r}): it passed {got!r},"
                f" the op table's rule gives {e!r}"
            )
    return head + "a `_backward` upstream passed a wrong gradient"
