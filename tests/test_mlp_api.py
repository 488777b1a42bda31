"""POST /api/v1/mlp and GET /api/v1/datasets through the app (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from gradwalk import losses, nn, ops
from gradwalk.api.main import create_app
from gradwalk.api.routes.mlp import SEEDS_EXAMPLE, MLPRequest
from gradwalk.pipeline import respond


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


MOONS: dict[str, Any] = {"dataset": "moons", "nin": None, "inputs": None, "targets": None}


def post(client: TestClient, **changes: Any) -> Any:
    return client.post("/api/v1/mlp", json={**SEEDS_EXAMPLE, **changes})


def error(response: Any) -> str:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail and all({"msg", "type"} <= set(d) for d in detail)
    return " | ".join(d["msg"] for d in detail)


def test_seeds_example_trains_and_returns_graph_loss_history_parameters(client: TestClient) -> None:
    r = client.post("/api/v1/mlp", json=SEEDS_EXAMPLE)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert {"nodes", "edges", "output", "forward", "backward", "warnings", "loss", "history", "parameters"} <= set(body)
    assert len(body["history"]) == SEEDS_EXAMPLE["steps"] + 1 and body["history"][-1] < body["history"][0]
    assert body["loss"] == body["history"][-1]
    assert [p["name"] for p in body["parameters"]][:4] == [
        "layer1.neuron1.w0",
        "layer1.neuron1.w1",
        "layer1.neuron1.w2",
        "layer1.neuron1.b",
    ]
    ids = {n["id"]: n for n in body["nodes"]}
    for p in body["parameters"]:
        assert ids[p["node"]]["label"] == p["name"] and ids[p["node"]]["grad"] == p["grad"]
    assert ids[body["output"]]["group"] == "loss"
    assert {n["group"] for n in body["nodes"] if n["role"] == "input"} == {"input"}
    assert "layout" not in body


def test_the_training_record_comes_with_the_graph(client: TestClient) -> None:
    body = post(client, batch_size=2, learning_rate_end=0.01).json()
    assert {"accuracy", "grad_norms", "boundary", "neurons", "samples", "holdout"} <= set(body)
    assert len(body["accuracy"]) == len(body["history"]) == SEEDS_EXAMPLE["steps"] + 1  # +1/-1 targets: by sign
    assert len(body["grad_norms"]) == 3 and all(len(g) == len(body["history"]) for g in body["grad_norms"])
    assert body["boundary"] is None and body["holdout"] is None  # 3 inputs; nothing held out
    assert body["samples"] == {"train": 4, "holdout": 0, "graph": 4}
    assert set(body["neurons"]) == {"dead", "saturated"}
    moons = client.post("/api/v1/mlp", json={**MOONS, "layers": [4, 1], "steps": 2, "holdout": 0.2}).json()
    assert len(moons["boundary"]["z"]) == 50 and moons["holdout"]["accuracy"] is not None
    assert moons["samples"] == {"train": 80, "holdout": 20, "graph": 80}


def test_the_pipeline_gives_the_response(client: TestClient) -> None:
    spec = MLPRequest.model_validate(SEEDS_EXAMPLE).to_input()
    assert respond(spec) == client.post("/api/v1/mlp", json=SEEDS_EXAMPLE).json()


def test_defaults_are_the_seeds_tanh_network(client: TestClient) -> None:
    body = client.post("/api/v1/mlp", json={"nin": 3, "inputs": [[1.0, 2.0, 3.0]], "targets": [1], "seed": 0}).json()
    assert len(body["parameters"]) == 41 and len(body["history"]) == 1
    assert sum(n["op"] == "tanh" for n in body["nodes"]) == 9


def test_seed_001_settings_warn(client: TestClient) -> None:
    body = post(client, learning_rate=-0.1, steps=20).json()
    assert body["history"][-1] > body["history"][0]
    assert any("loss rose from" in w and "up the gradient" in w for w in body["warnings"])


def test_seed_is_reproducible_and_initial_parameters_win(client: TestClient) -> None:
    a, b = post(client, seed=42).json(), post(client, seed=42).json()
    assert a["parameters"] == b["parameters"]
    init = [0.1 * ((k % 7) - 3) for k in range(41)]
    c = post(client, steps=0, seed=None, initial_parameters=init).json()
    assert [p["data"] for p in c["parameters"]] == init


def test_dataset_by_name(client: TestClient) -> None:
    r = client.post(
        "/api/v1/mlp",
        json={
            "dataset": "moons",
            "layers": [8, 1],
            "activation": "relu",
            "output_activation": "linear",
            "steps": 2,
            "seed": 3,
        },
    )
    body = r.json()
    assert r.status_code == 200 and len(body["history"]) == 3
    assert sum(n["role"] == "input" for n in body["nodes"]) == 200  # 100 samples x 2 inputs
    assert any(n["label"] == "s99.x1" for n in body["nodes"])


def test_datasets_listing(client: TestClient) -> None:
    r = client.get("/api/v1/datasets")
    assert r.status_code == 200
    listed = {d["name"]: d for d in r.json()["datasets"]}
    assert {"seeds", "xor", "moons", "circles", "spiral", "blobs"} <= set(listed)
    assert listed["seeds"]["inputs"] == SEEDS_EXAMPLE["inputs"] and listed["seeds"]["targets"] == [1.0, -1.0, -1.0, 1.0]
    assert listed["blobs"]["loss"] == "cross_entropy" and listed["blobs"]["outputs"] == 3
    assert client.get("/api/v1/datasets?seed=1").json() != r.json()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"layers": [4, 0, 1]}, "layers[1] must be at least 1"),
        ({"layers": []}, "at least 1 item"),
        ({"nin": 0}, "greater than or equal to 1"),
        ({"activation": "gelu"}, "'tanh', 'relu', 'sigmoid' or 'linear'"),
        ({"loss": "huber"}, "'sse', 'mse', 'cross_entropy' or 'hinge'"),
        ({"targets": [1.0, -1.0]}, "4 samples in inputs but 2 targets"),
        ({"inputs": [[1.0, 2.0]] * 4}, "inputs[0] must be a list of nin = 3 numbers, got 2 numbers"),
        ({"loss": "cross_entropy", "layers": [4, 3], "targets": [0, 1, 2, 3]}, "targets[3] = 3 is not a class index"),
        ({"loss": "hinge", "targets": [1, 2, -1, 1]}, "hinge targets must be -1 or 1"),
        ({"dataset": "mnist", "inputs": None, "targets": None}, "unknown dataset 'mnist'"),
        ({"initial_parameters": [0.5] * 3}, "has 41 parameters"),
        ({"steps": 10_001}, "max_steps"),
        (
            {**MOONS, "layers": [100, 100, 1], "steps": 10_000},
            "over the limit max_work = 20,000,000,000",
        ),
        ({"batch_size": 0}, "greater than or equal to 1"),
        ({"holdout": 1.0}, "less than 1"),
        ({"holdout": 0.1}, "holds out 0: keep at least one sample on each side"),
        ({"graph_samples": 5}, "graph_samples = 5 but there are 4 training samples"),
        ({"boundary_resolution": 201}, "max_boundary_resolution = 200"),
        (
            {"nin": 784, "layers": [512, 10], "inputs": [[0.0] * 784], "targets": [1], "loss": "cross_entropy"},
            "max_nodes = 300,000",
        ),
        ({"steps": True}, "valid integer"),
        ({"steps": 2.5}, "valid integer"),
        ({"nin": "3"}, "valid integer"),
        ({"learning_rate": "0.1"}, "valid number"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_specs_are_422_saying_what_is_wrong(client: TestClient, changes: dict[str, Any], message: str) -> None:
    assert message in error(post(client, **changes))


def test_over_budget_names_the_limit_and_the_estimate(client: TestClient) -> None:
    msg = error(post(client, dataset="moons", nin=None, inputs=None, targets=None, layers=[100, 100, 1], steps=10_000))
    # 10,001 entries x 3 passes of 100 samples x 10,501 parameters, + the 50 x 50 boundary grid's forward pass
    assert "10000 steps of MLP(2, [100, 100, 1]) on 100 samples is 31,532,402,800 multiply-adds" in msg
    assert "max_work = 20,000,000,000" in msg


@pytest.mark.parametrize("raw", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_numbers_are_rejected(client: TestClient, raw: bytes) -> None:
    body = b'{"nin": 1, "layers": [1], "inputs": [[' + raw + b']], "targets": [1]}'
    r = client.post("/api/v1/mlp", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"]
    body = b'{"nin": 1, "layers": [1], "inputs": [[1]], "targets": [1], "learning_rate": ' + raw + b"}"
    r = client.post("/api/v1/mlp", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_openapi_documents_the_request(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/v1/mlp" in schema["paths"] and "/api/v1/datasets" in schema["paths"]
    req = schema["components"]["schemas"]["MLPRequest"]
    assert req["examples"][0]["layers"] == [4, 4, 1]
    assert {
        "nin",
        "layers",
        "activation",
        "output_activation",
        "loss",
        "inputs",
        "targets",
        "learning_rate",
        "steps",
        "seed",
        "initial_parameters",
        "init",
        "l2",
        "dataset",
        "layout",
        "batch_size",
        "learning_rate_end",
        "holdout",
        "graph_samples",
        "boundary_resolution",
        "parameter_history",
    } <= set(req["properties"])
    assert "parameter_steps" in req["properties"]["parameter_history"]["description"]


def test_openapi_enums_are_the_cores_tuples(client: TestClient) -> None:
    req = client.get("/openapi.json").json()["components"]["schemas"]["MLPRequest"]["properties"]
    assert tuple(req["activation"]["enum"]) == ops.ACTIVATIONS == tuple(req["output_activation"]["enum"])
    assert tuple(req["init"]["enum"]) == nn.INITS
    assert tuple(next(a for a in req["loss"]["anyOf"] if "enum" in a)["enum"]) == losses.LOSSES
    r = post(client, activation="gelu")
    assert r.status_code == 422 and "'tanh', 'relu', 'sigmoid' or 'linear'" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "spec",
    [
        {**MOONS, "layers": [8, 8, 1], "activation": "relu", "output_activation": "linear", "batch_size": 16},
        {**MOONS, "dataset": "digits", "layers": [8, 10], "loss": "cross_entropy", "holdout": 0.2, "graph_samples": 2},
    ],
    ids=["moons-mini-batches", "digits-held-out"],
)
def test_a_trained_net_reloads_with_the_same_loss(client: TestClient, spec: dict[str, Any]) -> None:
    """The page's download: spec + parameters; loaded back with steps 0 it gives the very same loss."""
    trained = client.post("/api/v1/mlp", json={**spec, "steps": 30, "seed": 4, "learning_rate": 0.1}).json()
    values = [p["data"] for p in trained["parameters"]]
    again = client.post("/api/v1/mlp", json={**spec, "steps": 0, "seed": 4, "initial_parameters": values}).json()
    assert again["loss"] == trained["loss"] and again["history"] == [trained["loss"]]
    assert again["accuracy"] == [trained["accuracy"][-1]]
    if trained["holdout"] is not None:
        assert again["holdout"]["loss"] == trained["holdout"]["loss"]


