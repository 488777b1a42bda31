"""What every route shares: strict request models, the limits dependency, orjson responses,
and running a pipeline job off the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Response
from pydantic import BaseModel, ConfigDict

from ..limits import Limits
from ..pipeline import Job
from ..trace import dumps
from .settings import get_limits, get_settings

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


_limiter: CapacityLimiter | None = None


async def compute(
    fn: Callable[..., T], *args: Any, small: bool = False, limiter: CapacityLimiter | None = None
) -> T:
    """Run fn(*args) in a worker thread, so the event loop stays free, or right here when
    the caller knows the work is `small` (well under a millisecond: the hop to a thread
    and back would cost more than the work). `limiter` bounds how many run at once
    (default: `worker_threads`)."""
    global _limiter
    if small:
        return fn(*args)
    if limiter is None:
        if _limiter is None:
            _limiter = CapacityLimiter(get_settings().worker_threads)
        limiter = _limiter
    return await anyio.to_thread.run_sync(fn, *args, limiter=limiter)


def _encoded(job: Job) -> bytes:
    # encoded in the worker too: a 30,000-node graph is ~10 MB of JSON, too long to build on the event loop
    return dumps(job.run())


async def graph_response(job: Job, small: bool = False, limiter: CapacityLimiter | None = None) -> Response:
    """The job's response dict as a JSON response, computed off the event loop unless `small`."""
    body = await compute(_encoded, job, small=small, limiter=limiter)
    return Response(content=body, media_type="application/json")
