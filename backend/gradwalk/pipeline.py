"""One path from a request to its answer: input -> graph -> trace -> (layout) -> the response dict,
or -> a DOT/SVG/PNG drawing. The routes, the CLI and the exports all call it; no web code here.

    >>> from gradwalk.pipeline import Expression, respond
    >>> g = respond(Expression("a = 2.0; b = a*a"))
    >>> g["output_name"], g["variables"], [n["grad"] for n in g["nodes"]]
    ('b', {'a': 'n0', 'b': 'n1'}, [4.0, 1.0])

`plan(request, limits)` checks a request against the `Limits` (every limit the request
alone decides, before any work: a bad or over-budget spec is refused at once) and
returns a `Job`; `job.run()` computes the response dict (Graph JSON of
docs/api.md, plus what the input kind adds: `variables`/`output_name`, `loss`/`history`...)
and `job.export(fmt)` its drawing. Errors are core exceptions the caller maps:
`SourceError` (the language), `SpecError` (an MLP spec), `LimitError` (an export or
Graphviz limit), `GraphvizUnavailable`/`GraphvizError` (gradwalk.export).

An input kind is a request dataclass and a planner `(request, limits) -> build`, where
`build()` returns the response dict without layout (on the job's fresh tape); `_PLANNERS`
lists them. A Python program joins as a third: its planner returns a build that runs
the sandbox and hands back its graph dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any

from . import ops, standalone
from .export import check_export_size, drawing
from .language import SourceError, run
from .layout import cached_layout, compute_layout
from .limits import LimitError, Limits
from .nudge import Nodes, check_fd_work, check_overrides, finite_differences, leaf_values, set_leaves
from .paths import check_path_work, paths
from .programs import Program, ProgramError, SandboxLimits
from .progress import OnProgress, watching
from .tape import fresh_tape
from .trace import collector_paused, record, source_lines, variables
from .trace import graph as trace_graph
from .training import MLPSpec, SpecError, graph_size, resolve, train

__all__ = [
    "Expression",
    "Input",
    "Job",
    "LimitError",
    "Limits",
    "MLPSpec",
    "Program",
    "ProgramError",
    "SourceError",
    "SpecError",
    "export",
    "plan",
    "respond",
]

Json = dict[str, Any]
Build = Callable[[], Json]
Planned = tuple[Build, int | None]  # how to build, and the graph's node count when it is known before the work


@dataclass(frozen=True)
class Expression:
    """A program in gradwalk's expression language and the name to differentiate (None: the last statement).

    `overrides` gives leaves new values (by source name, node id or label: docs/api.md, Expression);
    `finite_differences` adds each leaf's central difference next to its grad; `paths` (a name, node
    id or label) adds every path from that node to the output with its product of local derivatives.
    """

    source: str
    output: str | None = None
    overrides: Mapping[str, float] | None = None
    finite_differences: bool = False
    paths: str | None = None


Input = Expression | MLPSpec | Program  # the request kinds _PLANNERS knows


def _plan_expression(req: Expression, limits: Limits) -> Planned:
    check_overrides(req.overrides or {})  # the values now; the names once the program has run

    def build() -> Json:
        with collector_paused():  # a request allocates many small acyclic objects
            result = run(
                req.source,
                req.output,
                max_nodes=limits.max_nodes,
                max_depth=limits.max_depth,
                max_source_bytes=limits.max_source_bytes,
            )
            rec = record(result.output)
            nodes = Nodes(rec, result.names)
            if req.overrides:
                set_leaves(rec.tape, leaf_values(nodes, req.overrides))  # the program, run with the new leaves
                rec = nodes.rec = record(result.output)
            chosen = None
            if req.paths is not None:
                chosen = nodes.node(req.paths, ("paths",))
                check_path_work(rec, chosen, limits.max_paths, limits.max_path_work)  # before any of the work
            if req.finite_differences:
                check_fd_work(rec, limits.max_fd_work)  # before any of the work
            graph = trace_graph(result.output, rec)
            if req.finite_differences:
                graph["finite_differences"] = finite_differences(rec)
            if chosen is not None:
                graph["paths"] = paths(rec, chosen, limits.max_paths)
        graph["warnings"] = result.warnings + graph["warnings"]
        graph["variables"] = variables(rec, result.names)
        for node, line in zip(graph["nodes"], source_lines(rec, result.lines)):
            node["line"] = line
        graph["output_name"] = result.output_name
        return graph

    return build, None  # known only once the source has run


def _plan_mlp(spec: MLPSpec, limits: Limits) -> Planned:
    problem = resolve(spec, limits)  # every check, the work budget included, before any training

    def build() -> Json:
        with collector_paused():  # the graph's build allocates ~10 objects per node, none in a cycle
            return train(problem)

    return build, graph_size(problem)


def _plan_program(req: Program, limits: Limits) -> Planned:
    if len(req.source.encode("utf-8", "surrogatepass")) > limits.max_source_bytes:
        raise LimitError(
            f"the program is larger than the max_source_bytes limit of {limits.max_source_bytes} bytes",
            "limit.source_bytes",
            limit=limits.max_source_bytes,
        )
    sandbox = SandboxLimits(
        time_seconds=limits.program_time_seconds,
        memory_bytes=limits.program_memory_bytes,
        recursion_depth=limits.program_recursion_depth,
        output_bytes=limits.program_output_bytes,
        max_nodes=limits.max_nodes,
    )

    def build() -> Json:
        from .programs.run import respond as run_program  # the sandbox: the `server` extra

        return run_program(req, sandbox)  # the program runs in a sandbox worker process, never here

    return build, None


_PLANNERS: dict[type, Callable[[Any, Limits], Planned]] = {
    Expression: _plan_expression,
    MLPSpec: _plan_mlp,
    Program: _plan_program,
}


@dataclass(frozen=True)
class Job:
    """A checked request: `run()` gives the response dict, `export(fmt)` the drawing. CPU-bound: call
    it off the event loop."""

    build: Build
    limits: Limits
    layout: bool = False
    nodes: int | None = None  # the graph's size when the request tells it (an MLP's): limits checked first

    def graph(self) -> Json:
        """The response dict without layout."""
        with fresh_tape():  # each request builds on its own private tape
            return self.build()

    def run(self, on_progress: OnProgress | None = None, deadline: float | None = None) -> Json:
        """The response dict, with `layout` when the request asked for it. LimitError("limit.time") past
        `deadline` (a time.monotonic() value; default: `time_seconds` from now); `on_progress(step, loss)`
        hears of each SGD step."""
        with self._watched(deadline, on_progress):
            graph = self.graph()
            if self.layout:
                graph["layout"] = self._layout(graph)
            return graph

    def run_cached(self, deadline: float | None = None) -> tuple[Json, bool]:
        """The response dict, and whether it is whole: a layout the cache does not hold is left out,
        for `add_layout` (Graphviz: seconds at worst) to add off the event loop, by the same
        `deadline`. The page's small expressions run here, on the loop, a thread hop cheaper when
        their picture is cached."""
        with self._watched(deadline, None):
            graph = self.graph()
        if not self.layout:
            return graph, True
        hit = cached_layout(graph, dot_max_nodes=self.limits.dot_max_nodes)
        if hit is None:
            return graph, False
        graph["layout"] = hit
        return graph, True

    def add_layout(self, graph: Json, deadline: float | None = None) -> Json:
        """`graph` (from run_cached) with its layout."""
        with self._watched(deadline, None):
            graph["layout"] = self._layout(graph)
        return graph

    def _layout(self, graph: Json) -> Json:
        return compute_layout(
            graph,
            dot_max_nodes=self.limits.dot_max_nodes,
            dot_timeout=self.limits.dot_timeout_seconds,
            cache_size=self.limits.layout_cache_size,
        )

    def export(self, fmt: str, deadline: float | None = None) -> bytes:
        """DOT text ("dot") or a rendered "svg"/"png" in draw_dot's look; LimitError past the export limits."""
        if self.nodes is not None:
            check_export_size(self.nodes, self.limits)  # before any training, not after it
        with self._watched(deadline, None):
            return drawing(self.graph(), fmt, self.limits)

    def _watched(self, deadline: float | None, on_progress: OnProgress | None) -> AbstractContextManager[None]:
        seconds = self.limits.time_seconds
        return watching(seconds, limit=seconds, deadline=deadline, on_progress=on_progress)

    def standalone(self, state: Json, deadline: float | None = None) -> bytes:
        """The page with this graph (laid out) in one HTML file that plays offline, opening at
        `state` ({"mode", "source" or "spec", "language", "pos", "view", "embed"}; gradwalk.standalone)."""
        if self.nodes is not None:
            check_export_size(self.nodes, self.limits)
        with self._watched(deadline, None):
            graph = self.graph()
            check_export_size(len(graph["nodes"]), self.limits)  # before the layout: a big one takes seconds
            graph["layout"] = self._layout(graph)
            return standalone.page({**state, "graph": graph, "ops": ops.listing()})


