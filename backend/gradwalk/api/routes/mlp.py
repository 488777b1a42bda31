"""POST /api/v1/mlp (train an MLP spec, return its graph, loss history and parameters)
and GET /api/v1/datasets (the presets a spec can name). The work is gradwalk.pipeline's
(training in gradwalk.training); a bad spec is a SpecError, mapped in api/errors.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi import Response as FastAPIResponse
from fastapi.responses import StreamingResponse
from pydantic import ConfigDict, Field

from ... import datasets, losses, nn, ops, pipeline
from ..common import (
    LimitsDep,
    StrictModel,
    body_schema,
    json_response,
    reply_response,
    start_pool,
    task_for,
    worked,
)
from ..settings import get_limits
from ..workers import POOL, Body, Disconnected, Reply, Task

router = APIRouter(prefix="/api/v1", tags=["mlp"])
# Shape bounds of the request model, far above what max_nodes lets through (docs/api.md, MLP): a list
# longer than these is refused by the validator itself, whatever the limits are set to.
MAX_LAYERS = 1_000
MAX_ITEMS = 100_000
MAX_PARAMETERS = 1_000_000
NDJSON = "application/x-ndjson"

# The request's enums are the core's tuples, so a new activation, loss or init is one line there.
if TYPE_CHECKING:
    Activation = str
    LossName = str
    Init = str
else:
    Activation = Literal[ops.ACTIVATIONS]
    LossName = Literal[losses.LOSSES]
    Init = Literal[nn.INITS]

_LECTURE = datasets.load("seeds", None)  # micrograd's four samples, as the lecture trains them
SEEDS_EXAMPLE: dict[str, Any] = {
    "nin": 3,
    "layers": [4, 4, 1],
    "activation": "tanh",
    "output_activation": "tanh",
    "loss": "sse",
    "inputs": _LECTURE.inputs,
    "targets": _LECTURE.labels,
    "learning_rate": 0.1,
    "steps": 20,
    "seed": 1,
}


class MLPRequest(StrictModel):
    """An MLP, its data, its loss and how to train it (docs/api.md, MLP)."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        **StrictModel.model_config, json_schema_extra={"examples": [SEEDS_EXAMPLE]}
    )

    nin: int | None = Field(
        None, ge=1, description="Inputs per sample. May be left out when a dataset is named.", examples=[3]
    )
    layers: list[int] = Field(
        [4, 4, 1],
        min_length=1,
        max_length=MAX_LAYERS,
        description="Neurons per layer; the last layer is the outputs.",
        examples=[[4, 4, 1]],
    )
    activation: Activation = Field("tanh", description="Activation of the hidden layers.")
    output_activation: Activation = Field("tanh", description="Activation of the last layer.")
    loss: LossName | None = Field(
        None,
        description="sse (sum of squared errors, as in micrograd's lecture), mse, cross_entropy (softmax, targets"
        " are class indices) or hinge (one output, targets -1/1). Default: the dataset's suggestion, else sse.",
        examples=["sse"],
    )
    inputs: list[Annotated[list[float], Field(max_length=MAX_ITEMS)]] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="One list of nin numbers per sample.",
        examples=[SEEDS_EXAMPLE["inputs"]],
    )
    targets: list[int | float | Annotated[list[float], Field(max_length=MAX_ITEMS)]] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="One per sample: a number for one output, a list per sample for several, a class index for"
        " cross_entropy.",
        examples=[SEEDS_EXAMPLE["targets"]],
    )
    dataset: str | None = Field(
        None, description="A preset from GET /api/v1/datasets instead of inputs and targets.", examples=["moons"]
    )
    learning_rate: float = Field(0.1, description="SGD step: p -= learning_rate * grad.", examples=[0.1])
    steps: int = Field(0, ge=0, description="SGD updates before the graph is taken.", examples=[20])
    seed: int | None = Field(
        None, description="Random initialisation (and dataset noise), the same on every machine.", examples=[1]
    )
    init: Init = Field("uniform", description="uniform(-1, 1) as in micrograd, he or xavier normal (biases 0).")
    initial_parameters: list[float] | None = Field(
        None,
        max_length=MAX_PARAMETERS,
        description="Flat list in MLP.parameters() order: layer by layer, neuron by neuron, weights then bias.",
    )
    l2: float = Field(0.0, ge=0.0, description="Adds l2 * sum(p**2) over all parameters to the loss.")
    batch_size: int | None = Field(
        None,
        ge=1,
        description="Mini-batch SGD: each step updates on batch_size samples (each epoch shuffled with the seed)."
        " null: full batch.",
        examples=[64],
    )
    learning_rate_end: float | None = Field(
        None,
        description="Decay the learning rate linearly to this over the steps (micrograd's demo: 1.0 to 0.1)."
        " null: constant.",
        examples=[0.1],
    )
    holdout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Fraction of the samples held out of training (drawn with the seed); their loss and accuracy"
        " are reported under holdout.",
        examples=[0.2],
    )
    graph_samples: int | None = Field(
        None,
        ge=1,
        description="How many training samples (the first ones) the returned graph holds. null: all of them, or as"
        " many as fit in max_nodes.",
        examples=[1],
    )
    boundary_resolution: int = Field(
        50, ge=2, description="Grid points per axis of the decision boundary (2-D inputs).", examples=[50]
    )
    parameter_history: bool = Field(
        False,
        description="Also return the parameters after each step: parameter_history[i] (a flat list, as"
        " initial_parameters) is those of history entry parameter_steps[i], so steps=0 with them as"
        " initial_parameters (and the same seed and data) rebuilds that step's graph and loss. Over"
        " max_parameter_history floats in all, every m-th step plus the last is kept.",
    )
    layout: bool = Field(False, description='Also compute node positions ("layout" in the response).')

    def to_input(self) -> pipeline.MLPSpec:
        return pipeline.MLPSpec(**{f.name: getattr(self, f.name) for f in fields(pipeline.MLPSpec)})


