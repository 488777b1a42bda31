"""Liveness: answers without touching the engine, so it stays fast while big graphs compute."""

from fastapi import APIRouter

router = APIRouter(tags=["service"])


@router.get("/healthz", summary="Liveness probe")
def healthz() -> dict[str, str]:
    return {"status": "ok"}
