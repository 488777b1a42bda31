"""Positions for the page: the `"layout"` object of a graph response (docs/api.md, "Graph JSON").

    compute_layout(graph, dot_max_nodes=1500, dot_timeout=10.0) -> {"engine", "views"}

Views: "full" (draw_dot's picture: a box per value, a small node per op), and for
MLP graphs (nodes carry groups) the collapsed "neuron" and "layer" views (views.py).
Engine: Graphviz dot (dot.py) when the binary is installed and all views together
have at most `dot_max_nodes` boxes (and twice that many edges); otherwise, or when
dot fails or runs out of `dot_timeout`, our own layered layout (layered.py), which
lays out a 50,000-node graph in well under a second (benchmarks/layout.py). The
"full" view is null above FULL_VIEW_MAX_BOXES drawn boxes (the page then shows a
collapsed view; an expression graph of 50,000 nodes is still drawn in full).
Results are cached by structure (cache.py).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .cache import CACHE, structure_key
from .dot import DotFailed, dot_binary, dot_layout
from .layered import Placement, layered_layout
from .views import Drawing, full_drawing, has_groups, layer_drawing, neuron_drawing

__all__ = ["CACHE", "FULL_VIEW_MAX_BOXES", "cached_layout", "compute_layout", "drawn_boxes"]

Json = dict[str, Any]

# Above this many drawn boxes (values + op nodes) the "full" view is null: beyond it the
# response and the page's DOM grow past what a browser draws usefully.
FULL_VIEW_MAX_BOXES = 120_000
# dot is used only while all views together have at most dot_max_nodes boxes and at most
# this many times as many edges (expression graphs have ~1.3 edges per box)
DOT_EDGES_PER_NODE = 2


def drawn_boxes(graph: Json) -> int:
    """Boxes of the full view: one per value plus one per operation."""
    return sum(2 if (n.get("op") is not None or n.get("role") == "op") else 1 for n in graph["nodes"])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A layout allocates ~10 small containers per box and frees none of them: the cycle
    collector would only scan them over and over (a third of the time at 50,000 nodes)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def compute_layout(graph: Json, *, dot_max_nodes: int, dot_timeout: float, cache_size: int | None = None) -> Json:
    """The layout object for a Graph JSON dict; see the module docstring. Never raises for a valid graph.

    `cache_size` (optional, e.g. the `layout_cache_size` setting) resizes the shared cache.
    Threads asking for the same structure at once share one layout (LayoutCache.get_or_claim);
    they wait for it with the collector running, and only the one laying it out pauses it.
    """
    if cache_size is not None and cache_size != CACHE.size:
        CACHE.resize(cache_size)
    binary = dot_binary()
    key = structure_key(graph, dot_max_nodes, binary is not None)
    hit, claim = CACHE.get_or_claim(key)
    if hit is not None:
        return hit
    layout = None
    try:
        with _gc_paused():
            layout, weight = _lay_out(graph, binary, dot_max_nodes, dot_timeout)
    finally:
        if claim is not None:  # (None: the thread that held it failed; this one laid it out alone)
            CACHE.finish(claim, layout, weight if layout is not None else 1)
        elif layout is not None:
            CACHE.put(key, layout, weight)
    return layout


def cached_layout(graph: Json, *, dot_max_nodes: int) -> Json | None:
    """The layout compute_layout would return, when the cache holds it; else None, and no work done."""
    return CACHE.get(structure_key(graph, dot_max_nodes, dot_binary() is not None))


def _lay_out(graph: Json, binary: str | None, dot_max_nodes: int, dot_timeout: float) -> tuple[Json, int]:
    """The layout and its weight for the cache (its drawn boxes)."""
    drawings: dict[str, Drawing | None] = {
        "full": full_drawing(graph) if drawn_boxes(graph) <= FULL_VIEW_MAX_BOXES else None
    }
    if has_groups(graph):
        drawings["neuron"] = neuron_drawing(graph)
        drawings["layer"] = layer_drawing(graph)
    total = sum(len(d) for d in drawings.values() if d is not None)
    total_edges = sum(len(d.edges) for d in drawings.values() if d is not None)

    engine = "layered"
    placed: dict[str, Placement | None] | None = None
    # dot's time grows with edges too: a neuron view of 784 inputs has 50,000 edges in 900 boxes
    if binary is not None and total <= dot_max_nodes and total_edges <= DOT_EDGES_PER_NODE * dot_max_nodes:
        deadline = time.monotonic() + dot_timeout
        try:
            placed = {
                name: (dot_layout(d, deadline - time.monotonic()) if d is not None else None)
                for name, d in drawings.items()
            }
            engine = "dot"
        except DotFailed:
            placed = None
    if placed is None:
        placed = {name: (layered_layout(d) if d is not None else None) for name, d in drawings.items()}

    views: Json = {}
    for name, d in drawings.items():
        p = placed[name]
        views[name] = None if d is None or p is None else _view(d, p)
    return {"engine": engine, "views": views}, max(total, 1)


def _view(d: Drawing, p: Placement) -> Json:
    ids, kinds, widths, heights, members = d.ids, d.kinds, d.widths, d.heights, d.members
    x, y = p.x, p.y
    nodes: list[Json] = [
        {"id": ids[i], "kind": kinds[i], "x": x[i], "y": y[i], "width": widths[i], "height": heights[i]}
        for i in range(len(ids))
    ]
    for i, m in members.items():
        nodes[i]["members"] = m
    edges = [{"source": ids[s], "target": ids[t], "points": pts} for (s, t), pts in zip(d.edges, p.points, strict=True)]
    return {"width": p.width, "height": p.height, "nodes": nodes, "edges": edges}
