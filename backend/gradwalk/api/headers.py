"""Security and cache headers on every response (docs/api.md, HTTP).

A pure-ASGI middleware, so it also covers the static files, /docs and the error
bodies written before a route runs. What each response gets:

- every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`;
- the page and its assets: a Content-Security-Policy that loads only same-origin
  scripts, styles, images and API calls, and `frame-ancestors *` (the page may be
  embedded in an iframe); `Cache-Control: no-cache` (revalidated with the ETag: the
  assets have no hashed names);
- /docs: the same, with Swagger UI's inline bootstrap script allowed;
- the API and /healthz: `Content-Security-Policy: default-src 'none'; frame-ancestors *`
  (SVG exports: `sandbox`, so an SVG opened on its own runs nothing; the standalone page of the
  html export: inline script and style only, in a sandbox with scripts) and
  `Cache-Control: no-store`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The page's one inline handler (`onsubmit="return false"` on the MLP form), allowed by its hash.
_RETURN_FALSE = "'sha256-GZIcz60Uwd6wT3vaYke/atSr53TehbYAPepOa3d03Vw='"
PAGE_CSP = (
    "default-src 'self'; "
    f"script-src 'self' 'unsafe-hashes' {_RETURN_FALSE}; "
    "style-src 'self' 'unsafe-inline'; "  # the graph's boxes are sized with style attributes
    "img-src 'self' data: blob:; "
    "connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors *"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors *"
)
API_CSP = "default-src 'none'; frame-ancestors *"
# The standalone page (export format html): its script and style are inline and it calls nothing;
# `sandbox allow-scripts` runs it in an origin of its own, away from this service's.
STANDALONE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
    "sandbox allow-scripts allow-downloads; frame-ancestors *"
)
SVG_CSP = "sandbox"

_COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz" or path == "/openapi.json"


class SecurityHeaders:
    """Add the headers above to each `http.response.start`, keeping any the app set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = _is_api(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"image/svg+xml"):
                    csp = SVG_CSP
                elif api and content_type.startswith(b"text/html"):
                    csp = STANDALONE_CSP
                elif api:
                    csp = API_CSP
                elif path == "/docs" or path.startswith("/docs/"):
                    csp = DOCS_CSP
                else:
                    csp = PAGE_CSP
                extra = [
                    *_COMMON,
                    (b"content-security-policy", csp.encode()),
                    (b"cache-control", b"no-store" if api else b"no-cache"),
                ]
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
