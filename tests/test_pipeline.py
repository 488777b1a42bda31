"""gradwalk.pipeline on its own: one path from a request to the response dict or a drawing, no web code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradwalk import pipeline
from gradwalk.export import to_dot
from gradwalk.pipeline import Expression, LimitError, Limits, MLPSpec, SourceError, SpecError, plan, respond

LECTURE = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"
SEEDS = MLPSpec(nin=3, layers=[4, 4, 1], dataset="seeds", seed=1, learning_rate=0.1, steps=3)


def test_expression_response_has_the_graph_and_the_names() -> None:
    g = respond(Expression(LECTURE))
    assert {"nodes", "edges", "output", "forward", "backward", "warnings", "variables", "output_name"} <= set(g)
    assert g["output_name"] == "L" and g["variables"]["a"] == "n0" and "layout" not in g
    assert respond(Expression(LECTURE, output="d"))["output_name"] == "d"


def test_layout_only_when_asked() -> None:
    assert "views" in respond(Expression(LECTURE), layout=True)["layout"]
    assert "layout" in respond(SEEDS, layout=True) and "layout" not in respond(SEEDS)


def test_mlp_response_has_loss_history_parameters() -> None:
    g = respond(SEEDS)
    assert len(g["history"]) == 4 and g["loss"] == g["history"][-1] and len(g["parameters"]) == 41


def test_limits_reach_the_language_and_the_trainer() -> None:
    with pytest.raises(SourceError) as e:
        respond(Expression("x = 1\ny = " + "+".join(["x"] * 50)), Limits(max_nodes=10))
    assert e.value.type == "limit.nodes"
    with pytest.raises(SourceError):
        respond(Expression("y = " + "(" * 20 + "1" + ")" * 20), Limits(max_depth=5))
    with pytest.raises(SpecError) as s:
        plan(SEEDS, Limits(max_steps=2))  # refused when planned, before any work
    assert s.value.kind == "over_budget"


def test_export_is_the_graph_drawn() -> None:
    dot = pipeline.export(Expression(LECTURE), "dot").decode()
    assert dot == to_dot(respond(Expression(LECTURE)))
    with pytest.raises(LimitError) as e:
        pipeline.export(Expression(LECTURE), "dot", Limits(export_max_nodes=3))
    assert e.value.type == "limit.export_max_nodes" and e.value.extra == {"limit": 3, "nodes": 7}


def test_each_job_builds_on_its_own_tape() -> None:
    job = plan(Expression("a = 2.0; b = a*a"))
    assert job.run() == job.run()


def test_unknown_input_kind_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no pipeline for str"):
        plan("a = 1")  # type: ignore[arg-type]


def test_the_core_imports_no_web_code() -> None:
    web = ("fastapi", "starlette", "pydantic")
    code = f"import sys, gradwalk.pipeline; print(sorted(m for m in {web} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
