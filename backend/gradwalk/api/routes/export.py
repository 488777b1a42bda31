"""Graphviz exports of expressions and MLPs, in micrograd's draw_dot look, and the page itself as
one HTML file that plays a graph offline (docs/api.md, Export).

    POST /api/v1/export/expression?format=dot|svg|png     body: an expression request
    GET  /api/v1/export/expression.{dot|svg|png}?source=...&output=...
    POST /api/v1/export/mlp?format=dot|svg|png            body: an MLP request
    GET  /api/v1/export/mlp.{dot|svg|png}?spec=<url-encoded JSON of an MLP request>

    POST /api/v1/export/page                              body: a graph the page shows, and its view
The GET forms exist so an `<img src>`, a Markdown image link or an `<iframe>` (format html)
can embed a graph.
DOT is text and needs nothing else; SVG and PNG need the Graphviz binary and answer
503 (saying to install Graphviz) without it. Graphs with more than `dot_max_nodes`
drawn boxes are rendered at the positions of our layered layout (`neato -n2`,
straight edges), since dot's own layout would take minutes. Graphs above `export_max_nodes` value
nodes answer 422 naming the limit, as does a render that runs out of
`dot_timeout_seconds`. gradwalk.pipeline makes the graph and gradwalk.export draws it,
both checking the limits; the request models are the graph routes' own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

import orjson
from anyio import CapacityLimiter
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field, ValidationError

from ... import ops, standalone
from ...export import MEDIA_TYPES, check_export_size
from ...limits import Limits
from ..common import LimitsDep, StrictModel, api_error, body_schema, compute, task_for, worked
from ..workers import Body
from .expression import ExpressionRequest
from .mlp import MLPRequest

router = APIRouter(prefix="/api/v1/export", tags=["export"])
T = TypeVar("T")

Format = Literal["dot", "svg", "png", "html"]
FormatQuery = Annotated[
    Format, Query(description="dot, svg, png, or html: the page with the graph, one file that plays offline.")
]

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The graph as DOT text, an SVG or a PNG image, or the standalone page (html).",
        "content": {media: {} for media in MEDIA_TYPES.values()},
    },
    413: {"description": "Body or source over its size limit."},
    422: {"description": "Invalid request, an error in the source, or a graph over the export limits."},
    503: {"description": "SVG/PNG asked for but the Graphviz binary is not installed on the server."},
}


EXPORT: dict[str, Any] = {"response_class": Response, "responses": RESPONSES}


async def _exported(
    request: Request, req: ExpressionRequest | MLPRequest | Body, limits: Limits, fmt: Format
) -> Response:
    # planned, checked (an MLP's export size before any training), drawn: all in a worker process
    inp = req if isinstance(req, Body) else req.to_input()
    return await worked(request, task_for(request, inp, limits, export=fmt, query=request.method == "GET"))


def _from_query(validate: Callable[[Any], T], raw: Any, where: str) -> T:
    """A request model from the query string; a validation error names its query parameter."""
    try:
        return validate(raw)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]  # one clear message, as the body errors give
        loc = ["query", where, *[str(p) for p in first["loc"]]]
        raise api_error(422, str(first["msg"]), str(first["type"]), loc=loc) from None


def _expression_query(
    source: str = Query(description="The program, URL-encoded.", examples=["a = 2.0; b = -3.0; L = a*b"]),
    output: str | None = Query(None, description="Variable to differentiate; default: the last statement."),
) -> ExpressionRequest:
    return _from_query(ExpressionRequest.model_validate, {"source": source, "output": output}, "source")


def _mlp_query(
    spec: str = Query(
        description="The JSON body of POST /api/v1/mlp, URL-encoded.",
        examples=['{"nin": 2, "layers": [2, 1], "inputs": [[1, 2]], "targets": [1], "seed": 1}'],
    ),
) -> MLPRequest:
    return _from_query(MLPRequest.model_validate_json, spec, "spec")


@router.post("/expression", summary="Export an expression's graph as DOT, SVG or PNG (draw_dot's picture)", **EXPORT)
async def export_expression(
    req: ExpressionRequest, limits: LimitsDep, request: Request, format: FormatQuery = "svg"
) -> Response:
    return await _exported(request, req, limits, format)


@router.get("/expression.{format}", summary="Export an expression's graph by GET (for <img src>, Markdown)", **EXPORT)
async def export_expression_get(
    format: Format, req: Annotated[ExpressionRequest, Depends(_expression_query)], limits: LimitsDep, request: Request
) -> Response:
    return await _exported(request, req, limits, format)


@router.post(
    "/mlp",
    summary="Export a trained MLP's graph as DOT, SVG or PNG (draw_dot's picture)",
    openapi_extra=body_schema(MLPRequest),
    **EXPORT,
)
async def export_mlp(request: Request, limits: LimitsDep, format: FormatQuery = "svg") -> Response:
    # the MLP request body is validated in the worker, as POST /api/v1/mlp's
    return await _exported(request, Body("mlp", await request.body()), limits, format)


@router.get("/mlp.{format}", summary="Export a trained MLP's graph by GET (the spec as URL-encoded JSON)", **EXPORT)
async def export_mlp_get(
    format: Format, req: Annotated[MLPRequest, Depends(_mlp_query)], limits: LimitsDep, request: Request
) -> Response:
    return await _exported(request, req, limits, format)


class PageRequest(StrictModel):
    """A graph the page already shows (a Graph JSON with its `layout`, from any graph route) and
    the view to open it at: the standalone HTML wraps it as it is, computing nothing."""

    graph: dict[str, Any] = Field(description="The Graph JSON, `layout` included, as a graph route answered it.")
    mode: Literal["expression", "mlp"] = "expression"
    source: str | None = Field(None, description="Shown in the (read-only) editor.")
    spec: dict[str, Any] | None = Field(None, description="An MLP request, shown in the (read-only) form.")
    language: Literal["expression", "python"] = "expression"
    pos: int | None = Field(None, ge=0, description="Playback position to open at (docs/api.md, The page's URL).")
    view: Literal["full", "neuron", "layer"] | None = None
    embed: bool = Field(False, description="Graph and playback only, for an iframe.")


@router.post("/page", summary="The page with a graph it shows, as one HTML file that plays offline", **EXPORT)
async def export_page(req: PageRequest, limits: LimitsDep) -> Response:
    global _page_limiter
    _page_limiter = _page_limiter or CapacityLimiter(2)  # a few MB of JSON written: in a thread, two at a time
    body = await compute(standalone_page, req.model_dump(), limits, limiter=_page_limiter)
    return Response(content=body, media_type=MEDIA_TYPES["html"])


_page_limiter: CapacityLimiter | None = None


def standalone_page(state: dict[str, Any], limits: Limits) -> bytes:
    graph = state["graph"]
    nodes = graph.get("nodes")
    if not isinstance(nodes, list) or not isinstance(graph.get("layout"), dict):
        raise api_error(422, "graph: a Graph JSON with `nodes` and a `layout` (ask a graph route for layout: true)",
                        "value_error", loc=["body", "graph"])  # fmt: skip
    check_export_size(len(nodes), limits)
    try:
        return standalone.page({**state, "ops": ops.listing()})
    except orjson.JSONEncodeError as e:  # e.g. an integer beyond 64 bits: not a graph any route answered
        raise api_error(422, f"graph: not a Graph JSON ({e})", "value_error", loc=["body", "graph"]) from None
