"""Expression routes: POST /api/v1/expression (source -> Graph JSON), GET /api/v1/ops, GET /api/v1/examples.

The work is gradwalk.pipeline's: the route validates the body and runs the job in a worker
process (gradwalk.api.workers), or here when the source is tiny; errors in the source are
SourceErrors, mapped in api/errors.py.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Literal

from anyio import CapacityLimiter
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ... import ops, pipeline
from ...examples import EXAMPLES, LISTING
from ...limits import Limits
from ...trace import dumps
from ..common import LimitsDep, StrictModel, compute, json_response, task_for, worked

router = APIRouter(prefix="/api/v1", tags=["expression"])

SMALL_SOURCE = 256  # bytes: at most ~100 nodes, computed on the event loop in well under a millisecond
SMALL_LANE = 4  # threads for small sources with a layout (a classroom's lecture examples)
LECTURE_L = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"


class ExpressionRequest(StrictModel):
    """A program in gradwalk's expression language (docs/api.md, Expression) and what to return."""

    source: str = Field(
        description="The program: statements separated by newlines or ';'. micrograd snippets paste as-is.",
        examples=[LECTURE_L, "x = Value(2.0, label='x')\no = ((x*2).exp() - 1) / ((x*2).exp() + 1)"],
    )
    output: str | None = Field(
        None,
        description="Name of the variable to differentiate; default: the value of the last statement "
        "(or the name in a trailing `L.backward()` / `draw_dot(L)`).",
        examples=[None, "d"],
    )
    layout: bool = Field(False, description="Add a `layout` object (coordinates for every node and edge).")
    overrides: dict[str, float] | None = Field(
        None,
        description="Run the program with these leaves set to new values (the page's nudge). A key is a source "
        "name bound to a leaf at the end of the program, else a node id ('n0'), else the label of one leaf; "
        "an operation, a constant or an unknown key is a 422 naming it.",
        examples=[None, {"a": 2.01}],
    )
    finite_differences: bool = Field(
        False,
        description="Add `finite_differences`: the central difference of the output with respect to every input "
        "leaf, next to its grad (at most max_fd_work leaves x nodes).",
    )
    paths: str | None = Field(
        None,
        description="Add `paths`: every path from this node (a source name, node id or label) to the output with "
        "its product of local derivatives; the largest max_paths when there are more.",
        examples=[None, "a"],
    )

    def to_input(self) -> pipeline.Expression:
        return pipeline.Expression(
            self.source,
            self.output,
            overrides=self.overrides,
            finite_differences=self.finite_differences,
            paths=self.paths,
        )


# ---------------------------------------------------------------- response models (documentation only)

Number = float | Literal["NaN", "Infinity", "-Infinity"]


class GraphNode(BaseModel):
    id: str = Field(examples=["n0"])
    label: str
    op: str | None = Field(description="Op table name (add, mul, tanh, ...), null for leaves.")
    symbol: str | None = Field(description="micrograd's `_op` string shown in the op node.")
    data: Number
    grad: Number
    role: Literal["input", "param", "const", "op"]
    group: str | None = Field(description="Collapse group (MLP neurons); null for expressions.")
    line: int | None = Field(
        None,
        description="Expressions only: the source line of the statement that made the node (stepping by statement).",
    )


class GraphEdge(BaseModel):
    source: str
    target: str
    operand: int = Field(description="0 for the left operand, 1 for the right.")


class Update(BaseModel):
    node: str
    local: Number = Field(description="d(step node)/d(node)")
    delta: Number = Field(description="local * grad of the step node")
    grad: Number = Field(description="the node's running grad after this update")


class BackwardStep(BaseModel):
    node: str
    grad: Number
    updates: list[Update]


class FiniteDifference(BaseModel):
    node: str = Field(description="An input leaf.")
    numeric: Number = Field(description="(f(x + h) - f(x - h)) / 2h, f the output.")
    grad: Number = Field(description="The leaf's grad, from backward.")
    h: Number = Field(description="The step: 6.06e-6 x max(1, |x|), as the doubles x + h and x - h differ.")
    tolerance: Number = Field(description="1e-6 x max(|grad|, |numeric|) plus the forward pass's rounding over h.")
    agree: bool = Field(description="|numeric - grad| <= tolerance.")
    note: str | None = Field(description="Why the two may rightly differ here (a kink, a pole, a non-finite value).")


class PathEdge(BaseModel):
    source: str
    target: str
    operand: int
    local: Number = Field(description="d target / d source through this operand.")


class Path(BaseModel):
    product: Number = Field(description="The product of the locals along the path.")
    edges: list[PathEdge] = Field(description="From the chosen node to the output, in order.")


