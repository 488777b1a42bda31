"""What every route shares: strict request models, the error shape, orjson responses,
and running CPU-bound work off the event loop on a private tape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import HTTPException, Response
from pydantic import BaseModel, ConfigDict

from ..tape import fresh_tape
from ..trace import dumps
from .settings import get_settings

T = TypeVar("T")


class StrictModel(BaseModel):
    """Request bodies are read strictly: no NaN/Infinity, no "3" or true for an int, no unknown fields."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="forbid")


def api_error(status: int, msg: str, type_: str, **extra: Any) -> HTTPException:
    """An error in the one shape clients handle: {"detail": [{"msg", "type", ...}]}."""
    return HTTPException(status_code=status, detail=[{"msg": msg, "type": type_, **extra}])


def json_response(body: Any, status_code: int = 200) -> Response:
    return Response(content=dumps(body), status_code=status_code, media_type="application/json")


_limiter: CapacityLimiter | None = None


async def compute(fn: Callable[..., T], *args: Any, small: bool = False) -> T:
    """Run fn(*args) on a fresh tape: in a worker thread, so the event loop stays free,
    or right here when the caller knows the work is `small` (well under a millisecond:
    the hop to a thread and back would cost more than the work)."""
    global _limiter

    def on_fresh_tape() -> T:
        with fresh_tape():
            return fn(*args)

    if small:
        return on_fresh_tape()
    if _limiter is None:
        _limiter = CapacityLimiter(get_settings().worker_threads)
    return await anyio.to_thread.run_sync(on_fresh_tape, limiter=_limiter)
