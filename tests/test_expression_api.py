"""POST /api/v1/expression, GET /api/v1/ops, GET /api/v1/examples through the app, and the error shape."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from gradwalk.api.main import app
from gradwalk.api.settings import get_settings
from gradwalk.ops import OPS
from gradwalk.pipeline import Expression, SourceError, respond

client = TestClient(app)


def post(source: str, **extra: object) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/expression", json={"source": source, **extra})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def by_label(g: dict) -> dict:  # type: ignore[type-arg]
    return {n["label"]: n for n in g["nodes"] if n["label"]}


def test_lecture_graph_response_shape() -> None:
    g = post("a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f")
    nodes = by_label(g)
    assert {k: nodes[k]["grad"] for k in "abcdefL"} == {
        "a": 6.0,
        "b": -4.0,
        "c": -2.0,
        "d": -2.0,
        "e": -2.0,
        "f": 4.0,
        "L": 1.0,
    }
    assert g["output"] == nodes["L"]["id"] and g["output_name"] == "L"
    assert g["variables"] == {k: nodes[k]["id"] for k in "abcdefL"}
    assert len(g["edges"]) == 6 and g["forward"] == [n["id"] for n in g["nodes"]]
    assert g["backward"][0]["updates"] == [{"node": g["output"], "local": 1.0, "delta": 1.0, "grad": 1.0}]
    assert len(g["backward"]) == 1 + 3 and g["warnings"] == []
    assert "layout" not in g


def test_spec_precedence_through_the_api() -> None:
    g = post("a = 3.0\ny = -a**2")
    assert by_label(g)["y"]["data"] == -9.0 and by_label(g)["a"]["grad"] == -6.0
    g = post("a = 2.0; b = 3.0; c = 2.0\ny = a**b**c")
    assert by_label(g)["y"]["data"] == 512.0


def test_output_selection_and_unknown_output() -> None:
    assert post("a = 2.0; d = a*a; L = d + 1", output="d")["output_name"] == "d"
    r = client.post("/api/v1/expression", json={"source": "a = 2.0", "output": "nope"})
    assert r.status_code == 422
    (entry,) = r.json()["detail"]
    assert "'nope'" in entry["msg"] and entry["type"] == "source.output" and entry["loc"] == ["body", "output"]


def test_source_error_shape() -> None:
    r = client.post("/api/v1/expression", json={"source": "x = 2.0\ny = tanhh(x)"})
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "msg": "unknown function 'tanhh' — did you mean 'tanh'?",
                "type": "source.name",
                "line": 2,
                "column": 5,
                "loc": ["body", "source"],
            }
        ]
    }


def test_non_finite_values_are_strings_with_warnings() -> None:
    g = post("x = 1000.0\ny = exp(x)")
    assert by_label(g)["y"]["data"] == "Infinity" and g["warnings"]
    g = post("x = 1e999\ny = x - x")
    assert by_label(g)["y"]["data"] == "NaN" and any("1e999" in w for w in g["warnings"])


def test_limits_through_the_api() -> None:
    settings = get_settings()
    r = client.post("/api/v1/expression", json={"source": "x = 1\n" * (settings.max_source_bytes // 6 + 1)})
    assert r.status_code == 413 and r.json()["detail"][0]["type"] == "source.limit.source_bytes"
    t = time.process_time()  # CPU seconds of this process (client and app): the work, not the machine's load
    r = client.post("/api/v1/expression", json={"source": "y = " + "(" * 20_000 + "1" + ")" * 20_000})
    assert r.status_code == 422 and "nesting deeper than 200" in r.json()["detail"][0]["msg"]
    assert time.process_time() - t < 1.0
    g = post("x = 1.5\ny = " + "+".join(["x"] * 30_000))
    assert by_label(g)["x"]["grad"] == 30_000.0 and len(g["nodes"]) == 30_000


def test_node_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_nodes", 100)
    r = client.post("/api/v1/expression", json={"source": "x = 1.0\ny = " + "+".join(["x"] * 200)})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "source.limit.nodes"


def test_body_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_body_bytes", 1000)
    r = client.post("/api/v1/expression", json={"source": "x = 1 # " + "z" * 2000})
    assert r.status_code == 413 and r.json()["detail"][0]["type"] == "limit.body_bytes"

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"source": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    r = client.post("/api/v1/expression", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_the_page_export_takes_a_bigger_body_under_its_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Export > HTML posts the graph the page shows, layout included: near export_max_nodes that is over
    4 MiB, so it has its own limit (max_page_body_bytes), named in its 413."""
    monkeypatch.setattr(get_settings(), "max_body_bytes", 1000)
    monkeypatch.setattr(get_settings(), "max_page_body_bytes", 5000)
    padded = {"graph": {"nodes": []}, "source": "z" * 2000}  # over 1000 bytes, under 5000: let through
    assert client.post("/api/v1/export/page", json=padded).status_code == 422  # (no layout: refused on its merits)
    r = client.post("/api/v1/export/page", json={**padded, "source": "z" * 6000})
    assert r.status_code == 413 and "max_page_body_bytes limit of 5000" in r.json()["detail"][0]["msg"]