class Paths(BaseModel):
    node: str
    grad: Number
    count: int = Field(description="How many paths lead from the node to the output (capped at 2**53 - 1).")
    count_exact: bool
    complete: bool = Field(description="Every path is listed.")
    sum: Number = Field(description="The sum of the listed products: the grad, up to rounding, when complete.")
    paths: list[Path] = Field(description="The largest max_paths paths by |product|, largest first.")


class GraphResponse(BaseModel):
    """Graph JSON (docs/api.md, Graph JSON)."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    output: str
    forward: list[str]
    backward: list[BackwardStep]
    warnings: list[str]
    variables: dict[str, str] = Field(description="Every source name whose value is in the graph -> its node id.")
    output_name: str | None = Field(description="The source name of the output, when it has one.")
    layout: dict[str, Any] | None = Field(None, description="Present when the request asked for it.")


class ExpressionResponse(GraphResponse):
    """Graph JSON plus what the expression request asked for (docs/api.md, Expression)."""

    finite_differences: list[FiniteDifference] | None = Field(None, description="Present when asked for.")
    paths: Paths | None = Field(None, description="Present when asked for.")


class ErrorEntry(BaseModel):
    msg: str
    type: str
    line: int | None = Field(None, description="1-based, for errors in the source")
    column: int | None = Field(None, description="1-based, for errors in the source")


class ErrorResponse(BaseModel):
    detail: list[ErrorEntry]


class OpInfo(BaseModel):
    name: str
    symbol: str
    arity: int
    formula: str
    local_derivatives: dict[str, str] = Field(description="d result / d operand, by operand name (a, b).")
    display: str = Field(
        description="The result as the page shows it, with {a}, {b} for the operands' data (or a constant's value).",
        examples=["{a} × {b}"],
    )
    display_local: list[str] = Field(
        description="d result / d operand per operand, as the page shows it; {out} is the result's data.",
        examples=[["{b}", "{a}"]],
    )
    function: bool = Field(description="Callable by name in the language: f(x) and x.f(), or f(x, y) for arity 2.")


class ExampleInfo(BaseModel):
    id: str
    title: str
    lesson: str
    source: str
    language: Literal["expression", "python"] = Field(
        description="`python`: a program for POST /api/v1/python; else the expression language."
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Body or source over its size limit."},
    422: {"model": ErrorResponse, "description": "Invalid body, or an error in the source (with line and column)."},
}


@router.post(
    "/expression",
    summary="Run an expression: forward, backward and the step-by-step trace",
    response_model=ExpressionResponse,
    responses=ERRORS,
)
async def expression(req: ExpressionRequest, limits: LimitsDep, request: Request) -> Response:
    if len(req.source) <= SMALL_SOURCE:  # at most ~100 nodes: never queued behind the workers' big requests
        if not req.layout:  # the hop anywhere would cost more than the work
            return Response(dumps(pipeline.respond(req.to_input(), limits)), media_type="application/json")
        job = pipeline.plan(req.to_input(), limits, layout=True)
        deadline = time.monotonic() + limits.time_seconds  # one time limit for both parts
        graph, whole = job.run_cached(deadline)  # here, when the picture is cached (a class running an example)
        if not whole:  # Graphviz (a subprocess, the GIL released meanwhile), in a thread of the server's
            graph = await compute(job.add_layout, graph, deadline, limiter=_small_lane())
        return Response(dumps(graph), media_type="application/json")
    return await worked(request, task_for(request, req.to_input(), limits, layout=req.layout))


def warm_layouts(limits: Limits) -> None:
    """Lay out the small expression examples into this process's layout cache (at start-up, in
    a thread): the examples menu is what a class runs first, fifty students in the same second,
    and their first run is then a cache hit instead of a wait for Graphviz."""
    for example in EXAMPLES:
        if example.language == "expression" and len(example.source) <= SMALL_SOURCE:
            with contextlib.suppress(Exception):  # a failing example shows its own error when run
                pipeline.respond(pipeline.Expression(example.source, None), limits, layout=True)


_small: CapacityLimiter | None = None


def _small_lane() -> CapacityLimiter:
    """Small laid-out expressions (the page's every run of a lecture example), a few at a time."""
    global _small
    _small = _small or CapacityLimiter(SMALL_LANE)
    return _small


_OPS_LISTING = ops.listing()


@router.get("/ops", summary="Every operation with its formula and local derivatives", response_model=list[OpInfo])
async def list_ops() -> Response:
    return json_response(_OPS_LISTING)


@router.get("/examples", summary="Curated examples, each with a one-line lesson", response_model=list[ExampleInfo])
async def list_examples() -> Response:
    return json_response([e.as_dict() for e in LISTING])