def page_state(request: Input) -> Json:
    """How the standalone page shows `request` beside its graph: the mode, and the source or spec."""
    if isinstance(request, Expression):
        return {"mode": "expression", "source": request.source, "language": "expression"}
    if isinstance(request, MLPSpec):
        return {"mode": "mlp", "spec": {k: v for k, v in asdict(request).items() if v is not None}}
    return {"mode": "expression", "source": request.source, "language": "python"}


def plan(request: Input, limits: Limits | None = None, *, layout: bool = False) -> Job:
    """Check `request` (SourceError, SpecError, ...) and return the Job that computes its answer."""
    planner = _PLANNERS.get(type(request))
    if planner is None:
        kinds = ", ".join(t.__name__ for t in _PLANNERS)
        raise TypeError(f"no pipeline for {type(request).__name__}; use one of {kinds}")
    limits = limits or Limits()
    build, nodes = planner(request, limits)
    return Job(build, limits, layout, nodes)


def respond(request: Input, limits: Limits | None = None, *, layout: bool = False) -> Json:
    """The complete response dict of `request`, computed here."""
    return plan(request, limits, layout=layout).run()


def export(request: Input, fmt: str, limits: Limits | None = None) -> bytes:
    """`request`'s graph as DOT text or an "svg"/"png" image, computed here."""
    return plan(request, limits).export(fmt)
