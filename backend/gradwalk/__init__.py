"""gradwalk: a micrograd-compatible scalar autograd engine with step-by-step backward traces.

    >>> from gradwalk import Value, MLP
    >>> x = Value(2.0, label='x'); y = (x * 3).tanh(); y.backward()

`Value` and `MLP` follow micrograd's API; `trace(root)` gives the Graph JSON the
visualizer plays back; `draw_dot(root)` draws micrograd's Graphviz picture; `show(root)`
puts the stepper itself in a notebook and `to_html(root, path)` in a file (no server).
"""

from typing import Any

from .engine import Value
from .nn import MLP, Layer, Module, Neuron
from .tape import fresh_tape
from .trace import trace

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value", "draw_dot", "fresh_tape", "show", "to_html", "trace"]
__version__ = "0.1.0"


def draw_dot(root: Value, **kwargs: Any) -> Any:
    """micrograd's draw_dot: a graphviz.Digraph of root's graph (renders inline in Jupyter)."""
    from .export import draw_dot as _draw_dot  # needs the graphviz package (the server extra)

    return _draw_dot(root, **kwargs)


def show(root: Value, **kwargs: Any) -> Any:
    """The interactive stepper on root's graph, inline in Jupyter, JupyterLab or VS Code (no server)."""
    from .notebook import show as _show

    return _show(root, **kwargs)


def to_html(root: Value, path: Any = None, **kwargs: Any) -> str:
    """The stepper on root's graph as one offline HTML file, written to `path` when given."""
    from .notebook import to_html as _to_html

    return _to_html(root, path, **kwargs)
