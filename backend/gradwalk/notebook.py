"""The stepper for a graph built in Python, with no server: `gradwalk.show(root)` displays it
inline in Jupyter, JupyterLab and VS Code; `gradwalk.to_html(root, path)` writes it to a file.

Both are the page as one offline HTML file (gradwalk.standalone) holding `root`'s Graph JSON
and its layout: stepping, the chain-rule panel and the inspector work with the network off.
In a notebook it sits in an `<iframe srcdoc sandbox="allow-scripts">`, so the page's script
runs apart from the notebook's own (docs/api.md, Python).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from . import ops, standalone
from .engine import Value
from .layout import compute_layout
from .limits import Limits
from .tape import fresh_tape
from .trace import graph as trace_graph

Json = dict[str, Any]


def page(
    root: Value, *, embed: bool = False, notebook: bool = False, source: str = "", limits: Limits | None = None
) -> str:
    """The standalone HTML of the stepper on `root`'s graph (one fresh backward pass from `root`)."""
    if not isinstance(root, Value):
        raise TypeError(f"show() and to_html() draw a gradwalk Value, not {type(root).__name__}")
    limits = limits or Limits()
    graph = trace_graph(root)
    if len(graph["nodes"]) > limits.export_max_nodes:
        raise ValueError(
            f"the graph has {len(graph['nodes'])} nodes; show() and to_html() draw at most "
            f"export_max_nodes = {limits.export_max_nodes} (pass limits=Limits(export_max_nodes=...) for more)"
        )
    with fresh_tape():  # the layout's own bookkeeping never lands on the user's tape
        graph["layout"] = compute_layout(
            graph, dot_max_nodes=limits.dot_max_nodes, dot_timeout=limits.dot_timeout_seconds
        )
    state: Json = {"graph": graph, "ops": ops.listing(), "mode": "expression", "source": source,
                   "language": "python", "embed": embed, "notebook": notebook}  # fmt: skip
    return standalone.page(state).decode("utf-8")


def to_html(root: Value, path: str | Path | None = None, **kwargs: Any) -> str:
    """Write the stepper on `root` to `path` (when given) and return its HTML."""
    text = page(root, **kwargs)
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


class Stepper:
    """What `show()` returns: Jupyter calls `_repr_html_` to display it inline."""

    def __init__(self, root: Value, height: int = 620, **kwargs: Any) -> None:
        self.html = page(root, notebook=True, **kwargs)
        self.height = height

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts allow-downloads" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #d6dbe6; border-radius: 8px" '
            'title="gradwalk stepper"></iframe>'
        )


def show(root: Value, height: int = 620, **kwargs: Any) -> Stepper:
    """Display the stepper on `root` inline in a notebook (the last expression of a cell)."""
    return Stepper(root, height=height, **kwargs)
