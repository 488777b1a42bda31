"""Liveness: answers without touching the engine, so it stays fast while big graphs compute."""

from fastapi import APIRouter

router = APIRouter(tags=["service"])


@router.get("/healthz", summary="Liveness probe")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


# HEAD too (load balancers probe with it); one documented operation is enough
router.add_api_route("/healthz", healthz, methods=["HEAD"], include_in_schema=False)
