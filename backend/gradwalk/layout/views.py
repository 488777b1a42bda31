"""What gets drawn: the "full" view (draw_dot's picture) and the collapsed MLP views.

A `Drawing` is the engine-neutral input of both layout engines (dot.py, layered.py):
boxes with ids, kinds and sizes, and directed edges between them by index.

- full: one box per Graph JSON value node (id "n4") plus, for every op value, the
  small op node draw_dot adds (id "n4:op"). Edges as in draw_dot: operand ->
  op node of the result (one per operand, so `a*a` gives two), op node -> value.
- neuron: every node whose `group` is "layer{i}/neuron{j}" collapses into one
  "group" box with that id, and the loss computation into one "loss" box; inputs and
  ungrouped nodes are drawn as in the full view. When more than NEURON_KEEP_MAX
  nodes would be kept individually (big datasets), the inputs collapse into one
  "input" box too.
- layer: every grouped node collapses into its layer ("layer1/neuron3" -> "layer1");
  "input" and "loss" are one box each, so the view stays small for any network
  (784-64-10: 4 boxes).

Collapsed edges are aggregated: one edge per (source box, target box) pair, in
first-seen order, none inside a box. Every loop is linear and iterative.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

# Box sizes in px. A value box is draw_dot's record stacked in three rows (label, data, grad)
# in a 16 px monospace font (~9.6 px a character): a one-line record is ~3x as wide, and
# five of those do not fit a 1024 px screen at a readable size (issue 13: value text >= 12 px
# on screen at 1024x700 with the lecture's neuron whole). A number row holds "data" in a
# 0.7 em caption and "-00.0000"; sizes never depend on the numbers, so a layout stays valid
# when they change.
CHAR_W = 9.6
VALUE_H = 64.0
NUMBER_CHARS = 11.5
LABEL_MAX_CHARS = 40
OP_H, OP_MIN_W = 34.0, 34.0
GROUP_CHAR_W = 7.0
# A group box holds its name and a number line ("out -0.1234  grad 0.0567", or a layer's
# "272 params · mean |grad| 1.23e-04"), which the page fills in.
GROUP_H, GROUP_MIN_W = 48.0, 230.0

# Individually drawn nodes in the neuron view before the inputs collapse into one box:
# the lecture's 4 samples x 3 inputs stay visible, 100 samples of moons would be a wall.
NEURON_KEEP_MAX = 64


@dataclass
class Drawing:
    """Boxes (parallel lists) and edges (pairs of box indices) of one view."""

    ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)
    members: dict[int, list[str]] = field(default_factory=dict)
    # op node index -> index of the value it produces; the first len(op_of) edges are
    # exactly these op -> value edges, and they are the value's only in-edge
    op_of: dict[int, int] = field(default_factory=dict)

    def add(self, id_: str, kind: str, width: float, height: float) -> int:
        self.ids.append(id_)
        self.kinds.append(kind)
        self.widths.append(width)
        self.heights.append(height)
        return len(self.ids) - 1

    def __len__(self) -> int:
        return len(self.ids)


def value_width(label: str) -> float:
    return max(NUMBER_CHARS, min(len(label), LABEL_MAX_CHARS)) * CHAR_W + 12


def op_width(symbol: str) -> float:
    return max(OP_MIN_W, len(symbol) * 9.0 + 14)


def group_width(name: str) -> float:
    return max(GROUP_MIN_W, len(name) * GROUP_CHAR_W + 24)


def _is_op(node: Json) -> bool:
    return node.get("op") is not None or node.get("role") == "op"


def _symbol(node: Json) -> str:
    return str(node.get("symbol") or node.get("op") or "")


def full_drawing(graph: Json) -> Drawing:
    """draw_dot's picture: a box per value, a small node per operation (the hot path, inlined)."""
    d = Drawing()
    ids, kinds, widths, heights, op_of = d.ids, d.kinds, d.widths, d.heights, d.op_of
    src_of: dict[str, int] = {}
    dst_of: dict[str, int] = {}
    own_edges: list[tuple[int, int]] = []
    value_w: dict[str, float] = {}
    op_w: dict[str, float] = {}
    for node in graph["nodes"]:
        nid = node["id"]
        label = node.get("label") or ""
        w = value_w.get(label)
        if w is None:
            w = value_w[label] = value_width(str(label))
        v = len(ids)
        ids.append(nid)
        kinds.append("value")
        widths.append(w)
        heights.append(VALUE_H)
        src_of[nid] = v
        if node.get("op") is not None or node.get("role") == "op":
            sym = _symbol(node)
            ow = op_w.get(sym)
            if ow is None:
                ow = op_w[sym] = op_width(sym)
            o = v + 1
            ids.append(f"{nid}:op")
            kinds.append("op")
            widths.append(ow)
            heights.append(OP_H)
            own_edges.append((o, v))
            op_of[o] = v
            dst_of[nid] = o
        else:
            dst_of[nid] = v
    own_edges.extend([(src_of[e["source"]], dst_of[e["target"]]) for e in graph["edges"]])
    d.edges = own_edges
    return d


