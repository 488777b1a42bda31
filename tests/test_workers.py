"""Heavy work in worker processes (docs/api.md, Workers): the deadline answers 422 limit.time at
the deadline, abandoned requests free their workers within a second, SIGTERM exits within 5 s
with work in flight, MLP training streams its progress, and bodies are gzipped when accepted."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from gradwalk import pipeline
from gradwalk.api.main import app
from gradwalk.api.settings import get_settings
from gradwalk.limits import LimitError, Limits
from tests import live

client = TestClient(app)

# 784-64-10 on one sample: 153,413 nodes, ~0.4 s per SGD step here; 12 steps is inside max_work
HEAVY: dict[str, Any] = {
    "nin": 784,
    "layers": [64, 10],
    "activation": "relu",
    "output_activation": "linear",
    "loss": "cross_entropy",
    "inputs": [[0.5] * 784],
    "targets": [3],
    "steps": 12,
    "seed": 1,
}
# Training runs on numpy (gradwalk.vectorised): what takes seconds is many steps over many samples.
# SLOW: ~2.5 s of training here, inside the default max_work; LONG: about a minute, for the live
# server below, started with a larger max_work. Both draw the graph of one sample only.
SLOW: dict[str, Any] = {
    "dataset": "digits", "nin": 64, "layers": [16, 10], "activation": "relu", "output_activation": "linear",
    "loss": "cross_entropy", "batch_size": 64, "learning_rate": 0.1, "steps": 6_000, "seed": 1, "graph_samples": 1,
}  # fmt: skip
LONG = {**SLOW, "layers": [256, 10], "steps": 10_000}
SMALL: dict[str, Any] = {"nin": 3, "layers": [4, 4, 1], "dataset": "seeds", "steps": 2, "seed": 1}


def _raw_post(path: str, body: dict[str, Any]) -> bytes:
    data = orjson.dumps(body)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


# ---------------------------------------------------------------- the deadline, in the core


def test_the_deadline_stops_training_between_steps() -> None:
    # numpy trains a step of 784-64-10 in well under a millisecond: 10,000 steps outlast 0.05 s
    spec = pipeline.MLPSpec(**{k: v for k, v in HEAVY.items()} | {"steps": 10_000})
    job = pipeline.plan(spec, Limits(max_work=10**12, time_seconds=0.05))
    t = time.monotonic()
    with pytest.raises(LimitError) as e:
        job.run()
    assert e.value.type == "limit.time" and e.value.extra["limit"] == 0.05
    assert time.monotonic() - t < 5  # one step past the deadline, not 10,000


def test_the_deadline_is_checked_per_statement_and_layout_pass() -> None:
    source = "\n".join(f"x{i} = {i}.5 * 2" for i in range(2_000))
    with pytest.raises(LimitError, match="time_seconds") as e:
        pipeline.plan(pipeline.Expression(source), Limits(time_seconds=0.0)).run()
    assert e.value.type == "limit.time"
    graph = pipeline.respond(pipeline.Expression("a = 2.0; b = a*a"))
    from gradwalk.layout.layered import layered_layout
    from gradwalk.layout.views import full_drawing
    from gradwalk.progress import watching

    with watching(0.0), pytest.raises(LimitError):
        layered_layout(full_drawing(graph))


def test_progress_is_reported_per_step() -> None:
    seen: list[tuple[int, float]] = []
    spec = pipeline.MLPSpec(**SMALL | {"steps": 5})
    body = pipeline.plan(spec).run(on_progress=lambda step, loss: seen.append((step, loss)))
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5]
    assert [loss for _, loss in seen] == body["history"][:5]


# ---------------------------------------------------------------- through the service


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "time_seconds", 1.0)


def test_a_request_past_the_deadline_is_422_limit_time_at_the_deadline(short_deadline: None) -> None:
    t = time.monotonic()
    r = client.post("/api/v1/mlp", json=SLOW)  # ~2.5 s of training here
    took = time.monotonic() - t
    assert r.status_code == 422, r.text[:300]
    (entry,) = r.json()["detail"]
    assert entry["type"] == "limit.time" and entry["limit"] == 1.0 and "time_seconds" in entry["msg"]
    assert 0.9 < took < 4.0, took
    assert client.post("/api/v1/mlp", json=SMALL).status_code == 200  # the pool carries on


def test_an_export_past_the_deadline_is_422_limit_time(short_deadline: None) -> None:
    # a graph of one sample, under export_max_nodes; seconds of training before it is drawn
    r = client.post("/api/v1/export/mlp?format=dot", json=SLOW)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "limit.time", r.text[:300]


def test_responses_are_gzipped_when_the_client_accepts_it() -> None:
    plain = client.post("/api/v1/mlp", json=SMALL, headers={"accept-encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    with client.stream("POST", "/api/v1/mlp", json=SMALL, headers={"accept-encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "accept-encoding"
        compressed = b"".join(r.iter_raw())  # as sent, not decoded
    assert orjson.loads(gzip.decompress(compressed)) == plain.json()
    assert len(compressed) < len(plain.content) / 3


def test_mlp_training_streams_progress_then_the_result() -> None:
    spec = SLOW  # seconds of training: progress lines every 0.1-0.2 s
    arrivals: list[float] = []
    lines: list[dict[str, Any]] = []
    with client.stream("POST", "/api/v1/mlp", json=spec, headers={"accept": "application/x-ndjson"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        for line in r.iter_lines():
            arrivals.append(time.monotonic())
            lines.append(orjson.loads(line))
    *progress, result = lines
    assert result["event"] == "result" and len(result["history"]) == SLOW["steps"] + 1
    assert progress[0] == {"event": "progress", "step": 0, "loss": None}
    steps = [p["step"] for p in progress]
    assert all(p["event"] == "progress" for p in progress) and steps == sorted(steps) and steps[-1] > 10
    for p in progress:  # heartbeats repeat the last line, the step-0 one too when the first step is slow
        if p["step"] == 0:
            assert p["loss"] is None
        else:
            assert p["loss"] == result["history"][p["step"] - 1]  # the loss before update `step`
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert max(gaps) < 1.5, gaps  # a line every 0.1-0.2 s; generous for a loaded machine
    plain = client.post("/api/v1/mlp", json=spec).json()
    assert {k: v for k, v in result.items() if k != "event"} == plain


def test_a_stream_refused_before_training_is_an_ordinary_error() -> None:
    r = client.post("/api/v1/mlp", json={**SMALL, "layers": [4, 0, 1]}, headers={"accept": "application/x-ndjson"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "invalid_spec"


def test_a_stream_past_the_deadline_ends_with_an_error_line(short_deadline: None) -> None:
    with client.stream("POST", "/api/v1/mlp", json=SLOW, headers={"accept": "application/x-ndjson"}) as r:
        lines = [orjson.loads(line) for line in r.iter_lines()]
    assert lines[0]["event"] == "progress"
    assert lines[-1]["event"] == "error" and lines[-1]["detail"][0]["type"] == "limit.time"


# ---------------------------------------------------------------- a live server: disconnects, SIGTERM


@pytest.fixture
def server() -> Iterator[live.Live]:
    with live.serving({"GRADWALK_WORKERS": "2", "GRADWALK_MAX_WORK": str(10**13)}) as s:
        yield s


def test_abandoned_heavy_requests_free_their_workers_within_a_second(server: live.Live) -> None:
    """4 heavy requests on 2 workers, the clients gone: a request needing a worker is answered at once."""
    socks: list[socket.socket] = []
    for _ in range(4):
        s = server.connect()
        s.sendall(_raw_post("/api/v1/mlp", LONG))
        socks.append(s)
    time.sleep(1.5)  # two train, two wait for a worker
    for s in socks:
        s.close()
    gone = time.monotonic()
    with httpx.Client(base_url=server.url, timeout=60) as http:
        r = http.post("/api/v1/mlp", json=SMALL)
    took = time.monotonic() - gone
    assert r.status_code == 200
    # ~0.1 s to notice, a fork to replace, the small request itself; the heavy work had most of a minute left
    assert took < 1.0, took  # 0.12-0.14 s measured here
    assert server.proc.poll() is None


def test_the_stream_of_a_client_that_leaves_stops_its_training(server: live.Live) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for _ in range(2):  # both workers: each stream's disconnect must free its worker
            with http.stream("POST", "/api/v1/mlp", json=LONG, headers={"accept": "application/x-ndjson"}) as r:
                assert next(r.iter_lines()).startswith('{"event":"progress"')
        gone = time.monotonic()
        a = http.post("/api/v1/mlp", json=SMALL)
        b = http.post("/api/v1/mlp", json=SMALL)
    assert a.status_code == b.status_code == 200
    assert time.monotonic() - gone < 1.0


def test_sigterm_exits_within_5_seconds_with_work_in_flight(server: live.Live) -> None:
    def post() -> None:
        with contextlib.suppress(httpx.HTTPError):  # cut off by the shutdown
            httpx.post(f"{server.url}/api/v1/mlp", json=LONG, timeout=60)

    threads = [threading.Thread(target=post, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    t0 = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=15)
    assert time.monotonic() - t0 < 5.0
    for t in threads:
        t.join(5)


def test_a_request_over_the_worker_memory_bound_is_422_and_the_pool_recovers() -> None:
    # 300 MiB of address space: less than a 153,413-node graph and its JSON need
    with (
        live.serving({"GRADWALK_WORKER_MEMORY_BYTES": str(300 * 2**20)}) as s,
        httpx.Client(base_url=s.url, timeout=60) as http,
    ):
        r = http.post("/api/v1/mlp", json={**HEAVY, "steps": 0})
        assert r.status_code == 422, r.text[:300]
        (entry,) = r.json()["detail"]
        assert entry["type"] == "limit.memory" and "worker_memory_bytes" in entry["msg"]
        assert http.post("/api/v1/mlp", json=SMALL).status_code == 200


def test_requests_waiting_for_a_worker_are_served_in_arrival_order() -> None:
    with live.serving({"GRADWALK_WORKERS": "1"}) as s:
        finished: list[int] = []

        def post(k: int) -> None:
            r = httpx.post(f"{s.url}/api/v1/mlp", json={**SMALL, "steps": 2_000}, timeout=60)  # ~0.7 s each
            assert r.status_code == 200
            finished.append(k)

        threads = []
        for k in range(4):
            threads.append(threading.Thread(target=post, args=(k,)))
            threads[-1].start()
            time.sleep(0.15)  # all arrive while the first one runs
        for t in threads:
            t.join(60)
        assert finished == [0, 1, 2, 3]