HISTORY_SPECS = [
    pytest.param({**SEEDS_EXAMPLE, "steps": 30}, id="lecture-full-batch"),
    pytest.param(
        {**MOONS, "layers": [8, 8, 1], "activation": "relu", "output_activation": "linear", "loss": "hinge",
         "steps": 40, "seed": 3, "learning_rate": 0.3, "batch_size": 16, "holdout": 0.2, "graph_samples": 2},
        id="moons-mini-batches-held-out",
    ),
]  # fmt: skip


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


@pytest.mark.parametrize("spec", HISTORY_SPECS)
def test_the_parameter_history_rebuilds_each_steps_loss(client: TestClient, spec: dict[str, Any]) -> None:
    """The page's slider: recorded[k] with steps 0 (same seed, same data) is the graph at step k, no training."""
    plain = client.post("/api/v1/mlp", json=spec).json()
    assert plain["parameter_steps"] is None and plain["parameter_history"] is None  # off by default
    body = client.post("/api/v1/mlp", json={**spec, "parameter_history": True}).json()
    steps = spec["steps"]
    assert body["parameter_steps"] == list(range(steps + 1)) and len(body["parameter_history"]) == steps + 1
    assert body["history"] == plain["history"] and body["parameter_history"][-1] == [
        p["data"] for p in body["parameters"]
    ]
    for k in (0, 1, steps // 2, steps - 1, steps):
        again = client.post(
            "/api/v1/mlp", json={**spec, "steps": 0, "initial_parameters": body["parameter_history"][k]}
        ).json()
        assert close(again["loss"], body["history"][k]), (k, again["loss"], body["history"][k])
        assert close(again["history"][0], body["history"][k])
        if body["accuracy"] is not None:
            assert again["accuracy"] == [body["accuracy"][k]]
        if body["holdout"] is not None:
            assert close(again["holdout"]["loss"], body["holdout"]["history"][k])
    final = client.post("/api/v1/mlp", json={**spec, "steps": 0, "initial_parameters": body["parameter_history"][-1]})
    assert final.json()["loss"] == body["loss"]  # the last entry: exactly the trained net's


def test_the_cap_thins_the_parameter_history(client: TestClient) -> None:
    from gradwalk.api.settings import get_limits
    from gradwalk.limits import Limits

    app = client.app
    # room for 5 of the 31 entries of 41 parameters: every 7th would be 0, 7, 14, 21, 28 and the last, 6
    app.dependency_overrides[get_limits] = lambda: Limits(max_parameter_history=41 * 5 + 40)
    try:
        body = post(client, steps=30, parameter_history=True).json()
        assert body["parameter_steps"] == [0, 8, 16, 24, 30]  # every 8th, plus the last
        assert len(body["parameter_history"]) == 5 and all(len(p) == 41 for p in body["parameter_history"])
        assert body["parameter_history"][-1] == [p["data"] for p in body["parameters"]]
        app.dependency_overrides[get_limits] = lambda: Limits(max_parameter_history=41 * 31)
        full = post(client, steps=30, parameter_history=True).json()
        assert full["parameter_steps"] == list(range(31))
        assert [full["parameter_history"][k] for k in body["parameter_steps"]] == body["parameter_history"]
        app.dependency_overrides[get_limits] = lambda: Limits(max_parameter_history=41)  # not even first and last
        assert post(client, steps=30, parameter_history=True).json()["parameter_steps"] == []
    finally:
        app.dependency_overrides.pop(get_limits, None)


def test_the_parameter_history_streams_too(client: TestClient) -> None:
    spec = {**SEEDS_EXAMPLE, "parameter_history": True}
    with client.stream("POST", "/api/v1/mlp", json=spec, headers={"accept": "application/x-ndjson"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        lines = [orjson.loads(line) for line in r.iter_lines() if line]
    result = lines[-1]
    assert result["event"] == "result"
    plain = client.post("/api/v1/mlp", json=spec).json()
    assert result["parameter_steps"] == plain["parameter_steps"] == list(range(SEEDS_EXAMPLE["steps"] + 1))
    assert result["parameter_history"] == plain["parameter_history"]
