"""The interpreter: runs parsed statements and builds the Value graph through `Value`'s public API.

Operators go through `Value`'s operators (which read the op table); functions and
methods resolve through FUNCTION_TABLE, a fixed dict built from the op table's
names. Nothing here looks up a Python attribute by a name the user wrote.

Semantics (README, "The expression language"): a number bound to a name is one input leaf with that label;
every literal used in an operation is a "const" leaf (no gradient); an operation
result bound to a name is labelled with it unless it already has a label. The
interpreter counts the nodes every instruction makes and checks the count before
making them, so a program over `max_nodes` stops early.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import ops
from ..engine import Value
from ..progress import tick
from .errors import SourceError
from .parser import DEFAULT_MAX_DEPTH, Statement, parse
from .tokens import Token, tokenize

DEFAULT_MAX_NODES = 300_000
DEFAULT_MAX_SOURCE_BYTES = 64 * 1024

BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
# name -> the engine's method, from the op table's fixed list of unary functions
FUNCTION_TABLE: dict[str, Callable[[Value], Value]] = {name: getattr(Value, name) for name in ops.FUNCTIONS}
# name -> the engine's method (a.max(b)), from the op table's fixed list of binary functions
BINARY_FUNCTION_TABLE: dict[str, Callable[[Value, Value | float], Value]] = {
    name: getattr(Value, name) for name in ops.BINARY_FUNCTIONS
}


@dataclass
class Result:
    """What a program computed: the output Value, every named Value, and warnings."""

    output: Value
    output_name: str | None
    names: dict[str, Value] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # (nodes made before it, source line) of each statement that made nodes, in order: on a fresh tape
    # the first count is the statement's first tape index (the page steps by statement with them)
    lines: list[tuple[int, int]] = field(default_factory=list)


def _err(msg: str, tok: Token, type_: str) -> SourceError:
    return SourceError(msg, type_, tok.line, tok.column)


def _const(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value.leaf(x, "const")


class _Run:
    """One program's state: the names bound so far and how many nodes the program has made.

    The interpreter holds no engine index: it counts the nodes each instruction makes
    (an operation 1, plus 1 constant leaf per float operand; a leaf 1) and decides
    "created by this statement" from the statement's own code, so it does not depend
    on how the engine stores nodes (which may compact and renumber them mid-program).
    """

    def __init__(self, assigned: set[str], max_nodes: int) -> None:
        self.env: dict[str, Value] = {}
        self.assigned = assigned
        self.max_nodes = max_nodes
        self.nodes = 0  # nodes made so far

    def over_budget(self, tok: Token) -> SourceError:
        return _err(f"the graph needs more than {self.max_nodes} nodes (the max_nodes limit)", tok, "limit.nodes")

    def count(self, n: int, tok: Token) -> None:
        """Account for n nodes about to be made; refuse before making them if that passes the limit."""
        self.nodes += n
        if self.nodes > self.max_nodes:
            raise self.over_budget(tok)

    def lookup(self, name: str, tok: Token) -> Value:
        v = self.env.get(name)
        if v is not None:
            return v
        if name in self.assigned:
            raise _err(f"'{name}' is used before it is assigned", tok, "name")
        close = difflib.get_close_matches(name, list(self.env), n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise _err(f"'{name}' is not defined{hint}", tok, "name")

    def evaluate(self, st: Statement) -> tuple[Value, bool]:
        """The statement's value, and whether the statement made it (False: the value of an existing name)."""
        stack: list[Value | float] = []
        push, pop = stack.append, stack.pop
        nodes, limit = self.nodes, self.max_nodes
        env = self.env
        leaf = Value.leaf
        binary, functions = BINARY, FUNCTION_TABLE
        fresh = True  # the top of the stack is a node this statement makes (not a loaded name)
        # Codes in order of frequency. A float operand stays a float until an operation uses
        # it: Value's operators turn it into a const leaf; two floats need one made by hand.
        # Each instruction counts its nodes before making them, so a program over the limit
        # stops at the instruction that passes it.
        for code, arg, tok in st.code:
            if code == "load":
                v = env.get(arg)  # type: ignore[call-overload]
                push(v if v is not None else self.lookup(arg, tok))  # type: ignore[arg-type]
                fresh = False
                continue
            if code == "bin" or code == "fn2":  # an operator, or a function of two (max)
                b = pop()
                a = pop()
                nodes += 1 + (a.__class__ is float) + (b.__class__ is float)
                if nodes > limit:
                    raise self.over_budget(tok)
                if a.__class__ is float and (code == "fn2" or b.__class__ is float):
                    a = leaf(a, "const")  # no Value method would see it: make the constant by hand
                push((binary if code == "bin" else BINARY_FUNCTION_TABLE)[arg](a, b))  # type: ignore[index, arg-type]
            elif code == "num":
                push(arg)  # type: ignore[arg-type]
            elif code == "neg" or code == "fn":
                a = pop()
                nodes += 1 + (a.__class__ is float)
                if nodes > limit:
                    raise self.over_budget(tok)
                push(-_const(a) if code == "neg" else functions[arg](_const(a)))  # type: ignore[index]
            elif code == "value":
                nodes += 1
                if nodes > limit:
                    raise self.over_budget(tok)
                leaf_spec: tuple[float, str] = arg  # type: ignore[assignment]
                push(leaf(leaf_spec[0], "input", label=leaf_spec[1]))
            else:  # "pos": unary plus is the value itself, as Value.__pos__
                continue
            fresh = True
        self.nodes = nodes
        result = stack[-1]
        if isinstance(result, Value):
            return result, fresh
        self.count(1, st.token)
        return leaf(result, "input"), True  # a number on its own: a leaf, labelled if it is bound to a name

    def bind(self, name: str, v: Value, fresh: bool) -> None:
        # label a node this statement made (not an alias of an existing one) unless it has a label
        if fresh and not v.label:
            v.label = name
        self.env[name] = v


