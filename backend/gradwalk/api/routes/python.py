"""POST /api/v1/python: a Python program (the lecture's own micrograd code) -> Graph JSON.

The program runs only in the pydantic-monty sandbox (gradwalk.programs), in a worker
process; this route validates the body, plans the job and waits for it in a thread
(bounded by the `max_programs` setting) so the event loop stays free. Errors are
ProgramErrors (python.<Name>, output) and LimitErrors (limit.time, ...), mapped in api/errors.py.
"""

from __future__ import annotations

from anyio import CapacityLimiter
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from ... import pipeline
from ..common import LimitsDep, StrictModel, graph_response
from ..settings import get_settings
from .expression import ERRORS, GraphResponse

router = APIRouter(prefix="/api/v1", tags=["python"])

EXAMPLE = """a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
d = a*b + c; d.label = 'd'
L = d * Value(-2.0, label='f'); L.label = 'L'
L.backward()
print(a.grad)
draw_dot(L)"""


class PythonRequest(StrictModel):
    """A Python program (docs/api.md, Python programs) and what to return."""

    source: str = Field(
        description="The program, as Python. Without its own `class Value` it gets micrograd's Value, Neuron, "
        "Layer, MLP and draw_dot predefined.",
        examples=[EXAMPLE],
    )
    output: str | None = Field(
        None,
        description="Module-level name of the Value to show; default: the argument of the last draw_dot(...), "
        "else the name bound last that holds a Value.",
    )
    layout: bool = Field(False, description="Add a `layout` object (coordinates for every node and edge).")

    def to_input(self) -> pipeline.Program:
        return pipeline.Program(self.source, self.output)


class Check(BaseModel):
    node: str
    field: str = Field(description='"data" or "grad"')
    program: float | str
    reference: float | str
    msg: str = Field(description="What differs and its likely cause.")


class Snapshot(BaseModel):
    output: str | None = Field(description="The drawn node, when it is in the response's graph.")
    data: dict[str, float | str]
    grad: dict[str, float | str]


class PythonResponse(GraphResponse):
    variables: dict[str, str] | None = Field(  # type: ignore[assignment]
        None, description="Not in a program's answer: its values are its own objects, not source names."
    )
    stdout: list[str] = Field(description="Printed lines, capped by program_output_bytes.")
    engine: str = Field(description='"program" (its own Value class) or "gradwalk" (the predefined one).')
    checks: list[Check]
    checked: int = Field(description="Results checked against the op table; 0 when none could be (a stale graph).")
    snapshots: list[Snapshot] = Field(description="One per draw_dot(v) call, in order.")


_limiter: CapacityLimiter | None = None


@router.post(
    "/python",
    summary="Run a Python program in the sandbox: its graph, its own backward steps, checks and prints",
    response_model=PythonResponse,
    responses=ERRORS,
)
async def python(req: PythonRequest, limits: LimitsDep) -> Response:
    global _limiter
    job = pipeline.plan(req.to_input(), limits, layout=req.layout)
    if _limiter is None:  # programs wait on their sandbox worker: at most max_programs at once
        _limiter = CapacityLimiter(get_settings().max_programs)
    return await graph_response(job, limiter=_limiter)  # the program runs in its sandbox process: a thread waits
