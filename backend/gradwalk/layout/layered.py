"""Our own left-to-right layered layout, for graphs too big or too slow for Graphviz dot.

Sugiyama-style, linear in nodes + edges (plus a sort per layer), fully iterative.
It works on units: a value (or group) box with the op node that produces it glued
to its left in the same rank, as draw_dot shows them; half the boxes, same picture.

1. ranks: topological order (Kahn; if the drawing has a cycle, the lowest stalled
   node is forced, so its remaining in-edges become back edges), then longest path
   from the sources; a source is then pulled right next to its first consumer, so
   an MLP weight or a late constant does not sit far left with a long edge.
2. order within a rank: barycenter sweeps (down, up, down; one above BIG units) on normalised
   positions, so edges that skip ranks count too. No dummy nodes: a value used by
   thousands of later ops would otherwise add millions of them.
3. coordinates: x by rank (an op column and a value column, each as wide as its
   widest box, RANK_SEP apart); y in three passes (two above BIG units) that move
   each node toward the mean y of its neighbours while keeping the rank's order
   and NODE_SEP between boxes (the mean of a push-down and a push-up placement,
   which keeps both properties).
4. edges: a straight segment from the side of the source box facing the target
   to the facing side of the target box.

Coordinates are px, origin top-left, y down; (x, y) is a box's center.
"""

from __future__ import annotations

from ..progress import tick
from .views import Drawing

RANK_SEP = 20.0  # tighter than dot's default 36 (0.5 in): the text, not the gaps, gets the screen
# Between two layers of a collapsed view run every pair's edges (16 x 16 in micrograd's demo): at
# RANK_SEP they merge into one grey bar; this gap fans them out.
GROUP_RANK_SEP = 90.0


def rank_sep(d: Drawing) -> float:
    """The gap between ranks: wider in a collapsed (neuron or layer) view."""
    return GROUP_RANK_SEP if "group" in d.kinds else RANK_SEP
NODE_SEP = 16.0
MARGIN = 8.0
SWEEPS = 3  # barycenter sweeps (down, up, down)
BIG = 20_000  # units; above this, 1 sweep and 2 coordinate passes keep 50,000-node graphs near 1 s


class Placement:
    """Positions of one drawing: centers, the view size and one polyline per edge."""

    __slots__ = ("height", "points", "width", "x", "y")

    def __init__(self, x: list[float], y: list[float], width: float, height: float, points: list[list[list[float]]]):
        self.x, self.y, self.width, self.height, self.points = x, y, width, height, points


def _topological(n: int, succ: list[list[int]], indeg: list[int]) -> list[int]:
    indeg = indeg[:]
    order: list[int] = []
    ready = [v for v in range(n) if indeg[v] == 0]
    ready.reverse()  # pop() then yields the lowest index first
    done = bytearray(n)
    forced = 0  # lowest index not yet placed, for breaking cycles
    while len(order) < n:
        if not ready:
            while done[forced]:
                forced += 1
            ready.append(forced)
        v = ready.pop()
        if done[v]:
            continue
        done[v] = 1
        order.append(v)
        for t in succ[v]:
            indeg[t] -= 1
            if indeg[t] == 0 and not done[t]:
                ready.append(t)
    return order