def run(
    source: str,
    output: str | None = None,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
) -> Result:
    """Parse and run `source` (its nodes go where `Value` puts them); raise SourceError outside the language."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > max_source_bytes:
        raise SourceError(
            f"the source is {size} bytes, more than the max_source_bytes limit of {max_source_bytes}",
            "limit.source_bytes",
        )
    tokens, warnings = tokenize(source)
    statements, assigned = parse(tokens, max_depth)
    r = _Run(assigned, max_nodes)
    last: Value | None = None
    selected: tuple[str, Value] | None = None
    lines: list[tuple[int, int]] = []
    for st in statements:
        tick()  # the request's deadline (gradwalk.progress)
        if st.kind == "noop":
            continue
        if not lines or lines[-1][0] < r.nodes:  # the previous statement made nodes: a new run
            lines.append((r.nodes, st.token.line))
        else:
            lines[-1] = (r.nodes, st.token.line)
        if st.kind == "leaf":
            r.count(1, st.token)
            last = Value.leaf(st.value, "input", label=st.target)
            r.env[st.target] = last
        elif st.kind == "assign":
            v, fresh = r.evaluate(st)
            if st.op != "=":
                old = r.lookup(st.target, st.token)
                r.count(1, st.token)
                v, fresh = BINARY[st.op[0]](old, v), True
            r.bind(st.target, v, fresh)
            last = v
        elif st.kind == "label":
            last = r.lookup(st.target, st.token)
            last.label = st.label
        elif st.kind == "select":
            last = r.lookup(st.target, st.token)
            selected = (st.target, last)
        else:
            last = r.evaluate(st)[0]

    if output is not None:
        found = r.env.get(output)
        if found is None:
            known = ", ".join(sorted(r.env)) or "none"
            shown = output.encode("ascii", "backslashreplace").decode()[:80]
            raise SourceError(f"output '{shown}' is not a name assigned in the source (names: {known})", "output")
        return Result(found, output, r.env, warnings, lines)
    if selected is not None:
        return Result(selected[1], selected[0], r.env, warnings, lines)
    if last is None:
        raise SourceError("the source has no expression: write one, e.g. L = (a*b + c) * f", "empty", 1, 1)
    name = next((k for k, v in reversed(r.env.items()) if v is last), None)
    return Result(last, name, r.env, warnings, lines)
