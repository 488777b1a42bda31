"""Every limit of a request, in one dataclass, and the error that names one.

The service builds its `Limits` from its settings (`gradwalk.api.settings`, one
`GRADWALK_` environment variable per field); the CLI and notebooks use the
defaults. docs/api.md (Limits) lists each with its default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    max_source_bytes: int = 64 * 1024  # expression source, UTF-8 bytes
    max_nodes: int = 300_000  # nodes in one graph
    max_depth: int = 200  # nesting of parentheses, unary signs, ** chains and calls
    max_work: int = 20_000_000_000  # MLP training multiply-adds (gradwalk.training.training_work): ~4 s here
    time_seconds: float = 30.0  # one request's work, from its arrival (gradwalk.progress checks it as it goes)
    max_samples: int = 10_000  # MLP samples
    max_steps: int = 10_000  # MLP SGD steps
    max_boundary_resolution: int = 200  # grid points per axis of an MLP's decision boundary
    max_parameter_history: int = 100_000  # MLP parameter_history: floats recorded over the steps (then thinned)
    dot_max_nodes: int = 1_500  # drawn boxes above which the layered layout replaces Graphviz dot
    dot_timeout_seconds: float = 10.0  # one run of a Graphviz binary
    layout_cache_size: int = 128  # layouts kept, keyed by graph structure
    export_max_nodes: int = 5_000  # value nodes in a DOT/SVG/PNG export
    program_time_seconds: float = 5.0  # a Python program's run in the sandbox (its prints and extraction included)
    program_memory_bytes: int = 256 * 1024 * 1024  # the sandbox's heap for one program
    program_recursion_depth: int = 1000  # nested calls in a program
    program_output_bytes: int = 64 * 1024  # what a program may print
    max_fd_work: int = 2_000_000  # finite_differences: leaves x graph nodes (two forward passes each)
    max_paths: int = 20  # paths listed for one node (the largest; all of them when there are no more)
    max_path_work: int = 1_000_000  # paths: nodes from the chosen one to the output x max_paths


class LimitError(Exception):
    """A request over one of the `Limits`: `type` is "limit.<field>", `extra` goes into the error entry."""

    def __init__(self, msg: str, type: str, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.type = type
        self.extra = extra
