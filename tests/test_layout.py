"""Layouts (gradwalk.layout): boxes never overlap, edges start and end at their boxes,
big graphs lay out, the cache keys on structure, collapsed MLP views, and the
`layout: true` responses of /api/v1/expression and /api/v1/mlp (with and without dot)."""

from __future__ import annotations

import math
import shutil
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gradwalk import Value
from gradwalk.api.main import app
from gradwalk.api.routes.mlp import MLPRequest, mlp_graph
from gradwalk.layout import CACHE, compute_layout
from gradwalk.layout.layered import layered_layout
from gradwalk.layout.views import Drawing
from gradwalk.tape import fresh_tape
from gradwalk.trace import trace
from tests import live

from .lecture import lecture_values

Json = dict[str, Any]
client = TestClient(app)
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="the Graphviz dot binary is not installed")
TOL = 1.5  # px


# ------------------------------------------------------------------ graphs


def lecture_graph() -> Json:
    """The seeds' L = (a*b + c) * f."""
    with fresh_tape():
        return trace(lecture_values()["L"])


def shared_graph() -> Json:
    """Repeated operands (a*a), unary ops, constants, a value used far downstream, a non-finite value."""
    with fresh_tape():
        a = Value(1.5, label="a")
        x = a * a
        y = (x + 1).tanh() * a
        z = (y - a).exp() + (a / 0).relu()
        return trace((z + x**2).log())


def mixed_graph(n: int, seed: int) -> Json:
    """A deterministic pseudo-random expression of about n nodes with sharing and unary ops."""
    with fresh_tape():
        vals = [Value(float(i % 7) - 3.0, label=f"x{i}") for i in range(3)]
        state = seed
        while len(vals) < n // 2:
            state = (state * 1103515245 + 12345) % (1 << 31)
            a = vals[-1 - state % min(len(vals), 9)]
            b = vals[-1 - (state >> 8) % min(len(vals), 5)]
            r = (state >> 16) % 4
            vals.append(a + b if r == 0 else a * b if r == 1 else (a - b).tanh() if r == 2 else a * Value(0.5))
        total = vals[0]
        for v in vals[1:]:
            total = total + v
        return trace(total)


def big_sum(terms: int) -> Json:
    """sum(w_i * x_i): 4 nodes per term, a 12,500-term sum is 50,000 nodes."""
    with fresh_tape():
        total = Value(0.0, label="s")
        for i in range(terms):
            total = total + Value(0.1, label=f"w{i}") * Value(float(i), label=f"x{i}")
        return trace(total)


def small_mlp_graph(**extra: Any) -> Json:
    spec: Json = {
        "nin": 3,
        "layers": [4, 4, 1],
        "inputs": [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]],
        "targets": [1.0, -1.0, -1.0, 1.0],
        "seed": 1,
        **extra,
    }
    return mlp_graph(MLPRequest.model_validate(spec))


# ------------------------------------------------------------------ geometry checks


def boxes(view: Json) -> dict[str, tuple[float, float, float, float]]:
    """id -> (left, top, right, bottom)."""
    return {
        n["id"]: (n["x"] - n["width"] / 2, n["y"] - n["height"] / 2, n["x"] + n["width"] / 2, n["y"] + n["height"] / 2)
        for n in view["nodes"]
    }


def assert_no_overlap(view: Json) -> None:
    """No two boxes intersect (touching is fine). A grid hash keeps this linear for big views."""
    bx = boxes(view)
    assert len(bx) == len(view["nodes"]), "duplicate node ids"
    cell_w, cell_h = 400.0, 100.0
    grid: dict[tuple[int, int], list[str]] = defaultdict(list)
    for nid, (lft, t, r, b) in bx.items():
        for i in range(math.floor(lft / cell_w), math.floor(r / cell_w) + 1):
            for j in range(math.floor(t / cell_h), math.floor(b / cell_h) + 1):
                grid[(i, j)].append(nid)
    for members in grid.values():
        for k, p in enumerate(members):
            l1, t1, r1, b1 = bx[p]
            for q in members[k + 1 :]:
                l2, t2, r2, b2 = bx[q]
                overlap = min(r1, r2) - max(l1, l2) > 0.01 and min(b1, b2) - max(t1, t2) > 0.01
                assert not overlap, f"{p} {bx[p]} overlaps {q} {bx[q]}"


