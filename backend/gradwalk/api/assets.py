"""The page's asset folders (css/, js/, ...) served from memory.

A classroom opening the page at once asks for every module of js/ fifty times in the same
second; StaticFiles answers each with a stat, an open and chunked reads, every one a hop to
a thread, all on the event loop that also answers the lecture example. Here a file is read
once (and again when its modification time changes, so an edited file is served at once),
and a request costs a stat and a dict lookup. ETags make a browser's revalidation a 304.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path
from typing import NamedTuple

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send


class Asset(NamedTuple):
    version: tuple[int, int]  # (mtime in ns, size): a write within the clock's tick still changes the size
    body: bytes
    etag: str
    media_type: str


class Assets:
    """An ASGI app for one folder: GET and HEAD of the files in it (sub-folders included)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.cache: dict[Path, Asset] = {}  # by the file's real path: one entry per file, however it is spelled

    def lookup(self, name: str) -> Asset | None:
        try:
            path = (self.folder / name).resolve()
            if not path.is_relative_to(self.folder) or not path.is_file():  # `..` out of the folder, a folder
                return None
            st = os.stat(path)
        except (OSError, ValueError):  # ValueError: a NUL in the name
            return None
        version = (st.st_mtime_ns, st.st_size)
        asset = self.cache.get(path)
        if asset is None or asset.version != version:
            body = path.read_bytes()
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if media_type.startswith("text/") or media_type in ("application/javascript", "text/javascript"):
                media_type += "; charset=utf-8"
            asset = self.cache[path] = Asset(version, body, f'"{hashlib.md5(body).hexdigest()}"', media_type)
        return asset

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # a websocket to an asset folder
            raise HTTPException(404)
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        root, path = scope.get("root_path", ""), scope["path"]
        name = path[len(root) :] if root and path.startswith(root) else path
        asset = self.lookup(name.lstrip("/"))
        if asset is None:
            raise HTTPException(404)
        fresh = asset.etag in Headers(scope=scope).get("if-none-match", "")
        headers = [(b"etag", asset.etag.encode()), (b"content-type", asset.media_type.encode())]
        if fresh:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(asset.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else asset.body})

