"""gradwalk: a micrograd-compatible scalar autograd engine and backpropagation visualizer."""

from .engine import Value
from .tape import fresh_tape

__all__ = ["Value", "fresh_tape"]
__version__ = "0.1.0"
