"""Every limit and knob of the service, in one pydantic-settings class.

Each field can be set from the environment with the GRADWALK_ prefix, e.g.
GRADWALK_MAX_NODES=500000. The request limits and their defaults are the core's
`gradwalk.limits.Limits` (`Settings.limits()` builds one); docs/api.md (Limits) lists them.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ..limits import Limits

_D = Limits()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRADWALK_")

    # The request limits: what each means is said once, in gradwalk.limits.Limits.
    max_source_bytes: int = _D.max_source_bytes
    max_nodes: int = _D.max_nodes
    max_depth: int = _D.max_depth
    max_work: int = _D.max_work
    time_seconds: float = _D.time_seconds
    max_samples: int = _D.max_samples
    max_steps: int = _D.max_steps
    max_boundary_resolution: int = _D.max_boundary_resolution
    max_parameter_history: int = _D.max_parameter_history
    dot_max_nodes: int = _D.dot_max_nodes
    dot_timeout_seconds: float = _D.dot_timeout_seconds
    layout_cache_size: int = _D.layout_cache_size
    export_max_nodes: int = _D.export_max_nodes
    program_time_seconds: float = _D.program_time_seconds
    program_memory_bytes: int = _D.program_memory_bytes
    program_recursion_depth: int = _D.program_recursion_depth
    program_output_bytes: int = _D.program_output_bytes
    max_fd_work: int = _D.max_fd_work
    max_paths: int = _D.max_paths
    max_path_work: int = _D.max_path_work

    # The service's own knobs.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, description="Largest request body accepted (413 beyond).")
    max_page_body_bytes: int = Field(
        default=32 * 1024 * 1024,
        description="Largest body of POST /api/v1/export/page, which carries the graph the page shows with its"
        " layout (~0.7 KB a node: export_max_nodes of them pass 4 MiB).",
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Worker processes that compute the CPU-heavy requests (default: the core count); more wait.",
    )
    worker_memory_bytes: int = Field(
        default=2 * 1024**3,
        ge=0,
        description="Address space of one worker process (0: unbounded); a request needing more is a 422.",
    )
    worker_recycle_bytes: int = Field(
        default=96 * 1024**2,
        description="A worker whose resident memory is above this after a request is replaced (a fresh one is ~40 MB).",
    )
    max_programs: int = Field(
        default=4, description="Python programs run at once (sandbox worker processes); more wait for a free one."
    )
    frontend_dir: str | None = Field(
        default=None,
        description="Folder of the page (index.html, css/, js/); default: the one gradwalk is installed with.",
    )

    # HTTP: what `python -m gradwalk.api.serve` passes to uvicorn (docs/api.md, HTTP).
    http_read_timeout_seconds: float = Field(
        default=15.0,
        description="A request's headers and body must arrive within this time of the connection opening (or of"
        " the previous response); a slower or idle connection is closed.",
    )
    http_keep_alive_seconds: float = Field(default=5.0, description="An idle keep-alive connection is closed after it.")
    http_max_connections: int = Field(
        default=200, description="Open connections (and requests in progress) beyond which uvicorn answers 503."
    )
    http_max_header_bytes: int = Field(
        default=16 * 1024, description="Request line and headers, in bytes (h11's max incomplete event size)."
    )
    http_shutdown_seconds: float = Field(
        default=2.0, description="On SIGTERM, how long requests in flight may finish before they are cancelled."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins other sites may call the API from (CORS), comma-separated or a JSON list; '*' for any."
        " Empty (the default): no CORS headers, only the page's own origin.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [o.strip() for o in text.split(",") if o.strip()]
        return value

    def limits(self) -> Limits:
        """The request limits the pipeline checks, from these settings."""
        return Limits(**{f.name: getattr(self, f.name) for f in fields(Limits)})


@lru_cache
def get_settings() -> Settings:
    return Settings()


def get_limits() -> Limits:
    """FastAPI dependency: the current settings' limits (read per request, so tests can change a setting)."""
    return get_settings().limits()
