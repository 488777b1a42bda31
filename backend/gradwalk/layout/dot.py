"""Layout by Graphviz dot: `dot -Tjson0`, rankdir=LR, run through subprocess with a timeout.

The `graphviz` package's `pipe()` has no timeout, so dot is run directly. Boxes are
given fixed sizes (the sizes views.py computed, in points = px), so dot's picture and
the layered fallback agree on box sizes and neither depends on the numbers shown.
Graphviz's coordinates are points with y growing upward; they are converted to px
with the origin top-left and y growing downward. Edge splines (cubic Béziers) are
sampled into polylines that start at the source box and end at the arrow tip on
the target box.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import orjson

from .layered import MARGIN, NODE_SEP, Placement, rank_sep
from .views import Drawing

BEZIER_SAMPLES = 4  # points per cubic segment


class DotFailed(Exception):
    """dot is missing, too slow or failed: the caller falls back to the layered layout."""


def dot_binary() -> str | None:
    """Path of the dot binary, resolved on each call (PATH may change, e.g. in tests)."""
    return shutil.which("dot")


def _source(d: Drawing) -> str:
    # In a collapsed view, keep each box's out-edges in creation order: dot then lists
    # neurons 1, 2, 3, 4 top to bottom instead of an order that crosses no fewer edges.
    ordering = " ordering=out," if "group" in d.kinds else ""
    lines = [
        "digraph G {",
        f"graph [rankdir=LR,{ordering} nodesep={NODE_SEP / 72:.3f}, ranksep={rank_sep(d) / 72:.3f}];",
        'node [fixedsize=true, label=""];',
    ]
    shapes = {"value": "box", "op": "ellipse", "group": "box"}
    for i in range(len(d)):
        lines.append(
            f"v{i} [shape={shapes[d.kinds[i]]}, width={d.widths[i] / 72:.4f}, height={d.heights[i] / 72:.4f}];"
        )
    lines.extend(f"v{s} -> v{t};" for s, t in d.edges)
    lines.append("}")
    return "\n".join(lines)


def _point(text: str) -> tuple[float, float]:
    a, b = text.split(",")[:2]
    return float(a), float(b)


def _spline(pos: str) -> tuple[list[tuple[float, float]], tuple[float, float] | None, tuple[float, float] | None]:
    """Parse an edge's `pos`: optional "s,x,y" and "e,x,y" then the Bézier control points."""
    start = end = None
    ctrl: list[tuple[float, float]] = []
    for tok in pos.replace("\\\n", "").split():
        if tok.startswith("s,"):
            start = _point(tok[2:])
        elif tok.startswith("e,"):
            end = _point(tok[2:])
        else:
            ctrl.append(_point(tok))
    return ctrl, start, end


def _sample(ctrl: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(ctrl) < 4:
        return ctrl
    out = [ctrl[0]]
    for k in range(0, len(ctrl) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ctrl[k : k + 4]
        for j in range(1, BEZIER_SAMPLES + 1):
            t = j / BEZIER_SAMPLES
            u = 1 - t
            a, b, c, e = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
            out.append((a * x0 + b * x1 + c * x2 + e * x3, a * y0 + b * y1 + c * y2 + e * y3))
    return out


def dot_layout(d: Drawing, timeout: float) -> Placement:
    """Lay `d` out with dot; raises DotFailed when that is not possible in `timeout` seconds."""
    binary = dot_binary()
    if binary is None:
        raise DotFailed("the Graphviz dot binary is not installed")
    if timeout <= 0:
        raise DotFailed("no time left for dot")
    try:
        proc = subprocess.run(
            [binary, "-Tjson0"], input=_source(d).encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed dot already
        raise DotFailed(f"dot took longer than {timeout:g} s") from exc
    except OSError as exc:
        raise DotFailed(f"cannot run dot: {exc}") from exc
    if proc.returncode != 0:
        raise DotFailed(f"dot failed: {proc.stderr.decode(errors='replace')[:200]}")
    try:
        out = orjson.loads(proc.stdout)
        return _placement(d, out)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise DotFailed(f"unreadable dot output: {exc}") from exc


def _placement(d: Drawing, out: dict[str, Any]) -> Placement:
    llx, lly, urx, ury = (float(v) for v in out["bb"].split(","))
    n = len(d)

    def px(p: tuple[float, float]) -> list[float]:
        return [round(p[0] - llx + MARGIN, 2), round(ury - p[1] + MARGIN, 2)]

    x = [0.0] * n
    y = [0.0] * n
    for obj in out.get("objects", []):
        i = int(obj["_gvid"])
        if i < n:
            x[i], y[i] = px(_point(obj["pos"]))
    # dot lists edges in its own order: match them to ours by (tail, head), repeats in turn
    slots: dict[tuple[int, int], list[int]] = {}
    for k in range(len(d.edges) - 1, -1, -1):
        slots.setdefault(d.edges[k], []).append(k)
    points: list[list[list[float]]] = [[] for _ in d.edges]
    for edge in out.get("edges", []):
        free = slots.get((int(edge["tail"]), int(edge["head"])))
        if not free or "pos" not in edge:
            continue
        ctrl, start, end = _spline(edge["pos"])
        path = _sample(ctrl)
        if start is not None:
            path.insert(0, start)
        if end is not None:
            path.append(end)
        points[free.pop()] = [px(p) for p in path]
    if "group" in d.kinds:
        _inputs_in_order(d, x, y, points)
    for k, (s, t) in enumerate(d.edges):
        if not points[k]:  # dot drew no spline for this edge: a straight one between the facing sides
            side = 1 if x[t] >= x[s] else -1
            points[k] = [[x[s] + side * d.widths[s] / 2, y[s]], [x[t] - side * d.widths[t] / 2, y[t]]]
    return Placement(x, y, urx - llx + 2 * MARGIN, ury - lly + 2 * MARGIN, points)


def _inputs_in_order(d: Drawing, x: list[float], y: list[float], points: list[list[list[float]]]) -> None:
    """In a collapsed view, the inputs a network reads (sources feeding neuron boxes) top to bottom in
    creation order — s0.x0, s0.x1, s1.x0, ... — whatever order dot's crossing minimisation left them in:
    their places are dealt out again in that order, and their edges redrawn straight (by the caller)."""
    indeg = [0] * len(d)
    succ: list[list[int]] = [[] for _ in range(len(d))]
    for s, t in d.edges:
        indeg[t] += 1
        succ[s].append(t)
    inputs = [
        i
        for i in range(len(d))
        if d.kinds[i] == "value"
        and not indeg[i]
        and succ[i]
        and all(d.kinds[t] == "group" and d.ids[t] != "loss" for t in succ[i])
    ]
    columns: dict[float, list[int]] = {}
    for i in inputs:
        columns.setdefault(x[i], []).append(i)
    for column in columns.values():
        places = sorted(y[i] for i in column)
        if [y[i] for i in column] == places:
            continue
        for i, place in zip(column, places):
            y[i] = place
        moved = set(column)
        for k, (s, _) in enumerate(d.edges):
            if s in moved:
                points[k] = []
