"""The parser: tokens -> statements whose expressions are postfix (RPN) instruction lists.

An operator-precedence (Pratt / shunting-yard) parser driven by one loop and two
explicit stacks, so no input can exhaust Python's recursion limit: a 30,000-term
sum is a flat loop, and nesting (parentheses, unary signs, `**` chains) is counted
and refused past `max_depth` as soon as the limit is crossed. Precedence and
associativity are Python's: `-a**2` is `-(a**2)`, `a**b**c` is `a**(b**c)`,
`2**-1` is `2**(-1)`, and a sign on a bare literal makes one signed constant (`x**-1`).
"""

from __future__ import annotations

import difflib
import keyword
from dataclasses import dataclass, field

from ..ops import BINARY_FUNCTIONS, FUNCTIONS
from .errors import SourceError
from .tokens import END, EOF, NAME, NUM, OP, STR, Token

DEFAULT_MAX_DEPTH = 200

# Instructions: (code, argument, token). Codes:
#   "num" float literal | "load" name | "value" (data, label) from Value(...)
#   "bin" operator | "neg" | "fn" function name (one operand) | "fn2" function name (two operands)
Instr = tuple[str, object, Token]

# Parser stack entries that open a parenthesis: "(" | "call" f( of a unary function |
# "call2" f( of a binary one, before its ',' | "arg2" after it | "meth2" a.f( of a binary one.
OPENERS = ("(", "call", "call2", "arg2", "meth2")
ALL_FUNCTIONS = (*FUNCTIONS, *BINARY_FUNCTIONS)

BINARY_PREC = {"+": 10, "-": 10, "*": 20, "/": 20, "**": 40}
UNARY_PREC = 30  # binds looser than ** (so -a**2 is -(a**2)), tighter than * and /
AUGMENTED = ("+=", "-=", "*=", "/=")
# Lines pasted from lecture code that mean nothing here but are harmless.
IMPORTABLE = {"micrograd", "micrograd.engine", "gradwalk", "gradwalk.engine"}
IMPORTABLE_NAMES = {"Value"}
PLAIN_IMPORTS = {"math"}


@dataclass(slots=True)
class Statement:
    kind: str  # "assign" | "leaf" | "label" | "expr" | "select" | "noop"
    token: Token  # where the statement starts (for error positions)
    target: str = ""  # assigned, relabelled or selected name
    op: str = "="  # "=" or an augmented operator
    code: list[Instr] = field(default_factory=list)
    value: float = 0.0  # "leaf": the signed literal
    label: str = ""  # "label": the new label


def _error(msg: str, tok: Token, type_: str = "syntax") -> SourceError:
    return SourceError(msg, type_, tok.line, tok.column)


