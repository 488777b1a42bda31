"""The interpreter: runs parsed statements and builds the Value graph on the current tape.

Operators go through `Value`'s operators (which read the op table); functions and
methods resolve through FUNCTION_TABLE, a fixed dict built from the op table's
names. Nothing here looks up a Python attribute by a name the user wrote.

Semantics (SPEC §2): a number bound to a name is one input leaf with that label;
every literal used in an operation is a "const" leaf (no gradient); an operation
result bound to a name is labelled with it unless it already has a label. The node
count is checked after every instruction, so a program over `max_nodes` stops early.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import ops
from ..engine import Value
from ..tape import current_tape
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


@dataclass
class Result:
    """What a program computed: the output Value, every named Value, and warnings."""

    output: Value
    output_name: str | None
    names: dict[str, Value] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _err(msg: str, tok: Token, type_: str) -> SourceError:
    return SourceError(msg, type_, tok.line, tok.column)


def _const(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value.leaf(x, "const")


class _Run:
    def __init__(self, assigned: set[str], max_nodes: int) -> None:
        self.env: dict[str, Value] = {}
        self.assigned = assigned
        self.max_nodes = max_nodes
        self.tape = current_tape()
        self.start = len(self.tape.data)

    def check_budget(self, tok: Token) -> None:
        if len(self.tape.data) - self.start > self.max_nodes:
            raise _err(f"the graph needs more than {self.max_nodes} nodes (the max_nodes limit)", tok, "limit.nodes")

    def lookup(self, name: str, tok: Token) -> Value:
        v = self.env.get(name)
        if v is not None:
            return v
        if name in self.assigned:
            raise _err(f"'{name}' is used before it is assigned", tok, "name")
        close = difflib.get_close_matches(name, list(self.env), n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise _err(f"'{name}' is not defined{hint}", tok, "name")

    def evaluate(self, st: Statement) -> Value:
        stack: list[Value | float] = []
        push, pop = stack.append, stack.pop
        tape_data = self.tape.data
        limit = self.start + self.max_nodes
        env = self.env
        leaf = Value.leaf
        binary, functions = BINARY, FUNCTION_TABLE
        # Codes in order of frequency. A float operand stays a float until an operation uses
        # it: Value's operators turn it into a const leaf; two floats need one made by hand.
        for code, arg, tok in st.code:
            if code == "load":
                v = env.get(arg)  # type: ignore[call-overload]
                push(v if v is not None else self.lookup(arg, tok))  # type: ignore[arg-type]
                continue
            if code == "bin":
                b = pop()
                a = pop()
                if a.__class__ is float and b.__class__ is float:
                    a = leaf(a, "const")
                push(binary[arg](a, b))  # type: ignore[index, arg-type]
            elif code == "num":
                push(arg)  # type: ignore[arg-type]
                continue
            elif code == "neg":
                push(-_const(pop()))
            elif code == "fn":
                push(functions[arg](_const(pop())))  # type: ignore[index]
            elif code == "value":
                leaf_spec: tuple[float, str] = arg  # type: ignore[assignment]
                push(leaf(leaf_spec[0], "input", label=leaf_spec[1]))
            # "pos": unary plus is the value itself, as Value.__pos__
            if len(tape_data) > limit:
                self.check_budget(tok)
        result = stack[-1]
        if isinstance(result, Value):
            return result
        return leaf(result, "input")  # a number on its own: a leaf, labelled if it is bound to a name

    def bind(self, name: str, v: Value, fresh_from: int) -> None:
        # label a node this statement created (not an alias of an existing one) unless it has a label
        if v._i >= fresh_from and not v.label:
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
    """Parse and run `source` on the current tape; raise SourceError for anything outside the language."""
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
    for st in statements:
        fresh_from = len(r.tape.data)
        if st.kind == "noop":
            continue
        if st.kind == "leaf":
            last = Value.leaf(st.value, "input", label=st.target)
            r.env[st.target] = last
        elif st.kind == "assign":
            v = r.evaluate(st)
            if st.op != "=":
                old = r.lookup(st.target, st.token)
                v = BINARY[st.op[0]](old, v)
            r.bind(st.target, v, fresh_from)
            last = v
        elif st.kind == "label":
            last = r.lookup(st.target, st.token)
            last.label = st.label
        elif st.kind == "select":
            last = r.lookup(st.target, st.token)
            selected = (st.target, last)
        else:
            last = r.evaluate(st)
        r.check_budget(st.token)

    if output is not None:
        found = r.env.get(output)
        if found is None:
            known = ", ".join(sorted(r.env)) or "none"
            shown = output.encode("ascii", "backslashreplace").decode()[:80]
            raise SourceError(f"output '{shown}' is not a name assigned in the source (names: {known})", "output")
        return Result(found, output, r.env, warnings)
    if selected is not None:
        return Result(selected[1], selected[0], r.env, warnings)
    if last is None:
        raise SourceError("the source has no expression: write one, e.g. L = (a*b + c) * f", "empty", 1, 1)
    name = next((k for k, v in reversed(r.env.items()) if v == last), None)
    return Result(last, name, r.env, warnings)