def layered_layout(d: Drawing) -> Placement:
    n = len(d)
    widths, heights, op_of = d.widths, d.heights, d.op_of
    gap = rank_sep(d)
    # Units: every value or group box, with the op node that produces it (draw_dot's
    # small circle) glued to its left in the same rank. Half the boxes, same picture.
    unit_of = list(range(n))
    for o, v in op_of.items():
        unit_of[o] = v
    units = [i for i in range(n) if i not in op_of]
    k = len(units)
    uix = [-1] * n
    for u, i in enumerate(units):
        uix[i] = u
    head = [-1] * k  # op node of each unit, -1 for leaves and groups
    for o, v in op_of.items():
        head[uix[v]] = o

    succ: list[list[int]] = [[] for _ in range(k)]
    pred: list[list[int]] = [[] for _ in range(k)]
    indeg = [0] * k
    for s, t in d.edges[len(op_of) :]:
        a, b = uix[unit_of[s]], uix[unit_of[t]]
        if a != b:
            succ[a].append(b)
            pred[b].append(a)
            indeg[b] += 1

    topo = _topological(k, succ, indeg)
    tpos = [0] * k
    for i, v in enumerate(topo):
        tpos[v] = i

    # 1. ranks: longest path over forward edges, then sources move next to their consumers
    rank = [0] * k
    for v in topo:
        rv = rank[v] + 1
        tv = tpos[v]
        for t in succ[v]:
            if rank[t] < rv and tpos[t] > tv:
                rank[t] = rv
    for v in topo:
        if not pred[v] and succ[v]:
            r = min([rank[t] for t in succ[v]]) - 1
            rank[v] = r if r > 0 else 0
    nranks = max(rank, default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(nranks)]
    for v in topo:
        layers[rank[v]].append(v)
    wide = [layer for layer in layers if len(layer) > 1]

    # 2. order: barycenter sweeps on positions normalised to [0, 1) within each rank
    npos = [0.5] * k
    for layer in wide:
        size = len(layer)
        for i, v in enumerate(layer):
            npos[v] = (i + 0.5) / size
    big = k > BIG
    for sweep in range(1 if big else SWEEPS):
        tick()  # the request's deadline (gradwalk.progress)
        down = sweep % 2 == 0
        nbrs = pred if down else succ
        for layer in wide if down else wide[::-1]:
            bary: dict[int, float] = {}
            for v in layer:
                ns = nbrs[v]
                if ns:
                    acc = 0.0
                    for u in ns:
                        acc += npos[u]
                    bary[v] = acc / len(ns)
                else:
                    bary[v] = npos[v]
            layer.sort(key=bary.__getitem__)
            size = len(layer)
            for i, v in enumerate(layer):
                npos[v] = (i + 0.5) / size

    # 3. coordinates: per rank an op column then a value column; y pulled toward neighbours
    uh = [heights[i] for i in units]
    for u in range(k):
        if head[u] >= 0 and heights[head[u]] > uh[u]:
            uh[u] = heights[head[u]]
    x = [0.0] * n
    left = MARGIN
    for layer in layers:
        opw = valw = 0.0
        for u in layer:
            w = widths[units[u]]
            if w > valw:
                valw = w
            o = head[u]
            if o >= 0 and widths[o] > opw:
                opw = widths[o]
        vx = left + (opw + gap if opw else 0.0) + valw / 2
        ox = left + opw / 2
        for u in layer:
            x[units[u]] = vx
            if head[u] >= 0:
                x[head[u]] = ox
        left = vx + valw / 2 + gap
    uy = [0.0] * k
    for layer in wide:
        top = 0.0
        for u in layer:
            uy[u] = top + uh[u] / 2
            top += uh[u] + NODE_SEP
        shift = top / 2  # center each rank on y = 0 to start with
        for u in layer:
            uy[u] -= shift
    passes = ((pred, layers), (succ, layers[::-1]), (pred, layers))
    for nbrs, seq in passes[: 2 if big else 3]:
        for layer in seq:
            want: list[float] = []
            for u in layer:
                ns = nbrs[u]
                if ns:
                    acc = 0.0
                    for w in ns:
                        acc += uy[w]
                    want.append(acc / len(ns))
                else:
                    want.append(uy[u])
            _place(layer, want, uh, uy)

    top = min([uy[u] - uh[u] / 2 for u in range(k)], default=0.0)
    dy = MARGIN - top
    y = [0.0] * n
    bottom = 0.0
    for u in range(k):
        yu = round(uy[u] + dy, 1)  # x and sizes are multiples of 0.5 px already
        y[units[u]] = yu
        if head[u] >= 0:
            y[head[u]] = yu
        lower = yu + uh[u] / 2
        if lower > bottom:
            bottom = lower

    # 4. edges: from the facing side of the source box to the facing side of the target box
    points: list[list[list[float]]] = []
    for s, t in d.edges:
        xs, xt = x[s], x[t]
        if xt >= xs:
            points.append([[xs + widths[s] / 2, y[s]], [xt - widths[t] / 2, y[t]]])
        else:  # back edge of a cycle
            points.append([[xs - widths[s] / 2, y[s]], [xt + widths[t] / 2, y[t]]])
    width = max(left - gap + MARGIN, 2 * MARGIN)
    return Placement(x, y, width, max(bottom + MARGIN, 2 * MARGIN), points)


def _place(layer: list[int], want: list[float], heights: list[float], y: list[float]) -> None:
    """Place a rank's boxes as close to `want` as their order and NODE_SEP allow."""
    k = len(layer)
    if k == 0:
        return
    down = want[:]
    for i in range(1, k):
        lo = down[i - 1] + (heights[layer[i - 1]] + heights[layer[i]]) / 2 + NODE_SEP
        if down[i] < lo:
            down[i] = lo
    up = want[:]
    for i in range(k - 2, -1, -1):
        hi = up[i + 1] - (heights[layer[i + 1]] + heights[layer[i]]) / 2 - NODE_SEP
        if up[i] > hi:
            up[i] = hi
    # both keep the order and the gaps, so their mean does too
    for i in range(k):
        y[layer[i]] = (down[i] + up[i]) / 2
