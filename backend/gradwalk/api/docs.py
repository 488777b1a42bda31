"""/docs that works offline: Swagger UI's JS and CSS served by the app from the
swagger-ui-py package (the `server` extra), not from FastAPI's default CDN.

ReDoc has no such package, so /redoc is off; /openapi.json is unchanged.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/static"


def swagger_ui_dir() -> Path | None:
    """swagger-ui-py's static folder, found without importing the package (it imports jinja2 and more)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "static"
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def install(app: FastAPI) -> None:
    """Add /docs (the app is made with docs_url=None) on local assets; without swagger-ui-py, on the CDN's."""
    static = swagger_ui_dir()
    if static is None:
        logging.getLogger(__name__).warning("swagger-ui-py is not installed: /docs loads Swagger UI from a CDN")
    else:
        app.mount(ASSETS, StaticFiles(directory=static), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        openapi_url = root + (app.openapi_url or "/openapi.json")
        title = f"{app.title} - API docs"
        if static is None:
            return get_swagger_ui_html(openapi_url=openapi_url, title=title, oauth2_redirect_url=None)
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=None,
        )
