"""The expression language (README, "The expression language"): tokenizer, parser and interpreter, never Python's eval.

>>> from gradwalk.language import run
>>> r = run("a = 2.0; b = -3.0; L = a*b + a")
>>> r.output.data, r.output.label
(-4.0, 'L')
"""

from .errors import SourceError
from .interpreter import DEFAULT_MAX_NODES, DEFAULT_MAX_SOURCE_BYTES, Result, run
from .parser import DEFAULT_MAX_DEPTH

__all__ = ["DEFAULT_MAX_DEPTH", "DEFAULT_MAX_NODES", "DEFAULT_MAX_SOURCE_BYTES", "Result", "SourceError", "run"]
