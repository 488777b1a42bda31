"""Graphviz export (gradwalk.export and /api/v1/export/...): draw_dot's records, DOT that
renders, SVG holding every label and value at 4 decimals, GET links, and the 503 path."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import graphviz
import httpx
import pytest
from fastapi.testclient import TestClient

from gradwalk import Value, pipeline, standalone
from gradwalk.api.main import app
from gradwalk.api.routes.mlp import MLPRequest
from gradwalk.api.settings import get_settings
from gradwalk.export import GraphvizUnavailable, draw_dot, escape_record, render, to_dot
from gradwalk.limits import LimitError
from gradwalk.tape import fresh_tape
from gradwalk.trace import trace
from tests import live

from .lecture import lecture_values

Json = dict[str, Any]
client = TestClient(app)
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz dot binary is not installed")

LECTURE = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"
# draw_dot's figure of L = (a*b + c) * f in seed 001, after L.backward(): label -> (data, grad)
SEED_RECORDS = {
    "a": ("2.0000", "6.0000"),
    "b": ("-3.0000", "-4.0000"),
    "c": ("10.0000", "-2.0000"),
    "e": ("-6.0000", "-2.0000"),
    "d": ("4.0000", "-2.0000"),
    "f": ("-2.0000", "4.0000"),
    "L": ("-8.0000", "1.0000"),
}
MLP_SPEC: Json = {"nin": 2, "layers": [2, 1], "inputs": [[1.0, 2.0], [0.5, -1.0]], "targets": [1.0, -1.0], "seed": 4}


def lecture_root() -> Value:
    return lecture_values()["L"]


def svg_texts(svg: str) -> list[str]:
    return [html.unescape(t).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def svg_records(svg: str) -> dict[str, tuple[str, str]]:
    """label -> (data, grad) from the rendered record nodes: each is three consecutive texts."""
    texts = svg_texts(svg)
    out = {}
    for i in range(len(texts) - 2):
        if texts[i + 1].startswith("data ") and texts[i + 2].startswith("grad "):
            out[texts[i]] = (texts[i + 1][5:], texts[i + 2][5:])
    return out


def dot_svg(source: str) -> str:
    """Render with the dot binary itself (`dot -Tsvg`), independently of gradwalk.export.render."""
    proc = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


# ------------------------------------------------------------------ to_dot / render


def test_dot_source_is_draw_dots() -> None:
    with fresh_tape():
        graph = trace(lecture_root())
    src = to_dot(graph)
    assert src.startswith("digraph {") and "rankdir=LR" in src
    records = re.findall(r'label="\{ (\S*) \| data (\S+) \| grad (\S+) \}", shape=record', src)
    assert {lab: (d, g) for lab, d, g in records} == SEED_RECORDS
    ops = re.findall(r'"(n\d+)_op" \[label="([^"]+)"\]', src)
    assert sorted(sym for _, sym in ops) == ["*", "*", "+"]
    # operand -> op node -> value: 3 op edges + 6 operand edges
    assert len(re.findall(r"->", src)) == 9


@needs_dot
def test_seed_L_export_shows_draw_dots_records() -> None:
    r = client.post("/api/v1/export/expression?format=svg", json={"source": LECTURE})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    svg = r.text
    assert svg_records(svg) == SEED_RECORDS
    texts = svg_texts(svg)
    assert sorted(t for t in texts if t in ("*", "+")) == ["*", "*", "+"]


@needs_dot
@pytest.mark.parametrize(
    "build",
    [
        lambda: lecture_root(),
        lambda: ((Value(0.5, label="x") * 2).exp() - 1) / ((Value(0.5, label="y") * 2).exp() + 1),
        lambda: (Value(0.0, label="z").log() + Value(1.0, label="w") / 0) * Value(3.25, label="k"),
        lambda: Value(1.0, label='odd {label} | <port> "q" \\ end').tanh() ** 2,
    ],
    ids=["lecture", "tanh-by-hand", "non-finite", "special-chars"],
)
def test_svg_contains_every_label_and_value(build: Any) -> None:
    with fresh_tape():
        graph = trace(build())
    src = to_dot(graph)
    svg = dot_svg(src)
    assert render(src, "svg", 30.0).decode() == svg  # render() is dot -Tsvg with a timeout
    texts = svg_texts(svg)
    records = svg_records(svg)
    for node in graph["nodes"]:
        data, grad = (float(node[k]) if isinstance(node[k], str) else node[k] for k in ("data", "grad"))
        assert f"data {data:.4f}" in texts and f"grad {grad:.4f}" in texts, node
        if node["label"]:
            assert records[node["label"]] == (f"{data:.4f}", f"{grad:.4f}")
        if node["op"] is not None:
            assert node["symbol"] in texts


def test_non_finite_numbers_print_as_nan_and_inf() -> None:
    with fresh_tape():
        z = Value(0.0, label="z")
        src = to_dot(trace(z.log() * 0))
    assert "data -inf" in src and "data nan" in src


def test_record_labels_are_escaped() -> None:
    assert escape_record('a{b}|<c>"d"\\e') == 'a\\{b\\}\\|\\<c\\>\\"d\\"\\\\e'
    with fresh_tape():
        v = Value(1.0, label='x"}\n{y')
        src = to_dot(trace(v * 2))
    assert 'label="{ x\\"\\} \\{y | data' in src


@needs_dot
def test_png_render() -> None:
    with fresh_tape():
        png = render(to_dot(trace(lecture_root())), "png", 30.0)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_render_without_dot_raises(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizUnavailable, match="install Graphviz"):
        render("digraph { a -> b }", "svg", 5.0)


# ------------------------------------------------------------------ draw_dot (Python API)


def test_draw_dot_is_a_digraph_like_micrographs() -> None:
    with fresh_tape():
        L = lecture_root()
        before = draw_dot(L)
        L.backward()
        after = draw_dot(L)
    assert isinstance(after, graphviz.Digraph)
    assert "rankdir=LR" in after.source
    got = re.findall(r'label="\{ (\S*) \| data (\S+) \| grad (\S+) \}" shape=record', after.source)
    assert {lab: (d, g) for lab, d, g in got} == SEED_RECORDS
    # before backward every grad is 0, as micrograd shows it
    assert set(re.findall(r"grad (\S+) \}", before.source)) == {"0.0000"}


@needs_dot
def test_draw_dot_renders_inline_in_jupyter() -> None:
    with fresh_tape():
        L = lecture_root()
        L.backward()
        bundle = draw_dot(L)._repr_mimebundle_()
    assert svg_records(bundle["image/svg+xml"]) == SEED_RECORDS


def test_package_exports_draw_dot() -> None:
    import gradwalk

    with fresh_tape():
        assert isinstance(gradwalk.draw_dot(lecture_root()), graphviz.Digraph)


# ------------------------------------------------------------------ routes


@needs_dot
@pytest.mark.parametrize(
    ("fmt", "media"), [("dot", "text/vnd.graphviz"), ("svg", "image/svg+xml"), ("png", "image/png")]
)
def test_expression_export_media_types(fmt: str, media: str) -> None:
    post = client.post(f"/api/v1/export/expression?format={fmt}", json={"source": LECTURE})
    get = client.get(f"/api/v1/export/expression.{fmt}", params={"source": LECTURE})
    for r in (post, get):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == media
    assert post.content == get.content


@needs_dot
def test_get_export_with_a_2kB_source() -> None:
    lines = ["x0 = 0.5"]
    i = 0
    while sum(len(s) + 1 for s in lines) < 2100:
        i += 1
        lines.append(f"x{i} = x{i - 1} * 1.0001 + {i / 1000:.4f}")
    source = "\n".join(lines)
    assert len(source.encode()) > 2048
    r = client.get("/api/v1/export/expression.svg", params={"source": source, "output": f"x{i}"})
    assert r.status_code == 200, r.text
    records = svg_records(r.text)
    assert {f"x{k}" for k in range(i + 1)} <= set(records)
    assert records[f"x{i}"][1] == "1.0000"


@needs_dot
def test_mlp_export_post_and_get() -> None:
    post = client.post("/api/v1/export/mlp?format=svg", json=MLP_SPEC)
    get = client.get("/api/v1/export/mlp.svg", params={"spec": json.dumps(MLP_SPEC)})
    assert post.status_code == 200 and get.status_code == 200, (post.text, get.text)
    assert post.content == get.content
    graph = client.post("/api/v1/mlp", json=MLP_SPEC).json()
    records = svg_records(post.text)
    for p in graph["parameters"]:
        assert records[p["name"]] == (f"{p['data']:.4f}", f"{p['grad']:.4f}")
    dot = client.get("/api/v1/export/mlp.dot", params={"spec": json.dumps(MLP_SPEC)})
    assert dot.status_code == 200 and dot.text.startswith("digraph {")


def test_export_errors_are_4xx() -> None:
    r = client.get("/api/v1/export/expression.svg", params={"source": "a = (1 +"})
    assert r.status_code == 422 and "line" in r.json()["detail"][0]
    r = client.get("/api/v1/export/expression.gif", params={"source": "1"})
    assert r.status_code == 422
    r = client.get("/api/v1/export/mlp.svg", params={"spec": "{not json"})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"]
    r = client.get("/api/v1/export/mlp.svg", params={"spec": json.dumps({**MLP_SPEC, "layers": [2, "x"]})})
    assert r.status_code == 422
    r = client.post("/api/v1/export/expression?format=pdf", json={"source": "1"})
    assert r.status_code == 422


def test_export_above_the_limit_is_422(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "export_max_nodes", 5)
    r = client.post("/api/v1/export/expression?format=dot", json={"source": LECTURE})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert "export_max_nodes" in detail["msg"] and detail["limit"] == 5 and detail["nodes"] == 7


def test_without_dot_exports_answer_503_and_graphs_still_served(tmp_path: Any) -> None:
    # the work runs in the server's worker processes: a server started without Graphviz on its PATH
    with live.serving({"PATH": str(tmp_path)}) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        for r in (
            http.get("/api/v1/export/expression.svg", params={"source": LECTURE}),
            http.post("/api/v1/export/expression?format=png", json={"source": LECTURE}),
            http.post("/api/v1/export/mlp?format=svg", json=MLP_SPEC),
        ):
            assert r.status_code == 503, r.text
            assert "install Graphviz" in r.json()["detail"][0]["msg"]
        # DOT text needs no binary; graphs (with a layout) are still served
        assert http.get("/api/v1/export/expression.dot", params={"source": LECTURE}).status_code == 200
        r = http.post("/api/v1/expression", json={"source": LECTURE, "layout": True})
        assert r.status_code == 200 and r.json()["layout"]["engine"] == "layered"


@needs_dot
def test_graphs_beyond_dot_are_rendered_at_layered_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "dot_max_nodes", 0)  # every graph takes the neato -n2 path
    r = client.post("/api/v1/export/expression?format=svg", json={"source": LECTURE})
    assert r.status_code == 200, r.text
    assert svg_records(r.text) == SEED_RECORDS
    dot = client.post("/api/v1/export/expression?format=dot", json={"source": LECTURE}).text
    assert "pos=" not in dot  # the DOT text stays draw_dot's, for users' own dot runs


@needs_dot
def test_big_export_renders() -> None:
    # ~2,400 nodes (~4,000 drawn boxes): minutes for dot's own layout, fast at layered positions
    lines = ["x0 = 0.5", *(f"x{i} = x{i - 1} * 1.0001 + 0.5" for i in range(1, 600))]
    r = client.post("/api/v1/export/expression?format=svg", json={"source": "\n".join(lines)})
    assert r.status_code == 200, r.text
    records = svg_records(r.text)
    assert {f"x{i}" for i in range(600)} <= set(records)


def test_an_mlp_too_big_to_export_is_refused_before_it_trains() -> None:
    """784-64-10 on one sample is 153,413 nodes: its size is known from the spec, so no step runs."""
    import time

    spec = {
        "nin": 784,
        "layers": [64, 10],
        "activation": "relu",
        "output_activation": "linear",
        "loss": "cross_entropy",
        "inputs": [[0.5] * 784],
        "targets": [3],
        "steps": 150,  # refused from the spec: neither the steps nor the 153,413-node graph are computed
        "seed": 1,
    }
    t = time.monotonic()  # wall time: the work runs in a worker process (12 steps alone take about 5 s here)
    r = client.post("/api/v1/export/mlp?format=dot", json=spec)
    seconds = time.monotonic() - t
    assert r.status_code == 422, r.text[:300]
    detail = r.json()["detail"][0]
    assert detail["type"] == "limit.export_max_nodes" and detail["nodes"] == 153_413
    assert seconds < 3.0, seconds
    # and the pipeline itself refuses it in well under a CPU second, here
    t = time.process_time()
    with pytest.raises(LimitError):
        pipeline.export(MLPRequest.model_validate(spec).to_input(), "dot")
    assert time.process_time() - t < 1.0


# ---------------------------------------------------------------- the standalone page (format html)

L_SOURCE = "a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d * f"


def embedded_state(page: str) -> dict[str, object]:
    m = re.search(r'<script type="application/json" id="gradwalk-state">(.*?)</script>', page, re.S)
    assert m, "no embedded state"
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def test_html_export_is_the_page_with_its_graph_and_no_module_or_server_link() -> None:
    with TestClient(app) as c:
        r = c.get("/api/v1/export/expression.html", params={"source": L_SOURCE})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        text = r.text
        state = embedded_state(text)
        assert state["mode"] == "expression" and state["source"] == L_SOURCE
        graph = state["graph"]
        assert isinstance(graph, dict) and "layout" in graph and len(graph["nodes"]) == 7
        assert {o["name"] for o in state["ops"]} >= {"add", "mul", "tanh"}  # type: ignore[attr-defined]
        # everything inline: no module script, no stylesheet link, no fetch of the page's files
        assert 'type="module"' not in text and 'href="css/' not in text and 'src="js/' not in text
        assert "__gw['main']" in text
        post = c.post("/api/v1/export/expression?format=html", json={"source": L_SOURCE})
        assert post.status_code == 200 and embedded_state(post.text)["graph"] == graph


def test_bundle_has_no_module_syntax_left() -> None:
    script = standalone.bundle()
    assert not re.search(r"^\s*(import|export)\b", script, re.M)
    assert script.count("__gw['") >= len(list((standalone.FRONTEND_DIR / "js").glob("*.js")))


def test_bundle_refuses_module_syntax_it_cannot_translate(tmp_path: Path) -> None:
    (tmp_path / "main.js").write_text("import thing from './other.js';\n")
    with pytest.raises(ValueError, match="unsupported"):
        standalone.bundle(tmp_path)
    (tmp_path / "main.js").write_text("export default 1;\n")
    with pytest.raises(ValueError, match="unsupported module syntax"):
        standalone.bundle(tmp_path)
    (tmp_path / "main.js").write_text("import { b } from './b.js';\nexport const a = 1;\n")
    (tmp_path / "b.js").write_text("import { a } from './main.js';\nexport const b = 2;\n")
    with pytest.raises(ValueError, match="cycle"):
        standalone.bundle(tmp_path)


def test_a_label_cannot_close_the_embedded_script() -> None:
    src = "a = Value(2.0, label='</script><script>alert(1)</script>')\nL = a * 3\n"
    with TestClient(app) as c:
        text = c.get("/api/v1/export/expression.html", params={"source": src}).text
    assert "<script>alert(1)" not in text
    labels = {n["label"] for n in embedded_state(text)["graph"]["nodes"]}  # type: ignore[index]
    assert "</script><script>alert(1)</script>" in labels  # intact once parsed


def test_page_export_wraps_the_graph_the_page_holds() -> None:
    with TestClient(app) as c:
        g = c.post("/api/v1/expression", json={"source": L_SOURCE, "layout": True}).json()
        r = c.post("/api/v1/export/page", json={"graph": g, "source": L_SOURCE, "pos": 9, "view": "full"})
        assert r.status_code == 200
        state = embedded_state(r.text)
        assert state["graph"] == g and state["pos"] == 9 and state["view"] == "full"
        bad = c.post("/api/v1/export/page", json={"graph": {"nodes": []}})  # no layout
        assert bad.status_code == 422 and "layout" in bad.json()["detail"][0]["msg"]
        big = {"nodes": [{}] * 6_000, "layout": {}}
        over = c.post("/api/v1/export/page", json={"graph": big})
        assert over.status_code == 422 and over.json()["detail"][0]["type"] == "limit.export_max_nodes"