def neuron_drawing(graph: Json) -> Drawing:
    nodes = graph["nodes"]
    kept = sum(1 for n in nodes if n.get("group") in (None, "input"))
    collapse_inputs = kept > NEURON_KEEP_MAX

    def key(node: Json) -> str | None:
        g = node.get("group")
        if g is None:
            return None
        if g == "input":
            return g if collapse_inputs else None
        return str(g)  # a neuron, or the loss: its chain is the "every node" view's detail

    return _collapsed(graph, key)


def layer_drawing(graph: Json) -> Drawing:
    def key(node: Json) -> str | None:
        g = node.get("group")
        return None if g is None else str(g).split("/", 1)[0]

    return _collapsed(graph, key)


def has_groups(graph: Json) -> bool:
    """MLP graphs carry groups; collapsed views are built only for them."""
    return any(n.get("group") is not None for n in graph["nodes"])


def _collapsed(graph: Json, key: Callable[[Json], str | None]) -> Drawing:
    """Draw nodes whose key is None as draw_dot does; the rest as one box per key."""
    d = Drawing()
    src_of: dict[str, int] = {}  # graph node id -> box an edge leaving it starts at
    dst_of: dict[str, int] = {}  # graph node id -> box an edge entering it ends at
    groups: dict[str, int] = {}
    own_edges: list[tuple[int, int]] = []  # op node -> value, for nodes drawn individually
    for node in graph["nodes"]:
        nid = str(node["id"])
        k = key(node)
        if k is None:
            v = d.add(nid, "value", value_width(str(node.get("label") or "")), VALUE_H)
            src_of[nid] = v
            if _is_op(node):
                sym = _symbol(node)
                o = d.add(f"{nid}:op", "op", op_width(sym), OP_H)
                own_edges.append((o, v))
                d.op_of[o] = v
                dst_of[nid] = o
            else:
                dst_of[nid] = v
        else:
            g = groups.get(k)
            if g is None:
                g = groups[k] = d.add(k, "group", group_width(k), GROUP_H)
                d.members[g] = []
            d.members[g].append(nid)
            src_of[nid] = dst_of[nid] = g

    edges: list[tuple[int, int]] = []
    collapse = bool(groups)
    seen: set[tuple[int, int]] = set()
    for e in graph["edges"]:
        pair = (src_of[str(e["source"])], dst_of[str(e["target"])])
        if collapse:
            # aggregated views: no edge inside a box, one edge per pair of boxes
            if pair[0] == pair[1] or pair in seen:
                continue
            seen.add(pair)
        edges.append(pair)
    # the full view keeps draw_dot's order per result: operands -> op node, then op node -> value
    d.edges = own_edges + edges
    return d
