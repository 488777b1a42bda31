"""What every route shares: strict request models, the limits dependency, orjson responses,
and running a pipeline job in a worker process (gradwalk.api.workers) or, when it is
small, right here."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict

from ..limits import Limits
from ..pipeline import Input, Job
from ..trace import dumps
from .settings import get_limits, get_settings
from .workers import POOL, Body, Disconnected, Reply, Task

T = TypeVar("T")

LimitsDep = Annotated[Limits, Depends(get_limits)]


class StrictModel(BaseModel):
    """Request bodies are read strictly: no NaN/Infinity, no "3" or true for an int, no unknown fields."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")


def api_error(status: int, msg: str, type_: str, **extra: Any) -> HTTPException:
    """An error in the one shape clients handle: {"detail": [{"msg", "type", ...}]}."""
    return HTTPException(status_code=status, detail=[{"msg": msg, "type": type_, **extra}])


def json_response(body: Any, status_code: int = 200) -> Response:
    return Response(content=dumps(body), status_code=status_code, media_type="application/json")


async def compute(fn: Callable[..., T], *args: Any, small: bool = False, limiter: CapacityLimiter) -> T:
    """Run fn(*args) in a thread bounded by `limiter` (work that waits, such as a Python program on its
    sandbox process), or right here when the caller knows it is `small` (well under a millisecond)."""
    if small:
        return fn(*args)
    return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)


def accepts_gzip(request: Request) -> bool:
    """The client's Accept-Encoding takes gzip (or *) with a q above 0."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, *params = [x.strip() for x in part.split(";")]
        if coding in ("gzip", "*"):
            q = 1.0
            for param in params:
                if param.startswith("q="):
                    try:
                        q = float(param[2:])
                    except ValueError:
                        q = 0.0
            return q > 0
    return False


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """openapi_extra for a route that reads its JSON body itself (to validate it in a worker):
    the body is still documented as `model` (main.py adds the model to the schema's components)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


def task_for(request: Request, inp: Input | Body, limits: Limits, **fields: Any) -> Task:
    """A worker task for this request: its deadline counts from now, it is gzipped when the client accepts it."""
    gzipped = accepts_gzip(request) and not fields.get("stream")  # NDJSON lines go out as they come
    return Task(inp, limits, time.monotonic() + limits.time_seconds, gzip=gzipped, **fields)


def start_pool() -> None:
    settings = get_settings()
    POOL.start(settings.workers, settings.worker_memory_bytes, settings.worker_recycle_bytes)


def reply_response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=reply.headers)


async def worked(request: Request, task: Task) -> Response:
    """The task's response, computed in a worker process; stopped when the client disconnects."""
    if not POOL.running:
        start_pool()
    try:
        reply = await POOL.run(task, request.is_disconnected)
    except Disconnected:
        return Response(status_code=499)  # nobody reads it: the access log shows the client left
    return reply_response(reply)


async def graph_response(job: Job, small: bool = False, *, limiter: CapacityLimiter) -> Response:
    """The job's response dict as a JSON response, computed in a thread (bounded by `limiter`) or here."""
    body = await compute(lambda: dumps(job.run()), small=small, limiter=limiter)
    return Response(content=body, media_type="application/json")
