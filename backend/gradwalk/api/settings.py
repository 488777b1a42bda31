"""Every limit and knob of the service, in one pydantic-settings class.

Each field can be set from the environment with the GRADWALK_ prefix, e.g.
GRADWALK_MAX_NODES=500000. The defaults are listed in the README (Limits) and SPEC §5.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRADWALK_")

    max_body_bytes: int = Field(default=4 * 1024 * 1024, description="Largest request body accepted (413 beyond).")
    max_source_bytes: int = Field(
        default=64 * 1024, description="Largest expression source in UTF-8 bytes (413 beyond)."
    )
    max_nodes: int = Field(default=300_000, description="Most nodes in one graph (422 beyond).")
    max_depth: int = Field(
        default=200, description="Deepest nesting of parentheses, unary signs and ** chains (422 beyond)."
    )
    max_work: int = Field(
        default=30_000_000, description="Most nodes x (steps + 1) one MLP request may compute (422 beyond)."
    )
    max_samples: int = Field(default=10_000, description="Most samples in one MLP request.")
    max_steps: int = Field(default=10_000, description="Most SGD steps in one MLP request.")
    dot_max_nodes: int = Field(
        default=1_500, description="Above this many drawn boxes, the layered layout replaces Graphviz dot."
    )
    dot_timeout_seconds: float = Field(default=10.0, description="Time limit for one run of the Graphviz binary.")
    export_max_nodes: int = Field(default=5_000, description="Most value nodes in a DOT/SVG/PNG export.")
    layout_cache_size: int = Field(default=128, description="Layouts kept, keyed by graph structure.")
    worker_threads: int = Field(default=4, description="Threads that run CPU-bound requests off the event loop.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
