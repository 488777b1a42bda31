"""The service around the routes: /docs served offline, CORS off by default and on when configured,
a body not sent as JSON answered with a 415 that says so, settings building the core's Limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields

import pytest
from fastapi.testclient import TestClient

from gradwalk.api.main import app, create_app
from gradwalk.api.settings import Settings, get_settings
from gradwalk.limits import Limits

client = TestClient(app)


def test_docs_loads_only_same_origin_assets() -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and "SwaggerUIBundle" in r.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', r.text) + re.findall(r"url: '([^']+)'", r.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert not re.search(r"https?://", r.text)
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url
    assert client.get("/docs/static/swagger-ui-bundle.js").headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )


def test_cors_is_off_by_default() -> None:
    r = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    r = client.options(
        "/api/v1/expression",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers


@pytest.fixture
def cors_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("GRADWALK_CORS_ORIGINS", "https://notebook.example, https://lab.example")
    get_settings.cache_clear()
    try:
        yield TestClient(create_app())
    finally:
        monkeypatch.delenv("GRADWALK_CORS_ORIGINS")
        get_settings.cache_clear()


def test_cors_on_when_configured(cors_client: TestClient) -> None:
    origin = {"Origin": "https://lab.example"}
    r = cors_client.post("/api/v1/expression", json={"source": "a = 2.0; b = a*a"}, headers=origin)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://lab.example"
    r = cors_client.options(
        "/api/v1/expression",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://lab.example"
    r = cors_client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_origins_read_as_a_list_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADWALK_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("GRADWALK_CORS_ORIGINS", "*")
    assert Settings().cors_origins == ["*"]
    monkeypatch.delenv("GRADWALK_CORS_ORIGINS")
    assert Settings().cors_origins == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_sent_as_json_is_415_saying_so(content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    for path in ("/api/v1/expression", "/api/v1/mlp", "/api/v1/export/expression?format=dot"):
        r = client.post(path, content=b'{"source": "a = 1"}', headers=headers)
        assert r.status_code == 415, (path, r.text)
        (entry,) = r.json()["detail"]
        assert entry["type"] == "content_type" and entry["loc"] == ["header", "content-type"]
        assert entry["msg"].startswith("the body must be JSON: send Content-Type: application/json")
        assert (content_type or "has none") in entry["msg"]


def test_json_content_types_with_parameters_are_json() -> None:
    for content_type in ("application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"):
        r = client.post("/api/v1/expression", content=b'{"source": "a = 1"}', headers={"content-type": content_type})
        assert r.status_code == 200, (content_type, r.text)


def test_settings_build_the_core_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().limits() == Limits()  # one set of defaults
    monkeypatch.setenv("GRADWALK_EXPORT_MAX_NODES", "12")
    monkeypatch.setenv("GRADWALK_DOT_TIMEOUT_SECONDS", "2.5")
    limits = Settings().limits()
    assert limits.export_max_nodes == 12 and limits.dot_timeout_seconds == 2.5
    assert {f.name for f in fields(Limits)} <= set(Settings.model_fields)