def _suggest(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _function_hint(name: str) -> str:
    if name == "min" and "max" in BINARY_FUNCTIONS:  # Python's builtin pair; the op table has only max
        return " — min is not in the op table: write min(a, b) as -max(-a, -b)"
    return _suggest(name, ALL_FUNCTIONS)


def _check_name(tok: Token) -> None:
    if keyword.iskeyword(tok.text):
        raise _error(f"'{tok.text}' is Python, not part of this language (only arithmetic on values)", tok)
    if tok.text.startswith("__"):
        raise _error(f"'{tok.text}': names starting with '__' are not allowed", tok)


class Parser:
    """Parse a whole program. Use `parse(tokens)`; see the module docstring."""

    def __init__(self, tokens: list[Token], max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.toks = tokens
        self.i = 0
        self.max_depth = max_depth
        self.assigned: set[str] = set()

    # ------------------------------------------------------------ helpers

    def peek(self, k: int = 0) -> Token:
        j = min(self.i + k, len(self.toks) - 1)
        return self.toks[j]

    def next(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def is_op(self, tok: Token, *texts: str) -> bool:
        return tok.kind == OP and tok.text in texts

    def expect_op(self, text: str, after: str) -> Token:
        tok = self.next()
        if not self.is_op(tok, text):
            raise _error(f"expected '{text}' {after}, found {tok.describe()}", tok)
        return tok

    def at_end(self, k: int = 0) -> bool:
        return self.peek(k).kind in (END, EOF)

    def end_statement(self) -> None:
        tok = self.peek()
        if tok.kind not in (END, EOF):
            raise _error(f"unexpected {tok.describe()}: expected the end of the statement", tok)

    # ------------------------------------------------------------ statements

    def program(self) -> list[Statement]:
        out: list[Statement] = []
        while self.peek().kind != EOF:
            if self.peek().kind == END:
                self.next()
                continue
            out.append(self.statement())
            self.end_statement()
        return out

    def statement(self) -> Statement:
        t0, t1, t2 = self.peek(), self.peek(1), self.peek(2)
        if t0.kind == NAME and t0.text in ("import", "from"):
            return self.import_line()
        if t0.kind == NAME and t0.text == "draw_dot" and self.is_op(t1, "("):
            # draw_dot(L): selects L as the output, draws nothing here
            self.i += 2
            name = self.next()
            if name.kind != NAME:
                raise _error("draw_dot(...) takes the name of a value, e.g. draw_dot(L)", name)
            self.expect_op(")", "after draw_dot(name")
            return Statement("select", t0, target=name.text)
        if t0.kind == NAME and self.is_op(t1, "."):
            if t2.kind == NAME and t2.text == "backward" and self.is_op(self.peek(3), "("):
                self.i += 4
                self.expect_op(")", "after .backward(")
                return Statement("select", t0, target=t0.text)
            if t2.kind == NAME and t2.text == "label" and self.is_op(self.peek(3), "="):
                self.i += 4
                s = self.next()
                if s.kind != STR:
                    raise _error("a label is a string in quotes: e.label = 'e'", s)
                return Statement("label", t0, target=t0.text, label=s.text)
            if t2.kind == NAME and t2.text in ("data", "grad") and self.is_op(self.peek(3), "=", *AUGMENTED):
                raise _error(f"setting .{t2.text} is not part of the language: give the value when you create it", t2)
        if t0.kind == NAME and self.is_op(t1, "=", *AUGMENTED):
            _check_name(t0)
            if t0.text in ("Value", "draw_dot"):
                raise _error(f"'{t0.text}' is a built-in name and cannot be assigned", t0)
            self.i += 2
            self.assigned.add(t0.text)
            if t1.text == "=":
                literal = self.signed_literal()
                if literal is not None:
                    return Statement("leaf", t0, target=t0.text, value=literal)
            return Statement("assign", t0, target=t0.text, op=t1.text, code=self.expression())
        return Statement("expr", t0, code=self.expression())

    def signed_literal(self) -> float | None:
        """`-3.0` followed by the end of the statement: one leaf (micrograd's Value(-3.0))."""
        tok, k = self.peek(), 0
        sign = 1.0
        if self.is_op(tok, "-", "+"):
            sign = -1.0 if tok.text == "-" else 1.0
            k = 1
        num = self.peek(k)
        if num.kind == NUM and self.at_end(k + 1):
            self.i += k + 1
            return sign * num.value
        return None

    def import_line(self) -> Statement:
        first = self.next()
        if first.text == "import":
            mod = self.dotted()
            if mod not in PLAIN_IMPORTS:
                raise _error(
                    f"imports are not part of the language ('import {mod}'); only 'import math' is accepted", first
                )
            return Statement("noop", first)
        mod = self.dotted()
        tok = self.next()
        if not (tok.kind == NAME and tok.text == "import"):
            raise _error(f"expected 'import' after 'from {mod}', found {tok.describe()}", tok)
        names = [self.next()]
        while self.is_op(self.peek(), ","):
            self.next()
            names.append(self.next())
        bad = [n.text for n in names if n.text not in IMPORTABLE_NAMES]
        if mod not in IMPORTABLE or bad:
            raise _error(
                f"imports are not part of the language ('from {mod} import ...'); "
                "only 'from micrograd.engine import Value' is accepted, as a no-op",
                first,
            )
        return Statement("noop", first)

    def dotted(self) -> str:
        tok = self.next()
        if tok.kind != NAME:
            raise _error(f"expected a module name, found {tok.describe()}", tok)
        parts = [tok.text]
        while self.is_op(self.peek(), "."):
            self.next()
            tok = self.next()
            if tok.kind != NAME:
                raise _error(f"expected a module name, found {tok.describe()}", tok)
            parts.append(tok.text)
        return ".".join(parts)

    # ------------------------------------------------------------ expressions

    def value_call(self, head: Token) -> Instr:
        """Value(2.0), Value(-3.0, label='b'), Value(data=2.0): a literal leaf.

        Arguments follow micrograd's signature `Value(data, _children=(), _op='', label='')`
        and Python's rules: a duplicate or unknown argument, a positional one after a
        keyword, or a second positional one (that would be `_children`) is an error.
        """
        self.expect_op("(", "after Value")
        data: float | None = None
        label = ""
        keywords: set[str] = set()
        first = True
        while not self.is_op(self.peek(), ")"):
            if not first:
                self.expect_op(",", "between the arguments of Value(...)")
                if self.is_op(self.peek(), ")"):
                    break
            first = False
            tok = self.peek()
            if tok.kind == NAME and self.is_op(self.peek(1), "="):
                if tok.text not in ("data", "label"):
                    if tok.text in ("_children", "_op"):
                        msg = "Value(...) takes no _children and _op here: operators build the children"
                        raise _error(msg, tok)
                    raise _error(
                        f"Value() got an unexpected keyword argument '{tok.text}' (use Value(2.0, label='a'))", tok
                    )
                given = tok.text in keywords
                if given or (tok.text == "data" and data is not None):  # data given positionally first
                    msg = f"keyword argument repeated: '{tok.text}'" if given else ""
                    raise _error(msg or "Value() got multiple values for argument 'data'", tok)
                keywords.add(tok.text)
                self.i += 2
                if tok.text == "label":
                    s = self.next()
                    if s.kind != STR:
                        raise _error("label= takes a string in quotes: Value(2.0, label='a')", s)
                    label = s.text
                    continue
            elif keywords:
                raise _error("positional argument follows keyword argument: Value(2.0, label='a')", tok)
            elif data is not None:
                raise _error(
                    "Value(...)'s second argument is _children (micrograd's signature), not a label: "
                    "write Value(2.0, label='a')",
                    tok,
                )
            data = self.value_number()
        self.next()  # ")"
        if data is None:
            raise _error("Value(...) is missing the number: write Value(2.0) or Value(data=2.0)", head)
        return ("value", (data, label), head)

    def value_number(self) -> float:
        """The number argument of Value(...): a literal with an optional sign."""
        sign = 1.0
        num = self.next()
        if self.is_op(num, "-", "+"):
            sign = -1.0 if num.text == "-" else 1.0
            num = self.next()
        if num.kind != NUM:
            raise _error("Value(...) takes a number, e.g. Value(2.0); build expressions with operators instead", num)
        return sign * num.value

    def expression(self) -> list[Instr]:
        """One expression up to the end of the statement, as postfix code.

        The hot loop of the language: tokens are read by tuple index (kind 0, text 1)
        and the position lives in a local, written back before any helper runs.
        """
        out: list[Instr] = []
        emit = out.append
        # stack entries: (kind, precedence, token); kind is "bin", "neg", "pos", "(" or "call".
        # "nest" counts the entries that nest: everything except + - * /.
        stack: list[tuple[str, int, Token]] = []
        push, pop = stack.append, stack.pop
        unary = self.unary
        depth = 0
        max_depth = self.max_depth
        operand = True  # expecting an operand (prefix position)
        toks = self.toks
        i = self.i
        prec_of = BINARY_PREC
        while True:
            tok = toks[i]
            kind, text = tok[0], tok[1]
            if operand:
                if kind == NAME:
                    nxt = toks[i + 1]
                    if nxt[1] == "(" and nxt[0] == OP:
                        self.i = i
                        _check_name(tok)
                        if text == "Value":
                            self.i = i + 1
                            emit(self.value_call(tok))
                            i = self.i
                            operand = False
                            continue
                        i += 1
                        push((self.check_function(tok), 0, tok))
                        depth += 1
                    else:
                        if text[0] == "_" and text.startswith("__"):
                            _check_name(tok)
                        emit(("load", text, tok))
                        operand = False
                elif kind == NUM:
                    emit(("num", tok[4], tok))
                    operand = False
                elif kind == OP and text in ("-", "+", "("):
                    push(("neg" if text == "-" else "pos" if text == "+" else "(", UNARY_PREC, tok))
                    depth += 1
                    if depth > max_depth:
                        raise _error(
                            f"nesting deeper than {max_depth} (parentheses, unary signs and ** chains count)",
                            tok,
                            "limit.depth",
                        )
                elif kind == STR:
                    raise _error("a string can only be a label: Value(2.0, label='a') or e.label = 'e'", tok)
                elif kind == OP and text == ")" and stack and stack[-1][0] == "arg2":
                    raise _error(self.arity_message(stack[-1]), tok, "arity")  # max(a, )
                elif kind in (END, EOF) or (kind == OP and text == ")"):
                    raise _error(f"the expression is incomplete: expected a value before {tok.describe()}", tok)
                else:
                    raise _error(f"expected a number, a name or '(' but found {tok.describe()}", tok)
                if depth > max_depth:
                    raise _error(
                        f"nesting deeper than {max_depth} (parentheses, unary signs and ** chains count)",
                        tok,
                        "limit.depth",
                    )
                i += 1
                continue

            # infix position: after a complete operand
            prec = prec_of.get(text) if kind == OP else None
            if prec is not None:
                right = prec == 40  # ** is the one right-associative operator
                while stack:
                    top = stack[-1]
                    tprec = top[1]
                    if tprec < prec or (tprec == prec and right) or top[0] in OPENERS:
                        break
                    pop()
                    tkind = top[0]
                    if tkind == "bin":
                        if tprec == 40:
                            depth -= 1
                        emit(("bin", top[2][1], top[2]))
                    else:
                        depth -= 1
                        unary(out, tkind, top[2])
                push(("bin", prec, tok))
                if right:
                    depth += 1
                    if depth > max_depth:
                        raise _error(
                            f"nesting deeper than {max_depth} (parentheses, unary signs and ** chains count)",
                            tok,
                            "limit.depth",
                        )
                operand = True
                i += 1
            elif kind in (END, EOF):
                self.i = i
                while stack:
                    top = pop()
                    if top[0] in OPENERS:
                        raise _error("this '(' is never closed", top[2])
                    self.reduce(out, top)
                return out
            elif kind == OP and text == ")":
                depth -= self.reduce_to_opener(out, stack)
                if not stack:
                    raise _error("this ')' has no matching '('", tok)
                top = pop()
                depth -= 1
                if top[0] == "call":
                    emit(("fn", top[2][1], top[2]))
                elif top[0] == "call2":
                    raise _error(self.arity_message(top), tok, "arity")  # max(a)
                elif top[0] != "(":
                    emit(("fn2", top[2][1], top[2]))
                i += 1
            elif kind == OP and text == ".":
                name = toks[i + 1]
                if name[0] == NAME and name[1] in BINARY_FUNCTIONS:  # a.max(b): b is an expression
                    self.i = i + 2
                    self.expect_op("(", f"after .{name[1]}")
                    if self.is_op(self.peek(), ")"):
                        raise _error(self.arity_message(("meth2", 0, name)), self.peek(), "arity")
                    i = self.i
                    push(("meth2", 0, name))
                    depth += 1
                    if depth > max_depth:
                        raise _error(
                            f"nesting deeper than {max_depth} (parentheses, unary signs and ** chains count)",
                            name,
                            "limit.depth",
                        )
                    operand = True
                    continue
                self.i = i + 1
                emit(self.method(tok))
                i = self.i
            elif kind == OP and text == ",":
                depth -= self.reduce_to_opener(out, stack)
                opener = stack[-1][0] if stack else "("
                if opener == "call2":
                    stack[-1] = ("arg2", 0, stack[-1][2])  # the second argument follows
                    operand = True
                elif opener in ("arg2", "meth2") and self.is_op(toks[i + 1], ")"):
                    pass  # a trailing comma, as Python allows: max(a, b,)
                elif opener != "(":
                    raise _error(self.arity_message(stack[-1]), tok, "arity")
                else:
                    raise _error("',' is only allowed between the arguments of a function or Value(...)", tok)
                i += 1
            elif kind == OP and text in ("=", *AUGMENTED):
                raise _error(
                    f"'{text}' can only follow a name at the start of a statement (name {text} expression)", tok
                )
            elif kind == OP and text == "(":
                raise _error("only functions can be called, e.g. tanh(x) or x.tanh()", tok)
            else:
                raise _error(f"missing operator before {tok.describe()}", tok)

    @staticmethod
    def reduce(out: list[Instr], entry: tuple[str, int, Token]) -> None:
        kind, _, tok = entry
        if kind == "bin":
            out.append(("bin", tok.text, tok))
        else:
            Parser.unary(out, kind, tok)

    @staticmethod
    def unary(out: list[Instr], kind: str, tok: Token) -> None:
        """Emit "neg" or "pos"; a sign on a bare literal makes one signed literal instead.

        As in Python, where `-1` is a constant: `x**-1` and `x * -2` use one constant
        leaf, with no gradient. The operand is the last instruction, so `-2**2` (whose
        operand ends with "bin") stays `-(2**2)`.
        """
        last = out[-1]
        if last[0] == "num":
            if kind == "neg":
                out[-1] = ("num", -last[1], tok)  # type: ignore[operator]
        else:
            out.append((kind, None, tok))

    def reduce_to_opener(self, out: list[Instr], stack: list[tuple[str, int, Token]]) -> int:
        """Reduce the operators above the innermost opener (at ')' or ','); return how many nested."""
        nested = 0
        while stack and stack[-1][0] not in OPENERS:
            top = stack.pop()
            if top[0] != "bin" or top[1] == 40:
                nested += 1
            self.reduce(out, top)
        return nested

    @staticmethod
    def arity_message(entry: tuple[str, int, Token]) -> str:
        kind, _, tok = entry
        name = tok.text
        if kind == "call":
            return f"'{name}' takes exactly 1 argument, e.g. {name}(x)"
        if kind == "meth2":
            return f"'.{name}()' takes exactly 1 argument, e.g. a.{name}(b)"
        return f"'{name}' takes exactly 2 arguments, e.g. {name}(a, b)"

    def check_function(self, tok: Token) -> str:
        """The stack entry kind that opens a call of the function `tok` ("call" or "call2")."""
        name = tok.text
        kind = "call" if name in FUNCTIONS else "call2" if name in BINARY_FUNCTIONS else ""
        if kind:
            if self.is_op(self.peek(2), ")"):
                raise _error(self.arity_message((kind, 0, tok)), self.peek(2), "arity")
            return kind
        if name == "draw_dot":
            raise _error("draw_dot(name) is accepted only as a statement of its own", tok)
        raise _error(f"unknown function '{name}'{_function_hint(name)}", tok, "name")

    def method(self, dot: Token) -> Instr:
        tok = self.next()
        if tok.kind != NAME:
            raise _error(f"expected a method name after '.', found {tok.describe()}", tok)
        name = tok.text
        if name in FUNCTIONS:
            self.expect_op("(", f"after .{name}")
            if not self.is_op(self.peek(), ")"):
                raise _error(f".{name}() takes no arguments", self.peek(), "arity")
            self.next()
            return ("fn", name, tok)
        if name == "label":
            raise _error("'.label' can only be assigned, as a statement: e.label = 'e'", tok)
        if name in ("data", "grad"):
            raise _error(f"reading .{name} is not part of the language: every node's {name} is in the result", tok)
        if name == "backward":
            raise _error("x.backward() is accepted only as a statement of its own", tok)
        if name.startswith("_"):
            raise _error(f"'{name}': private attributes are not part of the language", tok, "name")
        raise _error(f"unknown method '{name}'{_function_hint(name)}", tok, "name")


def parse(tokens: list[Token], max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[list[Statement], set[str]]:
    """Statements of a tokenized program and the set of names it assigns."""
    p = Parser(tokens, max_depth)
    return p.program(), p.assigned
