"""The FastAPI application: routers, error handlers, the static frontend.

    uvicorn gradwalk.api.main:app     (what `make run`, the Dockerfile and compose run)
"""

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..programs.sandbox import POOL
from . import docs, errors
from .routes import export, expression, health, mlp, python
from .settings import get_settings

FRONTEND_DIR = Path(__file__).resolve().parents[3] / "frontend"


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Everything imported so far lives for the whole process: move it out of the
    # collector's sight so full collections stay short under load.
    gc.collect()
    gc.freeze()
    # Worker threads compute big graphs while the loop answers small requests: hand
    # the GIL over every 1 ms instead of 5 ms so /healthz and small requests stay quick.
    sys.setswitchinterval(0.001)
    # Python programs run in pydantic-monty worker processes: the pool lives as long as the app.
    POOL.start(get_settings().max_programs)
    try:
        yield
    finally:
        POOL.stop()


def create_app() -> FastAPI:
    app = FastAPI(
        title="gradwalk",
        version=__version__,
        summary="Backpropagation, one step at a time: micrograd-style Value graphs with their forward and backward"
        " traces.",
        lifespan=lifespan,
        docs_url=None,  # docs.install serves it from local assets
        redoc_url=None,
    )
    errors.install(app)
    origins = get_settings().cors_origins
    if origins:  # off by default: the page is same-origin; other sites' scripts are let in only when configured
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"], allow_headers=["*"])
    docs.install(app)
    app.include_router(health.router)
    app.include_router(expression.router)
    app.include_router(mlp.router)
    app.include_router(python.router)
    app.include_router(export.router)
    if FRONTEND_DIR.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend")
    return app


app = create_app()