def on_box(point: list[float], box: tuple[float, float, float, float], border: bool) -> bool:
    x, y = point
    lft, t, r, b = box
    inside = lft - TOL <= x <= r + TOL and t - TOL <= y <= b + TOL
    if not border:
        return inside
    return inside and min(abs(x - lft), abs(x - r), abs(y - t), abs(y - b)) <= TOL


def assert_edges_attached(view: Json, engine: str) -> None:
    """Every edge starts at its source box and ends at its target box (on the border, for
    the layered layout; dot ends op-node edges on the ellipse, inside the box)."""
    bx = boxes(view)
    border = engine == "layered"
    for e in view["edges"]:
        pts = e["points"]
        assert len(pts) >= 2 and all(math.isfinite(c) for p in pts for c in p)
        assert on_box(pts[0], bx[e["source"]], border), (e["source"], pts[0], bx[e["source"]])
        assert on_box(pts[-1], bx[e["target"]], border), (e["target"], pts[-1], bx[e["target"]])
        # left to right: draw_dot's rankdir=LR
        assert pts[-1][0] > pts[0][0]


def assert_inside_view(view: Json) -> None:
    for lft, t, r, b in boxes(view).values():
        assert lft >= -TOL and t >= -TOL and r <= view["width"] + TOL and b <= view["height"] + TOL


def expected_full(graph: Json) -> tuple[set[str], list[tuple[str, str]]]:
    """draw_dot's boxes and edges for a Graph JSON."""
    ids = {n["id"] for n in graph["nodes"]}
    ids |= {f"{n['id']}:op" for n in graph["nodes"] if n["op"] is not None}
    edges = [(f"{n['id']}:op", n["id"]) for n in graph["nodes"] if n["op"] is not None]
    edges += [(e["source"], f"{e['target']}:op") for e in graph["edges"]]
    return ids, edges


ENGINES = [pytest.param("dot", marks=needs_dot), "layered"]


def layout_with(graph: Json, engine: str) -> Json:
    CACHE.clear()
    lay = compute_layout(graph, dot_max_nodes=100_000 if engine == "dot" else 0, dot_timeout=30.0)
    assert lay["engine"] == engine
    return lay


# ------------------------------------------------------------------ full view


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "make", [lecture_graph, shared_graph, lambda: mixed_graph(400, 7)], ids=["L", "shared", "mixed"]
)
def test_full_view_geometry(engine: str, make: Any) -> None:
    graph = make()
    view = layout_with(graph, engine)["views"]["full"]
    ids, edges = expected_full(graph)
    assert {n["id"] for n in view["nodes"]} == ids
    assert sorted((e["source"], e["target"]) for e in view["edges"]) == sorted(edges)
    kinds = {n["id"]: n["kind"] for n in view["nodes"]}
    assert all(kinds[i] == ("op" if i.endswith(":op") else "value") for i in ids)
    assert_no_overlap(view)
    assert_edges_attached(view, engine)
    assert_inside_view(view)


def test_boxes_fit_draw_dot_records() -> None:
    view = layout_with(lecture_graph(), "layered")["views"]["full"]
    for n in view["nodes"]:
        if n["kind"] == "value":  # room for the stacked record: label, "data -00.0000", "grad -00.0000"
            assert n["width"] >= 110 and n["height"] >= 60
        else:
            assert 30 <= n["width"] <= 100


