"""HTTP hygiene (docs/api.md, HTTP): API paths answer 404/405 in the error shape, the page only
under its own paths, security and cache headers everywhere, and the uvicorn settings
(read timeout, header limit, malformed requests, no `server` header) on a live server."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from gradwalk.api.headers import API_CSP, PAGE_CSP
from gradwalk.api.main import app, create_app
from gradwalk.api.settings import get_settings
from tests import live

client = TestClient(app)


def _error(r: object, status: int) -> dict[str, object]:
    assert r.status_code == status, (r.status_code, r.text)  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    (entry,) = r.json()["detail"]  # type: ignore[attr-defined]
    assert entry["type"] == f"http.{status}" and entry["msg"]
    return entry  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/v1/mlp", "POST"),
        ("DELETE", "/api/v1/mlp", "POST"),
        ("PUT", "/api/v1/expression", "POST"),
        ("POST", "/api/v1/ops", "GET"),
        ("POST", "/healthz", "GET"),
        ("POST", "/api/v1/export/expression.svg", "GET"),
    ],
)
def test_a_known_path_with_the_wrong_method_is_405_with_allow(method: str, path: str, allow: str) -> None:
    r = client.request(method, path, json={})
    _error(r, 405)
    assert sorted(m.strip() for m in r.headers["allow"].split(",")) == sorted(allow.split(", "))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/nope"),
        ("GET", "/api/v1/nope"),
        ("GET", "/api/v2/mlp"),
        ("GET", "/nope"),
        ("GET", "/js/nope.js"),
    ],
)
def test_an_unknown_path_is_404_in_the_error_shape(method: str, path: str) -> None:
    _error(client.request(method, path, json={} if method == "POST" else None), 404)


def test_head_healthz_is_200() -> None:
    r = client.head("/healthz")
    assert r.status_code == 200 and r.content == b""
    assert client.get("/healthz").json() == {"status": "ok"}


def test_the_page_and_its_assets_are_served_at_their_paths() -> None:
    for path in ("/", "/index.html"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html") and "<html" in r.text
    r = client.get("/js/api.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert client.get("/css/app.css").status_code == 200
    assert client.head("/").status_code == 200


def test_security_and_cache_headers_on_every_response() -> None:
    for path in ("/", "/js/api.js", "/healthz", "/api/v1/ops", "/api/v1/nope", "/docs", "/openapi.json"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path
        assert "content-security-policy" in r.headers, path
        assert "x-frame-options" not in r.headers, path  # the page may be embedded
        assert "frame-ancestors *" in r.headers["content-security-policy"], path
    page = client.get("/")
    assert page.headers["content-security-policy"] == PAGE_CSP and page.headers["cache-control"] == "no-cache"
    assert "etag" in client.get("/js/api.js").headers  # revalidated, not refetched
    api = client.post("/api/v1/expression", json={"source": "a = 2.0; b = a*a"})
    assert api.headers["content-security-policy"] == API_CSP and api.headers["cache-control"] == "no-store"
    bad = client.post("/api/v1/expression", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 422 and bad.headers["x-content-type-options"] == "nosniff"


def test_svg_exports_are_sandboxed() -> None:
    r = client.get("/api/v1/export/expression.dot", params={"source": "a = 2.0; b = a*a"})
    assert r.status_code == 200 and r.headers["content-security-policy"] == API_CSP
    r = client.post("/api/v1/export/expression?format=svg", json={"source": "a = 2.0; b = a*a"})
    if r.status_code == 503:  # no Graphviz here: the 503 is JSON, so the API policy
        assert r.headers["content-security-policy"] == API_CSP
    else:
        assert r.status_code == 200 and r.headers["content-security-policy"] == "sandbox"


# ---------------------------------------------------------------- a live server: uvicorn's side


@pytest.fixture(scope="module")
def server() -> Iterator[live.Live]:
    with live.serving({"GRADWALK_HTTP_READ_TIMEOUT_SECONDS": "1", "GRADWALK_HTTP_MAX_HEADER_BYTES": "8192"}) as s:
        yield s


def _status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, orjson.loads(body)


@pytest.mark.parametrize("length", [b"-1", b"abc", b"1, 2", b"99999999999999999999999"])
def test_a_malformed_content_length_gets_the_error_shape(server: live.Live, length: bytes) -> None:
    raw = server.raw(
        b"POST /api/v1/mlp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
        + length
        + b"\r\n\r\n{}"
    )
    status, body = _status_and_body(raw)
    assert status in (400, 413), raw
    assert body["detail"][0]["type"] in ("http.400", "limit.body_bytes")  # type: ignore[index]


@pytest.mark.parametrize(
    "headers", [b"X-Big: " + b"a" * 9000 + b"\r\n", b"".join(b"X-%d: 1\r\n" % i for i in range(10_000))]
)
def test_headers_over_the_limit_are_refused(server: live.Live, headers: bytes) -> None:
    status, body = _status_and_body(server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n"))
    assert status in (400, 431) and body["detail"][0]["type"] in ("http.400", "http.431")  # type: ignore[index]


def test_no_server_header_and_the_security_headers(server: live.Live) -> None:
    raw = server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = raw.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 200") and b"\r\nserver:" not in head
    assert b"x-content-type-options: nosniff" in head


@pytest.mark.parametrize(
    "request_",
    [
        b"",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        b"POST /api/v1/expression HTTP/1.1\r\nHost: x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"so',
    ],
    ids=["idle", "partial-headers", "trickled-body"],
)
def test_slow_or_idle_connections_are_closed_after_the_read_timeout(server: live.Live, request_: bytes) -> None:
    started = time.monotonic()
    raw = server.raw(request_, timeout=20)  # returns when the server closes the connection
    took = time.monotonic() - started
    assert 0.9 <= took < 10, took  # the setting is 1 s; a loaded machine may be slow to close
    if raw:
        assert _status_and_body(raw)[0] == 408


def test_the_page_folder_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "index.html").write_text("<html>elsewhere</html>")
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "x.js").write_text("export {}")
    monkeypatch.setenv("GRADWALK_FRONTEND_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        other = TestClient(create_app())
        assert other.get("/").text == "<html>elsewhere</html>" and other.get("/js/x.js").status_code == 200
        assert other.get("/css/app.css").status_code == 404
    finally:
        monkeypatch.delenv("GRADWALK_FRONTEND_DIR")
        get_settings.cache_clear()


def test_assets_come_from_memory_with_etags_and_an_edited_file_is_served_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page"
    (page / "js").mkdir(parents=True)
    (page / "index.html").write_text("<html></html>")
    (page / "js" / "x.js").write_text("export const a = 1;")
    (tmp_path / "secret.txt").write_text("not an asset")
    monkeypatch.setenv("GRADWALK_FRONTEND_DIR", str(page))
    get_settings.cache_clear()
    try:
        other = TestClient(create_app())
        first = other.get("/js/x.js")
        assert first.text == "export const a = 1;" and "javascript" in first.headers["content-type"]
        etag = first.headers["etag"]
        again = other.get("/js/x.js", headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""  # revalidated, not refetched
        head = other.head("/js/x.js")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(first.content))
        (page / "js" / "x.js").write_text("export const a = 22;")
        os.utime(page / "js" / "x.js", ns=(time.time_ns(), time.time_ns() + 10**9))  # a new mtime, however coarse
        edited = other.get("/js/x.js", headers={"if-none-match": etag})
        assert edited.status_code == 200 and edited.text == "export const a = 22;" and edited.headers["etag"] != etag
        for spelling in ("/js/./x.js", "/js/y/../x.js", "/js//x.js"):  # one file, one cache entry
            assert other.get(spelling).text == "export const a = 22;"
        (js,) = [r.app for r in other.app.routes if getattr(r, "path", "") == "/js"]  # type: ignore[attr-defined]
        assert len(js.cache) == 1
        for path in ("/js/..%2F..%2Fsecret.txt", "/js/nope.js", "/js/", "/js/x%00.js"):  # nothing outside the folder
            _error(other.get(path), 404)
        r = other.post("/js/x.js")
        _error(r, 405)
        assert r.headers["allow"] == "GET, HEAD"
    finally:
        monkeypatch.delenv("GRADWALK_FRONTEND_DIR")
        get_settings.cache_clear()


def test_past_the_connection_limit_the_answer_is_503_in_the_error_shape() -> None:
    with live.serving({"GRADWALK_HTTP_MAX_CONNECTIONS": "3"}) as s:
        idle = [s.connect() for _ in range(3)]  # open, silent: they count
        try:
            time.sleep(0.3)
            status, body = _status_and_body(s.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            assert status == 503 and body["detail"][0]["type"] == "http.503"  # type: ignore[index]
            assert "http_max_connections" in body["detail"][0]["msg"]  # type: ignore[index]
        finally:
            for c in idle:
                c.close()
        time.sleep(0.3)
        status, body = _status_and_body(s.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        assert status == 200 and body == {"status": "ok"}