def mlp_graph(req: MLPRequest) -> dict[str, Any]:
    """The response of POST /api/v1/mlp as a dict, computed here (tests/test_layout.py uses it)."""
    return pipeline.respond(req.to_input(), get_limits(), layout=req.layout)


@router.post(
    "/mlp",
    summary="Train an MLP and return its graph",
    description="Builds the MLP, runs `steps` SGD updates (full batch, or mini-batches of `batch_size`), and"
    " returns the Graph JSON of the forward and backward pass at the final parameters, plus `loss`, `history` (the"
    " loss after k updates, steps + 1 entries), `accuracy` (per history entry, classification targets), `grad_norms`"
    " (per layer, mean |grad| per entry), `boundary` (2-D inputs: the output on a grid), `neurons` (dead and"
    " saturated), `samples`, `holdout`, `parameters` (name, node id, data, grad in MLP.parameters() order) and,"
    " asked with `parameter_history`, the parameters after each recorded step (`parameter_steps`)."
    " `warnings` says when the loss rose over training. Every node a neuron creates has the group"
    " `layer{i}/neuron{j}`; loss nodes `loss`; input leaves `input`. docs/api.md (MLP) says each field.",
    response_class=FastAPIResponse,
    responses={
        200: {"content": {"application/json": {}, NDJSON: {}}},
        422: {"description": "Invalid spec or over a limit"},
    },
    openapi_extra=body_schema(MLPRequest),
)
async def post_mlp(request: Request, limits: LimitsDep) -> FastAPIResponse:
    # the body (an MLPRequest) is validated, checked (the work budget first), trained, traced and encoded in a
    # worker process: validation alone takes time in proportion to the inputs, too long for the event loop
    body = Body("mlp", await request.body())
    if NDJSON in request.headers.get("accept", ""):
        return await _streamed(request, task_for(request, body, limits, stream=True))
    return await worked(request, task_for(request, body, limits))


HEARTBEAT_SECONDS = 0.2  # a progress line at least this often, even while one SGD step takes longer


def _line(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event) + b"\n"


async def _streamed(request: Request, task: Task) -> FastAPIResponse:
    """NDJSON: progress lines while training runs, then the result line. A spec refused before training
    starts is an ordinary error response; an error after it (the deadline) an `{"event": "error"}` line."""
    if not POOL.running:
        start_pool()
    events = POOL.events(task, request.is_disconnected, heartbeat=HEARTBEAT_SECONDS)
    try:
        first = await anext(events)
        while first[0] == "waiting":  # in the queue for a worker, or planning
            first = await anext(events)
    except Disconnected:
        await events.aclose()
        return FastAPIResponse(status_code=499)
    if first[0] == "reply":
        await events.aclose()
        return reply_response(first[1])

    async def lines() -> AsyncIterator[bytes]:
        last = {"event": "progress", "step": 0, "loss": None}
        yield _line(last)  # the client learns at once that training has started
        try:
            async for message in events:
                if message[0] == "progress":
                    last = {"event": "progress", "step": message[1], "loss": message[2]}
                    yield _line(last)
                elif message[0] == "waiting":  # one SGD step can take longer than the heartbeat
                    yield _line(last)
                elif message[0] == "reply":
                    reply: Reply = message[1]
                    if reply.status == 200:
                        yield reply.body  # the worker's `{"event": "result", ...}` line
                    else:
                        yield _line({"event": "error", "status": reply.status, **orjson.loads(reply.body)})
                    return
        finally:
            await events.aclose()  # a client that left stops the training

    return StreamingResponse(lines(), media_type=NDJSON)


@router.get(
    "/datasets",
    summary="Dataset presets",
    description="Every preset a spec can name, with its samples and `suggested` spec fields (layers, activations,"
    " loss, learning rate and schedule, steps, batch size, init, seed, ...) that train it to at least 95 % accuracy.",
)
def get_datasets(
    seed: int = Query(0, description="Seed of the generated samples."),
    samples: bool = Query(True, description="Include each preset's inputs and targets (false: the summaries only)."),
) -> FastAPIResponse:
    return json_response({"datasets": [datasets.load(name, seed).summary(samples) for name in datasets.PRESETS]})