def test_the_pipeline_gives_the_response() -> None:
    g = respond(Expression("a = 2.0; b = a*a"))
    assert g["output_name"] == "b" and by_label(g)["a"]["grad"] == 4.0
    assert g == post("a = 2.0; b = a*a")


def test_ops_listing_comes_from_the_op_table() -> None:
    ops = client.get("/api/v1/ops").json()
    assert [o["name"] for o in ops] == [op.name for op in OPS]
    mul = next(o for o in ops if o["name"] == "mul")
    assert mul == {
        "name": "mul",
        "symbol": "*",
        "arity": 2,
        "formula": "a * b",
        "local_derivatives": {"a": "b", "b": "a"},
        "display": "{a} × {b}",
        "display_local": ["{b}", "{a}"],
        "function": False,
    }
    assert next(o for o in ops if o["name"] == "max")["function"] is True
    assert {o["name"] for o in ops if o["function"]} == {
        *("exp", "log", "tanh", "relu", "sigmoid"),
        *("sqrt", "abs", "sin", "cos", "max"),
    }


def test_openapi_documents_the_graph_and_errors() -> None:
    schema = client.get("/openapi.json").json()
    post_op = schema["paths"]["/api/v1/expression"]["post"]
    assert {"200", "413", "422"} <= set(post_op["responses"])
    schemas = schema["components"]["schemas"]
    assert "Graph JSON" in schemas["ExpressionResponse"]["description"]
    assert {"nodes", "backward", "finite_differences", "paths"} <= set(schemas["ExpressionResponse"]["properties"])
    assert {"numeric", "h", "note"} <= set(schemas["FiniteDifference"]["properties"])
    request = schemas["ExpressionRequest"]["properties"]
    assert request["source"]["examples"]
    assert {"overrides", "finite_differences", "paths"} <= set(request)


def test_unknown_route_and_method_use_the_error_shape() -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "http.404"
    r = client.get("/api/v1/expression")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["detail"][0]["msg"]


def test_requests_leave_no_cyclic_garbage() -> None:
    """Full collections stall a loaded server: a request must free everything by reference counting."""
    import gc

    source = "a = 2.0; b = -3.0\nL = (a*b + 1).tanh() * a\n" + "M = L" + " + L" * 500
    respond(Expression(source))  # warm caches (regex, difflib) first
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            respond(Expression(source))
            with pytest.raises(SourceError):
                respond(Expression("a = 1\nb = tanhh(a)"))
        assert gc.collect() == 0
    finally:
        gc.enable()


# ---------------------------------------------------------------- overrides, finite_differences, paths

LECTURE_L = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"


