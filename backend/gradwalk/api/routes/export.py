"""Graphviz exports of expressions and MLPs, in micrograd's draw_dot look (SPEC §4).

    POST /api/v1/export/expression?format=dot|svg|png     body: an expression request
    GET  /api/v1/export/expression.{dot|svg|png}?source=...&output=...
    POST /api/v1/export/mlp?format=dot|svg|png            body: an MLP request
    GET  /api/v1/export/mlp.{dot|svg|png}?spec=<url-encoded JSON of an MLP request>

The GET forms exist so an `<img src>` or a Markdown image link can embed a graph.
DOT is text and needs nothing else; SVG and PNG need the Graphviz binary and answer
503 (saying to install Graphviz) without it. Graphs with more than `dot_max_nodes`
drawn boxes are rendered at the positions of our layered layout (`neato -n2`,
straight edges), since dot's own layout would take minutes. Graphs above `export_max_nodes` value
nodes answer 422 naming the limit, as does a render that runs out of
`dot_timeout_seconds`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from ...export import MEDIA_TYPES, GraphvizError, GraphvizTimeout, GraphvizUnavailable, render_graph, to_dot
from ..common import api_error, compute
from ..settings import get_settings
from .expression import ExpressionRequest, expression_graph
from .mlp import MLPRequest, mlp_graph

router = APIRouter(prefix="/api/v1/export", tags=["export"])

Format = Literal["dot", "svg", "png"]
FormatQuery = Annotated[Format, Query(description="dot, svg or png.")]

RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The graph as DOT text, an SVG or a PNG image.",
        "content": {media: {} for media in MEDIA_TYPES.values()},
    },
    413: {"description": "Body or source over its size limit."},
    422: {"description": "Invalid request, an error in the source, or a graph over the export limits."},
    503: {"description": "SVG/PNG asked for but the Graphviz binary is not installed on the server."},
}


def _export(graph: dict[str, Any], fmt: str) -> bytes:
    """DOT source or a rendered image of a Graph JSON dict; raises the API's errors."""
    settings = get_settings()
    nodes = len(graph["nodes"])
    if nodes > settings.export_max_nodes:
        raise api_error(
            422,
            f"the graph has {nodes} value nodes; exports are limited to export_max_nodes = "
            f"{settings.export_max_nodes} (GRADWALK_EXPORT_MAX_NODES). Use POST /api/v1/expression or /api/v1/mlp "
            "with layout=true for big graphs.",
            "limit.export_max_nodes",
            limit=settings.export_max_nodes,
            nodes=nodes,
        )
    if fmt == "dot":
        return to_dot(graph).encode()
    try:
        return render_graph(graph, fmt, settings.dot_timeout_seconds, settings.dot_max_nodes)
    except GraphvizUnavailable as e:
        raise api_error(503, f"{e}. DOT export (format=dot) still works.", "graphviz.unavailable") from None
    except GraphvizTimeout as e:
        raise api_error(
            422,
            f"{e} (dot_timeout_seconds = {settings.dot_timeout_seconds:g}); export it as DOT, or a smaller graph",
            "limit.dot_timeout_seconds",
            limit=settings.dot_timeout_seconds,
        ) from None
    except GraphvizError as e:
        raise api_error(422, str(e), "graphviz.failed") from None


def _expression_export(req: ExpressionRequest, fmt: str) -> bytes:
    return _export(expression_graph(req.model_copy(update={"layout": False})), fmt)


def _mlp_export(req: MLPRequest, fmt: str) -> bytes:
    return _export(mlp_graph(req.model_copy(update={"layout": False})), fmt)


def _response(body: bytes, fmt: str) -> Response:
    return Response(content=body, media_type=MEDIA_TYPES[fmt])


def _query_error(e: ValidationError, where: str) -> Exception:
    first = e.errors(include_url=False)[0]  # one clear message, as the body errors give
    loc = ["query", where, *[str(p) for p in first["loc"]]]
    return api_error(422, str(first["msg"]), str(first["type"]), loc=loc)


@router.post(
    "/expression",
    summary="Export an expression's graph as DOT, SVG or PNG (draw_dot's picture)",
    response_class=Response,
    responses=RESPONSES,
)
async def export_expression(req: ExpressionRequest, format: FormatQuery = "svg") -> Response:
    return _response(await compute(_expression_export, req, format), format)


@router.get(
    "/expression.{format}",
    summary="Export an expression's graph by GET (for <img src> and Markdown image links)",
    response_class=Response,
    responses=RESPONSES,
)
async def export_expression_get(
    format: Format,
    source: str = Query(description="The program, URL-encoded.", examples=["a = 2.0; b = -3.0; L = a*b"]),
    output: str | None = Query(None, description="Variable to differentiate; default: the last statement."),
) -> Response:
    try:
        req = ExpressionRequest.model_validate({"source": source, "output": output})
    except ValidationError as e:
        raise _query_error(e, "source") from None
    return _response(await compute(_expression_export, req, format), format)


@router.post(
    "/mlp",
    summary="Export a trained MLP's graph as DOT, SVG or PNG (draw_dot's picture)",
    response_class=Response,
    responses=RESPONSES,
)
async def export_mlp(req: MLPRequest, format: FormatQuery = "svg") -> Response:
    return _response(await compute(_mlp_export, req, format), format)


@router.get(
    "/mlp.{format}",
    summary="Export a trained MLP's graph by GET (the spec as URL-encoded JSON)",
    response_class=Response,
    responses=RESPONSES,
)
async def export_mlp_get(
    format: Format,
    spec: str = Query(
        description="The JSON body of POST /api/v1/mlp, URL-encoded.",
        examples=['{"nin": 2, "layers": [2, 1], "inputs": [[1, 2]], "targets": [1], "seed": 1}'],
    ),
) -> Response:
    try:
        req = MLPRequest.model_validate_json(spec)
    except ValidationError as e:
        raise _query_error(e, "spec") from None
    return _response(await compute(_mlp_export, req, format), format)