def test_lecture_graph_flows_left_to_right() -> None:
    graph = lecture_graph()
    by_label = {n["label"]: n["id"] for n in graph["nodes"]}
    for engine in ["layered", *(["dot"] if HAS_DOT else [])]:
        x = {n["id"]: n["x"] for n in layout_with(graph, engine)["views"]["full"]["nodes"]}
        assert x[by_label["a"]] < x[by_label["e"]] < x[by_label["d"]] < x[by_label["L"]]
        assert x[by_label["e"] + ":op"] < x[by_label["e"]]


def test_50000_node_graph_lays_out() -> None:
    graph = big_sum(12_500)
    assert len(graph["nodes"]) >= 50_000
    lay = compute_layout(graph, dot_max_nodes=1_500, dot_timeout=10.0)
    assert lay["engine"] == "layered"
    view = lay["views"]["full"]
    ids, edges = expected_full(graph)
    assert len(view["nodes"]) == len(ids) and len(view["edges"]) == len(edges)
    assert_no_overlap(view)
    assert_edges_attached(view, "layered")
    assert_inside_view(view)


def test_layered_survives_cycles_and_self_loops() -> None:
    d = Drawing()
    for i in range(5):
        d.add(f"g{i}", "group", 90.0, 44.0)
    d.edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 3), (4, 4), (3, 1)]
    p = layered_layout(d)
    assert len(p.points) == len(d.edges)
    assert all(math.isfinite(c) for pts in p.points for pt in pts for c in pt)
    assert all(math.isfinite(v) for v in p.x + p.y)