def test_overrides_nudge_a_leaf_and_keep_the_graph_shape() -> None:
    base = post(LECTURE_L)
    nudged = post(LECTURE_L, overrides={"a": 2.01})
    assert [(n["id"], n["label"]) for n in nudged["nodes"]] == [(n["id"], n["label"]) for n in base["nodes"]]
    assert nudged["edges"] == base["edges"] and nudged["variables"] == base["variables"]
    before, after = by_label(base), by_label(nudged)
    assert after["a"]["data"] == 2.01 and after["e"]["data"] == 2.01 * -3.0
    slope = (after["L"]["data"] - before["L"]["data"]) / 0.01
    assert abs(slope - before["a"]["grad"]) < 1e-6  # L is linear in a: the slope is a.grad
    moved = {k for k in before if before[k]["data"] != after[k]["data"]}
    assert moved == {"a", "e", "d", "L"}  # b, c, f stay
    # by node id: the same answer
    assert post(LECTURE_L, overrides={base["variables"]["a"]: 2.01}) == nudged


@pytest.mark.parametrize(
    ("overrides", "status", "type_", "loc"),
    [
        ({"e": 1.0}, 422, "source.not_a_leaf", ["body", "overrides", "e"]),
        ({"zz": 1.0}, 422, "source.name", ["body", "overrides", "zz"]),
        ({"a": True}, 422, "float_type", ["body", "overrides", "a"]),
        ({"a": "2"}, 422, "float_type", ["body", "overrides", "a"]),
        ({"a": None}, 422, "float_type", ["body", "overrides", "a"]),
        ([1.0], 422, "dict_type", ["body", "overrides"]),
    ],
)
def test_override_errors_through_the_api(overrides: object, status: int, type_: str, loc: list[str]) -> None:
    r = client.post("/api/v1/expression", json={"source": LECTURE_L, "overrides": overrides})
    assert r.status_code == status, r.text
    (entry,) = r.json()["detail"]
    assert entry["type"] == type_ and entry["loc"] == loc and entry["msg"]


def test_override_numbers_are_read_strictly() -> None:
    for raw in ("NaN", "Infinity", "1e400"):
        body = '{"source": "a = 1.0; L = a*a", "overrides": {"a": ' + raw + "}}"
        r = client.post("/api/v1/expression", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid", raw
    assert by_label(post("a = 1.0; L = a*a", overrides={"a": 3}))["L"]["data"] == 9.0  # an integer is a number


def test_finite_differences_through_the_api() -> None:
    g = post(LECTURE_L, finite_differences=True)
    fd = g["finite_differences"]
    assert [d["node"] for d in fd] == [g["variables"][k] for k in "abcf"]
    assert all(set(d) == {"node", "numeric", "grad", "h", "tolerance", "agree", "note"} for d in fd)
    assert all(d["agree"] and d["note"] is None and abs(d["numeric"] - d["grad"]) < 1e-6 for d in fd)
    assert "finite_differences" not in post(LECTURE_L)
    (d,) = post("x = 1000.0\ny = exp(x)", finite_differences=True)["finite_differences"]
    assert d["numeric"] == "NaN" and d["grad"] == "Infinity" and not d["agree"] and "Infinity" in d["note"]
    (d,) = post("x = 0.0\ny = relu(x)", finite_differences=True)["finite_differences"]
    assert d["note"].startswith("relu at 0")


def test_finite_differences_limit_through_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_fd_work", 10)
    r = client.post("/api/v1/expression", json={"source": LECTURE_L, "finite_differences": True})
    assert r.status_code == 422
    (entry,) = r.json()["detail"]
    assert entry["type"] == "limit.fd_work" and entry["loc"] == ["body", "finite_differences"]
    assert entry["limit"] == 10 and "max_fd_work" in entry["msg"]
    assert client.post("/api/v1/expression", json={"source": LECTURE_L}).status_code == 200


def test_paths_through_the_api() -> None:
    g = post("a = 3.0\nb = a*a + a", paths="a")
    p = g["paths"]
    assert p["count"] == 3 and p["complete"] and p["sum"] == by_label(g)["a"]["grad"] == 7.0
    r = client.post("/api/v1/expression", json={"source": "a = 3.0\nb = a*2", "paths": "n1"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "paths"]
    r = client.post("/api/v1/expression", json={"source": "a = 3.0\nb = a*2", "paths": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "string_type"


def test_paths_limit_through_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_path_work", 5)
    r = client.post("/api/v1/expression", json={"source": LECTURE_L, "paths": "a"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "limit.path_work"
