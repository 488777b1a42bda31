"""Error handling for the whole app: every error is {"detail": [{"msg", "type", ...}]}.

- The pipeline's core exceptions -> their status: SourceError 422 (413 over
  max_source_bytes) with line, column and loc; SpecError 422; LimitError 422 (413 over
  max_source_bytes); ProgramError (a Python program's exception: python.<Name>) 422;
  GraphvizUnavailable 503; GraphvizError 422. Routes never catch them.
- RequestValidationError -> 422 with msg/type/loc only: FastAPI's default echoes the
  rejected input, and a rejected NaN or lone surrogate then fails to serialise (a 500).
- HTTPException (ours, Starlette's 404/405) -> its status, in the same list shape.
- BodyLimit, a pure-ASGI middleware: 413 past `max_body_bytes` (Content-Length checked
  first, streamed bytes counted), 415 for a body to /api/ not sent as JSON, and 422 for
  a JSON body that is not strict JSON (NaN, Infinity, 1e400, lone surrogates, bad
  UTF-8), so no route ever sees one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..export import GraphvizError, GraphvizUnavailable
from ..language import SourceError
from ..limits import LimitError
from ..programs import ProgramError
from ..training import SpecError
from .settings import get_settings


def _body(status: int, detail: list[dict[str, Any]], headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(detail), status_code=status, media_type="application/json", headers=headers)


def _safe_str(x: object) -> str:
    # never let a lone surrogate reach the encoder
    return str(x).encode("utf-8", "backslashreplace").decode("utf-8")


def _loc_part(x: object) -> str | int:
    return x if isinstance(x, int) and not isinstance(x, bool) else _safe_str(x)


def validation_detail(errors: Sequence[Any], prefix: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """pydantic's errors as entries: msg, type and loc only (never the rejected input)."""
    detail = [
        {
            "msg": _safe_str(e.get("msg", "invalid input")),
            "type": _safe_str(e.get("type", "value_error")),
            "loc": [_loc_part(p) for p in (*prefix, *e.get("loc", ()))],
        }
        for e in errors
    ]
    return detail or [{"msg": "invalid request", "type": "value_error", "loc": list(prefix)}]


async def validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return _body(422, validation_detail(exc.errors()))


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    raw: Any = exc.detail
    detail: list[dict[str, Any]]
    if isinstance(raw, list) and all(isinstance(d, dict) and "msg" in d and "type" in d for d in raw):
        detail = raw
    else:
        detail = [{"msg": _safe_str(raw), "type": f"http.{exc.status_code}"}]
    try:
        return _body(exc.status_code, detail, headers=dict(exc.headers) if exc.headers else None)
    except TypeError:  # something unserialisable slipped into an extra field
        return _body(
            exc.status_code, [{"msg": _safe_str(d.get("msg")), "type": _safe_str(d.get("type"))} for d in detail]
        )


def describe(exc: Exception, query: bool = False) -> tuple[int, list[dict[str, Any]]] | None:
    """The status and error entries of a core exception (None: not one of ours, a bug). `query`: the
    request came in the query string (the GET exports), so `loc` says "query". Used by the handlers
    below and by the worker processes, which answer with the error body themselves."""
    if isinstance(exc, SourceError):
        detail = exc.as_detail()
        field = exc.field or ("output" if exc.type == "output" else "source",)  # overrides, paths: their own
        detail["loc"] = ["query" if query else "body", *field]
        return (413 if exc.type == "limit.source_bytes" else 422), [detail]
    if isinstance(exc, SpecError):
        return 422, [{"msg": _safe_str(exc), "type": exc.kind}]
    if isinstance(exc, LimitError):
        return (413 if exc.type == "limit.source_bytes" else 422), [{"msg": exc.msg, "type": exc.type, **exc.extra}]
    if isinstance(exc, ProgramError):
        return 422, [{**exc.as_detail(), "loc": ["body", "output" if exc.type == "output" else "source"]}]
    if isinstance(exc, GraphvizUnavailable):
        return 503, [{"msg": f"{exc}. DOT export (format=dot) still works.", "type": "graphviz.unavailable"}]
    if isinstance(exc, GraphvizError):
        return 422, [{"msg": _safe_str(exc), "type": "graphviz.failed"}]
    return None


def error_body(detail: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"detail": detail})


async def core_error(request: Request, exc: Exception) -> Response:
    described = describe(exc, query=request.method == "GET")
    if described is None:
        return await internal_error(request, exc)
    status, detail = described
    return _body(status, detail)


async def internal_error(_request: Request, _exc: Exception) -> Response:
    return _body(500, [{"msg": "internal error (a bug: please report it with the request)", "type": "internal"}])


_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _is_json(content_type: str) -> bool:
    """application/json or any +json type, parameters (charset) ignored: what FastAPI parses as JSON."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


PAGE_EXPORT = "/api/v1/export/page"


class BodyLimit:
    """Pure-ASGI: read the request body up to the limit, reject it early (413) or when it is not strict JSON (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        page = scope["path"] == PAGE_EXPORT  # the one body that carries a whole laid-out graph
        name = "max_page_body_bytes" if page else "max_body_bytes"
        limit: int = getattr(settings, name)
        headers = dict(scope.get("headers") or ())
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        is_json = _is_json(content_type)
        to_api = scope["path"].startswith("/api/")
        if to_api and content_type and not is_json:
            await self.not_json(scope, receive, send, content_type)
            return
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = -1
            if declared < 0:
                await _body(400, [{"msg": "invalid Content-Length header", "type": "http.400"}])(scope, receive, send)
                return
            if declared > limit:
                await self.too_large(scope, receive, send, limit, name)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self.too_large(scope, receive, send, limit, name)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if to_api and body and not is_json:
            await self.not_json(scope, receive, send, content_type)
            return
        if body and is_json:
            try:
                orjson.loads(body)
            except orjson.JSONDecodeError as e:
                msg = f"the body is not valid JSON ({_safe_str(e.msg)} at line {e.lineno}, column {e.colno})"
                detail = [{"msg": msg, "type": "json_invalid", "loc": ["body"], "line": e.lineno, "column": e.colno}]
                await _body(422, detail)(scope, receive, send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def not_json(scope: Scope, receive: Receive, send: Send, content_type: str) -> None:
        got = f"this request's is {_safe_str(content_type)!r}" if content_type else "this request has none"
        msg = f"the body must be JSON: send Content-Type: application/json ({got})"
        await _body(415, [{"msg": msg, "type": "content_type", "loc": ["header", "content-type"]}])(
            scope, receive, send
        )

    @staticmethod
    async def too_large(scope: Scope, receive: Receive, send: Send, limit: int, name: str) -> None:
        msg = f"the request body is larger than the {name} limit of {limit} bytes"
        await _body(413, [{"msg": msg, "type": "limit.body_bytes", "limit": limit}])(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers and the body middleware on `app`."""
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for kind in (SourceError, SpecError, LimitError, ProgramError, GraphvizUnavailable, GraphvizError):
        app.add_exception_handler(kind, core_error)
    app.add_exception_handler(Exception, internal_error)
    app.add_middleware(BodyLimit)