def test_falls_back_to_layered_when_dot_is_missing_or_slow(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    graph = mixed_graph(200, 3)
    CACHE.clear()
    assert compute_layout(graph, dot_max_nodes=10_000, dot_timeout=1e-9)["engine"] == "layered"
    monkeypatch.setenv("PATH", str(tmp_path))
    CACHE.clear()
    lay = compute_layout(graph, dot_max_nodes=10_000, dot_timeout=30.0)
    assert lay["engine"] == "layered"
    assert_no_overlap(lay["views"]["full"])


# ------------------------------------------------------------------ cache


def with_numbers(graph: Json, k: float) -> Json:
    return {**graph, "nodes": [{**n, "data": k * i, "grad": -k} for i, n in enumerate(graph["nodes"])]}


def test_cache_hits_on_same_structure_with_new_numbers() -> None:
    graph = mixed_graph(300, 11)
    CACHE.clear()
    first = compute_layout(graph, dot_max_nodes=0, dot_timeout=1.0)
    hits = CACHE.hits
    again = compute_layout(with_numbers(graph, 3.5), dot_max_nodes=0, dot_timeout=1.0)
    assert again is first and CACHE.hits == hits + 1
    # a structural change (a label) is a new layout
    relabelled = {**graph, "nodes": [{**graph["nodes"][0], "label": "renamed"}, *graph["nodes"][1:]]}
    other = compute_layout(relabelled, dot_max_nodes=0, dot_timeout=1.0)
    assert other is not first and CACHE.hits == hits + 1


def test_threads_laying_out_the_same_structure_at_once_lay_it_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class runs the lecture example in the same second: one thread lays it out, the rest wait for it."""
    import gradwalk.layout as layout_module

    calls: list[int] = []
    real = layout_module.layered_layout

    def slow(drawing: Drawing) -> Any:
        calls.append(1)
        time.sleep(0.5)  # long enough for every thread to ask while it runs
        return real(drawing)

    monkeypatch.setattr(layout_module, "layered_layout", slow)
    graph = mixed_graph(60, 5)
    CACHE.clear()
    with ThreadPoolExecutor(8) as pool:
        layouts = list(pool.map(lambda _: compute_layout(graph, dot_max_nodes=0, dot_timeout=5.0), range(8)))
    assert len(calls) == 1 and all(x is layouts[0] for x in layouts)
    assert CACHE.misses == 1 and CACHE.hits == 7
    calls.clear()
    CACHE.clear()
    try:  # a cache of size 0 keeps nothing, and still hands the one layout to every waiter
        with ThreadPoolExecutor(8) as pool:
            sized0 = list(pool.map(lambda _: compute_layout(graph, dot_max_nodes=0, dot_timeout=5.0, cache_size=0),
                                   range(8)))  # fmt: skip
        assert len(calls) == 1 and all(x is sized0[0] for x in sized0) and len(CACHE) == 0
    finally:
        CACHE.resize(128)


def test_the_examples_are_laid_out_when_the_server_starts() -> None:
    """A class's first run of the lecture example is a cache hit, not a wait for Graphviz."""
    import threading

    from gradwalk.api.main import create_app
    from gradwalk.examples import EXAMPLES

    CACHE.clear()
    with TestClient(create_app()) as started:
        for t in threading.enumerate():
            if t.name == "warm-layouts":
                t.join(timeout=60)
        hits = CACHE.hits
        lecture = next(e for e in EXAMPLES if e.id == "lecture-L")
        r = started.post("/api/v1/expression", json={"source": lecture.source, "layout": True})
        assert r.status_code == 200 and r.json()["layout"]["views"]["full"]
        assert CACHE.hits == hits + 1


def test_cache_is_bounded() -> None:
    CACHE.clear()
    try:
        for i in range(5):
            compute_layout(mixed_graph(40, i), dot_max_nodes=0, dot_timeout=1.0, cache_size=3)
        assert len(CACHE) == 3
    finally:
        CACHE.resize(128)


# ------------------------------------------------------------------ collapsed MLP views


def check_collapsed(graph: Json, view: Json, engine: str) -> None:
    assert_no_overlap(view)
    assert_edges_attached(view, engine)
    pairs = [(e["source"], e["target"]) for e in view["edges"]]
    assert len(pairs) == len(set(pairs)), "collapsed edges are deduplicated"
    assert all(s != t for s, t in pairs)
    covered = [m for n in view["nodes"] if n["kind"] == "group" for m in n["members"]]
    kept = [n["id"] for n in view["nodes"] if n["kind"] == "value"]
    assert len(covered) == len(set(covered))
    assert sorted(covered + kept) == sorted(n["id"] for n in graph["nodes"])


@pytest.mark.parametrize("engine", ENGINES)
def test_neuron_and_layer_views(engine: str) -> None:
    graph = small_mlp_graph()
    lay = layout_with(graph, engine)
    neuron, layer = lay["views"]["neuron"], lay["views"]["layer"]
    groups = {n["id"] for n in neuron["nodes"] if n["kind"] == "group"}
    assert groups == {f"layer1/neuron{j}" for j in (1, 2, 3, 4)} | {f"layer2/neuron{j}" for j in (1, 2, 3, 4)} | {
        "layer3/neuron1",
        "loss",
    }
    group_of = {n["id"]: n["group"] for n in graph["nodes"]}
    kept = [n["id"] for n in neuron["nodes"] if n["kind"] == "value"]
    assert {group_of[i] for i in kept} == {"input"}
    check_collapsed(graph, neuron, engine)
    assert {n["id"] for n in layer["nodes"]} == {"input", "layer1", "layer2", "layer3", "loss"}
    assert {(e["source"], e["target"]) for e in layer["edges"]} == {
        ("input", "layer1"),
        ("layer1", "layer2"),
        ("layer2", "layer3"),
        ("layer3", "loss"),
    }
    check_collapsed(graph, layer, engine)
    x = {n["id"]: n["x"] for n in layer["nodes"]}
    assert x["input"] < x["layer1"] < x["layer2"] < x["layer3"] < x["loss"]


def test_expression_graphs_have_no_collapsed_views() -> None:
    assert set(layout_with(lecture_graph(), "layered")["views"]) == {"full"}


def test_784_64_10_layer_view_is_small() -> None:
    pixels = [((i * 37) % 255) / 255 for i in range(784)]
    graph = mlp_graph(
        MLPRequest.model_validate(
            {
                "nin": 784,
                "layers": [64, 10],
                "inputs": [pixels],
                "targets": [[float(k == 3) for k in range(10)]],
                "seed": 0,
            }
        )
    )
    assert len(graph["nodes"]) > 100_000
    lay = compute_layout(graph, dot_max_nodes=1_500, dot_timeout=10.0)
    assert lay["views"]["full"] is None  # above the drawable limit: the page uses the collapsed views
    layer, neuron = lay["views"]["layer"], lay["views"]["neuron"]
    assert len(layer["nodes"]) < 100
    assert {n["id"] for n in layer["nodes"]} >= {"input", "layer1", "layer2"}
    assert sum(n["kind"] == "group" and "/neuron" in n["id"] for n in neuron["nodes"]) == 74
    check_collapsed(graph, layer, lay["engine"])
    check_collapsed(graph, neuron, lay["engine"])


# ------------------------------------------------------------------ through the API

LECTURE = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"
MLP_SPEC: Json = {
    "nin": 2,
    "layers": [3, 1],
    "inputs": [[1.0, 2.0], [-1.0, 0.5]],
    "targets": [1.0, -1.0],
    "steps": 2,
    "seed": 3,
}


def test_expression_route_layout() -> None:
    r = client.post("/api/v1/expression", json={"source": LECTURE, "layout": True})
    assert r.status_code == 200, r.text
    g = r.json()
    lay = g["layout"]
    assert lay["engine"] == ("dot" if HAS_DOT else "layered")
    view = lay["views"]["full"]
    ids, _ = expected_full(g)
    assert {n["id"] for n in view["nodes"]} == ids
    assert_no_overlap(view)
    assert_edges_attached(view, lay["engine"])
    assert "layout" not in client.post("/api/v1/expression", json={"source": LECTURE}).json()


def test_mlp_route_layout_has_collapsed_views() -> None:
    r = client.post("/api/v1/mlp", json={**MLP_SPEC, "layout": True})
    assert r.status_code == 200, r.text
    g = r.json()
    views = g["layout"]["views"]
    assert set(views) == {"full", "neuron", "layer"}
    check_collapsed(g, views["layer"], g["layout"]["engine"])
    assert {n["id"] for n in views["layer"]["nodes"]} == {"input", "layer1", "layer2", "loss"}


def test_routes_serve_layouts_without_dot(tmp_path: Any) -> None:
    # layouts are computed in the server's worker processes: a server without Graphviz on its PATH
    with live.serving({"PATH": str(tmp_path)}) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        r = http.post("/api/v1/expression", json={"source": LECTURE, "layout": True})
        assert r.status_code == 200 and r.json()["layout"]["engine"] == "layered"
        r = http.post("/api/v1/mlp", json={**MLP_SPEC, "layout": True})
        assert r.status_code == 200 and r.json()["layout"]["engine"] == "layered"


@pytest.mark.parametrize("engine", ENGINES)
def test_single_node_graph(engine: str) -> None:
    with fresh_tape():
        graph = trace(Value(3.0, label="x"))
    view = layout_with(graph, engine)["views"]["full"]
    assert [n["id"] for n in view["nodes"]] == [graph["output"]] and view["edges"] == []
    assert_inside_view(view)


def test_neuron_view_collapses_inputs_for_big_datasets() -> None:
    inputs = [[(i % 17) / 17, (i % 5) / 5] for i in range(1_200)]
    graph = mlp_graph(
        MLPRequest.model_validate(
            {"nin": 2, "layers": [3, 1], "inputs": inputs, "targets": [float(i % 2) for i in range(1_200)], "seed": 2}
        )
    )
    lay = compute_layout(graph, dot_max_nodes=1_500, dot_timeout=10.0)
    neuron = lay["views"]["neuron"]
    assert {n["id"] for n in neuron["nodes"]} == {"input", "loss", "layer1/neuron1", "layer1/neuron2"} | {
        "layer1/neuron3",
        "layer2/neuron1",
    }
    check_collapsed(graph, neuron, lay["engine"])
