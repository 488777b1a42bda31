"""The tokenizer: source text -> a flat list of tokens with 1-based line and column.

ASCII only outside comments: any other character (look-alike letters, Arabic-Indic
digits, control characters, lone surrogates) is an error naming the character and
where it is. A byte-order mark at the very start is dropped; anywhere else it is
refused like any other non-ASCII character. A line break is CR LF, LF or a lone
CR, the same everywhere (statements, comments, strings, positions). Newlines
inside parentheses are ignored, as in Python, so multi-line calls paste as-is;
`;` and newlines end statements. As in Python, a statement starts at column 1
("unexpected indent" otherwise); blank and comment lines, and continuation lines
inside parentheses or after a backslash, may be indented.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import NamedTuple

from .errors import SourceError, describe_char

NUM, NAME, STR, OP, END, EOF = "number", "name", "string", "operator", "end of statement", "end of input"

# One alternation, tried in order at each position; group names are token kinds. Numbers come
# before operators so '.5' is a number; `error` catches any other single character.
_TOKEN = re.compile(
    r"""
    (?P<badnumber>(?>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[A-Za-z0-9_])
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<op>\*\*|[-+*/]=|[-+*/(),.=])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ws>[ \t]+|\\(?:\r\n?|\n))                           # blanks and backslash line continuations
  | (?P<newline>\r\n?|\n|;)                                  # \r\n, \n and a lone \r are one line break each
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'[^'\\\r\n]*'|"[^"\\\r\n]*")
  | (?P<error>.)
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    kind: str
    text: str
    line: int
    column: int
    value: float = 0.0  # numbers only

    def describe(self) -> str:
        if self.kind in (END, EOF):
            return "the end of the statement" if self.kind == END and self.text == ";" else self.kind
        return f"'{self.text}'"


def _check_characters(source: str, line_starts: list[int]) -> None:
    """Reject the first non-ASCII or control character outside a comment."""
    if source.isascii() and not _CONTROL.search(source):
        return
    in_comment = False
    in_string = ""
    for pos, ch in enumerate(source):
        if ch == "\n" or ch == "\r":
            in_comment, in_string = False, ""
            continue
        if in_comment:
            continue
        if in_string:
            if ch == in_string:
                in_string = ""
        elif ch == "#":
            in_comment = True
            continue
        elif ch in "'\"":
            in_string = ch
        code = ord(ch)
        if code >= 127 or (code < 32 and ch not in "\t\r"):
            line, column = _position(line_starts, pos)
            kind = "a control character" if code < 32 or code == 127 else "not ASCII"
            hint = " (only ASCII letters, digits and operators are allowed outside comments)"
            raise SourceError(f"character {describe_char(ch)} is {kind}{hint}", "character", line, column)


_PYTHON_ONLY = frozenset(keyword.kwlist) - {"import", "from"}  # those two start accepted no-op lines
_INF = math.inf
_new = tuple.__new__  # 4x faster than Token(...), same NamedTuple type
_LINE_BREAK = re.compile(r"\r\n?|\n")  # what the tokenizer counts as one line break
_BLANK_LINE_ENDS = ("", "\r", "\n", "#")  # what may follow indentation: the line is blank or a comment
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _position(line_starts: list[int], pos: int) -> tuple[int, int]:
    from bisect import bisect_right

    k = bisect_right(line_starts, pos) - 1
    return k + 1, pos - line_starts[k] + 1


def tokenize(source: str) -> tuple[list[Token], list[str]]:
    """Tokens of `source` (ending with EOF) and warnings (literals out of double range).

    A byte-order mark at the very start (a pasted file) is dropped; positions count from after it.
    """
    if source.startswith("\ufeff"):
        source = source[1:]
    line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source)]
    _check_characters(source, line_starts)
    tokens: list[Token] = []
    warnings: list[str] = []
    depth = 0  # open parentheses: newlines inside them do not end a statement
    line, line_start = 1, 0
    statement_start = 0  # where the current line starts if it begins a statement (not a continuation)
    append = tokens.append
    # one pass of finditer; the hot kinds (op, name, number) come first
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup
        text = m.group()
        if kind == "op":
            if text == "(":
                depth += 1
            elif text == ")":
                depth -= 1
            append(_new(Token, (OP, text, line, m.start() - line_start + 1, 0.0)))
        elif kind == "name":
            if text in _PYTHON_ONLY:  # before any later ':' or '[' so the message names the real cause
                col = m.start() - line_start + 1
                msg = f"'{text}' is Python, not part of this language (only arithmetic on values)"
                raise SourceError(msg, "syntax", line, col)
            append(_new(Token, (NAME, text, line, m.start() - line_start + 1, 0.0)))
        elif kind == "number":
            value = float(text)
            col = m.start() - line_start + 1
            if value == _INF:
                warnings.append(
                    f"line {line}, column {col}: the literal {text[:40]} is too large for a double: Infinity"
                )
            append(_new(Token, (NUM, text, line, col, value)))
        elif kind == "ws":
            if text[0] == "\\":  # a backslash continuation
                line += 1
                line_start = m.end()
            elif m.start() == statement_start and source[m.end() : m.end() + 1] not in _BLANK_LINE_ENDS:
                msg = "unexpected indent: a statement starts at column 1 (indent lines only inside parentheses"
                raise SourceError(msg + " or after a backslash continuation)", "syntax", line, 1)
        elif kind == "comment":
            pass
        elif kind == "newline":
            if text == ";" or depth <= 0:
                append(_new(Token, (END, text, line, m.start() - line_start + 1, 0.0)))
            if text != ";":
                line += 1
                line_start = m.end()
                if depth <= 0:
                    statement_start = line_start
        elif kind == "string":
            append(_new(Token, (STR, text[1:-1], line, m.start() - line_start + 1, 0.0)))
        else:
            col = m.start() - line_start + 1
            if kind == "badnumber":
                msg = f"malformed number '{text}...' (numbers look like 2, -3.5, 1.5e-3, 2E2)"
            elif text in "'\"":
                msg = "this string is not closed on its line (escapes are not supported)"
            else:
                msg = f"character {describe_char(text)} is not part of the language"
            raise SourceError(msg, "syntax", line, col)
    append(_new(Token, (EOF, "", line, len(source) - line_start + 1, 0.0)))
    return tokens, warnings
