"""gradwalk: a micrograd-compatible scalar autograd engine with step-by-step backward traces.

    >>> from gradwalk import Value, MLP
    >>> x = Value(2.0, label='x'); y = (x * 3).tanh(); y.backward()

`Value` and `MLP` follow micrograd's API; `trace(root)` gives the Graph JSON the
visualizer plays back; `draw_dot(root)` draws micrograd's Graphviz picture.
"""

from typing import Any

from .engine import Value
from .nn import MLP, Layer, Module, Neuron
from .tape import fresh_tape
from .trace import trace

__all__ = ["MLP", "Layer", "Module", "Neuron", "Value", "draw_dot", "fresh_tape", "trace"]
__version__ = "0.1.0"


def draw_dot(root: Value, **kwargs: Any) -> Any:
    """micrograd's draw_dot: a graphviz.Digraph of root's graph (renders inline in Jupyter)."""
    from .export import draw_dot as _draw_dot  # needs the graphviz package (the server extra)

    return _draw_dot(root, **kwargs)
