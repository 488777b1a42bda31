"""The FastAPI application: routers, error handlers, the static frontend.

    python -m gradwalk.api.serve      (what `make run`, the Dockerfile and compose run: uvicorn
                                       with the HTTP settings of docs/api.md)

The page is served at `/` and its assets only under their own folders (`/css/`, `/js/`,
...): every other path is the API's, so an unknown one is a JSON 404 and a known one
with the wrong method a 405 with `Allow`.
"""

import gc
import logging
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from pydantic import BaseModel

from .. import __version__
from ..programs.sandbox import POOL as SANDBOX
from ..standalone import FRONTEND_DIR
from . import docs, errors, headers
from .assets import Assets
from .common import start_pool
from .routes import export, expression, health, mlp, python
from .routes.mlp import MLPRequest
from .settings import get_limits, get_settings
from .workers import POOL as WORKERS


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Everything imported so far lives for the whole process: move it out of the
    # collector's sight so full collections stay short under load.
    gc.collect()
    gc.freeze()
    # Worker threads compute big graphs while the loop answers small requests: hand
    # the GIL over every 1 ms instead of 5 ms so /healthz and small requests stay quick.
    sys.setswitchinterval(0.001)
    # Heavy requests run in worker processes, Python programs in pydantic-monty's: both live as long as the app.
    start_pool()
    SANDBOX.start(get_settings().max_programs)
    # The examples' layouts, ready before a class runs them all at once (a thread: start-up does not wait).
    threading.Thread(target=expression.warm_layouts, args=(get_limits(),), name="warm-layouts", daemon=True).start()
    try:
        yield
    finally:
        WORKERS.stop()
        SANDBOX.stop()


def log_to_stderr() -> None:
    """The service's own lines (a training stopped because its client left, a worker's failure)
    on stderr beside uvicorn's, from INFO up; Python alone would print only warnings and errors."""
    log = logging.getLogger("gradwalk")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # a root handler (basicConfig, a --log-config) would print each line twice


def create_app() -> FastAPI:
    log_to_stderr()
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
    _document_bodies(app, [MLPRequest])
    frontend = Path(get_settings().frontend_dir or FRONTEND_DIR)  # the package's own copy by default
    if frontend.is_dir():
        install_frontend(app, frontend)
    app.add_middleware(headers.SecurityHeaders)
    return app


def _document_bodies(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add the request models that routes read themselves (body_schema) to the schema's components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                js = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(js.pop("$defs", {}))
                components[model.__name__] = js
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_frontend(app: FastAPI, frontend: Path) -> None:
    """The page at `/` (and its top-level files by name), each asset folder at its own path."""
    for folder in sorted(p for p in frontend.iterdir() if p.is_dir() and not p.name.startswith(".")):
        app.mount(f"/{folder.name}", Assets(folder), name=f"frontend-{folder.name}")
    files = {p.name: p for p in frontend.iterdir() if p.is_file() and not p.name.startswith(".")}
    if "index.html" in files:
        files[""] = files["index.html"]
    for name, path in sorted(files.items()):
        app.add_api_route(f"/{name}", _file_route(path), methods=["GET", "HEAD"], include_in_schema=False)


def _file_route(path: Path) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(path)

    return serve


app = create_app()
