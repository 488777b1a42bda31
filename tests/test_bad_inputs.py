"""The bad-input catalogue: hostile and malformed requests each get a 4xx with `detail`, fast, with nothing executed.

Code-injection attempts, every syntax-error class, non-ASCII look-alikes and digits,
control characters, deep nesting, huge literals, non-strict JSON, wrong types and
oversized bodies. Every entry must answer 4xx in under a second; the injection
attempts target a sentinel file that must never appear.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gradwalk.api.main import app

client = TestClient(app)
SENTINEL = Path("/tmp/gradwalk-pwned")
PWN = f"open('{SENTINEL}', 'w').write('x')"

SOURCES: list[tuple[str, str]] = [
    # code injection
    ("dunder-import", "__import__('os').system('touch /tmp/gradwalk-pwned')"),
    ("import-os", "import os\nos.system('touch /tmp/gradwalk-pwned')"),
    ("from-os", "from os import system"),
    ("exec", f'exec("{PWN}")'),
    ("eval", f'eval("{PWN}")'),
    ("open", PWN),
    ("compile", "compile('1', 'x', 'eval')"),
    ("dunder-class", "x = Value(1.0)\ny = x.__class__"),
    ("dunder-chain", "().__class__.__bases__[0].__subclasses__()"),
    ("dunder-globals", "x = Value(1.0); x.__init__.__globals__"),
    ("private-attr", "x = Value(1.0); x._tape"),
    ("method-backward-tape", "x = Value(1.0); y = x._backward()"),
    ("getattr", "getattr(Value, 'exp')"),
    ("lambda", "f = lambda x: x\nf(2)"),
    ("list-comprehension", "[x for x in range(10**9)]"),
    ("generator", "sum(x for x in range(10))"),
    ("dict", "{'a': 1}"),
    ("f-string", "f'{__import__(\"os\")}'"),
    ("format-string", "'{0.__class__}'.format(1)"),
    ("percent-format", "'%s' % 1"),
    ("def", "def f(x):\n    return x\nf(2)"),
    ("class", "class A: pass"),
    ("while-loop", "while 1: pass"),
    ("for-loop", "for i in range(3): pass"),
    ("if", "x = 1 if 1 else 2"),
    ("walrus", "(x := 2)"),
    ("subscript", "x = Value(1.0); x[0]"),
    ("attribute-on-number", "x = (1).__class__"),
    ("star-args", "tanh(*[1])"),
    ("keyword-call", "tanh(x=1)"),
    ("value-expression-arg", "Value(__import__('os'))"),
    ("value-of-name", "a = 1.0; b = Value(a)"),
    ("value-bad-kwarg", "Value(1.0, _children=(1,))"),
    ("backslash-string", "a = Value(1.0, label='\\x41')"),
    ("semicolon-in-parens", "a = (1; 2)"),
    # syntax error classes
    ("empty", ""),
    ("only-comment", "# nothing"),
    ("unclosed-paren", "a = (1 + 2"),
    ("extra-paren", "a = 1 + 2)"),
    ("dangling-operator", "a = 1 *"),
    ("double-operator", "a = 1 * * 2"),
    ("missing-operator", "a = 1 2"),
    ("assign-to-number", "1 = a"),
    ("assign-in-expression", "a = b = 1"),
    ("tuple", "a = 1, 2"),
    ("unknown-name", "a = b + 1"),
    ("used-before-assigned", "a = c\nc = 1"),
    ("unknown-function", "a = tanhh(1)"),
    ("unknown-method", "a = Value(1.0).tanhh()"),
    ("wrong-arity", "a = tanh(1, 2)"),
    ("no-args", "a = exp()"),
    ("unclosed-string", "a = Value(1.0, label='abc)"),
    ("bare-string", "a = 'abc'"),
    ("malformed-number", "a = 1.2.3"),
    ("hex-number", "a = 0x10"),
    ("underscore-number", "a = 1_000"),
    ("set-data", "a = Value(1.0)\na.data += 0.1"),
    ("label-not-string", "a = Value(1.0)\na.label = 3"),
    ("backward-in-expression", "a = Value(1.0)\nb = a.backward() + 1"),
    ("draw-dot-in-expression", "a = Value(1.0)\nb = draw_dot(a) * 2"),
    ("at-operator", "a = 1 @ 2"),
    ("modulo", "a = 5 % 2"),
    ("floor-division", "a = 5 // 2"),
    ("comparison", "a = 1 < 2"),
    # characters
    ("cyrillic-a", "\u0430 = 1.0"),
    ("greek-omicron", "x = 1.0; y = x + \u03bf"),
    ("fullwidth-digit", "a = \uff11"),
    ("arabic-indic-digit", "a = \u0663"),
    ("devanagari-digit", "a = \u0967"),
    ("nul", "a = 1\x00"),
    ("bell", "a = \x07 1"),
    ("escape", "a = 1\x1b[31m"),
    ("del-char", "a = 1\x7f"),
    ("zero-width-space", "a = 1\u200b + 2"),
    ("bom-not-at-start", "a = 1\n\ufeffb = 2"),  # a leading one (a pasted file) is accepted
    ("unexpected-indent", "a = 1\n  b = a"),
    ("rtl-override", "a = 1 \u202e+ 2"),
    ("nbsp", "a =\u00a01"),
    ("unicode-minus", "a = \u22121"),
    ("emoji", "a = 1 + \U0001f600"),
    # depth and size
    ("parens-20000", "y = " + "(" * 20_000 + "1" + ")" * 20_000),
    ("unary-minus-30000", "y = " + "-" * 30_000 + "1"),
    ("unary-plus-30000", "y = " + "+" * 30_000 + "1"),
    ("pow-chain-20000", "y = " + "**".join(["2"] * 20_000)),
    ("calls-20000", "y = " + "exp(" * 20_000 + "1" + ")" * 20_000),
    ("parens-201", "y = " + "(" * 201 + "1" + ")" * 201),
    ("source-over-64k", "x = 1\n" * 12_000),
    ("huge-integer-literal", "a = " + "9" * 70_000),
]

RAW_BODIES: list[tuple[str, bytes, str]] = [
    ("json-nan", b'{"source": "a = 1", "layout": NaN}', "application/json"),
    ("json-infinity", b'{"source": "a = 1", "output": Infinity}', "application/json"),
    ("json-1e400", b'{"source": "a = 1", "extra": 1e400}', "application/json"),
    ("json-lone-surrogate", b'{"source": "a = \\ud800"}', "application/json"),
    ("json-lone-low-surrogate", b'{"source": "\\udfff"}', "application/json"),
    ("json-bad-utf8", b'{"source": "a = \xff"}', "application/json"),
    ("json-truncated", b'{"source": "a = 1"', "application/json"),
    ("json-not-object", b'"a = 1"', "application/json"),
    ("json-array", b'["a = 1"]', "application/json"),
    ("json-null", b"null", "application/json"),
    ("json-empty-body", b"", "application/json"),
    ("json-trailing-garbage", b'{"source": "a = 1"} x', "application/json"),
    ("form-encoded", b"source=a+%3D+1", "application/x-www-form-urlencoded"),
    ("text-plain", b"a = 1", "text/plain"),
]

JSON_BODIES: list[tuple[str, object]] = [
    ("source-int", {"source": 3}),
    ("source-null", {"source": None}),
    ("source-list", {"source": ["a = 1"]}),
    ("source-missing", {}),
    ("layout-string", {"source": "a = 1", "layout": "true"}),
    ("layout-int", {"source": "a = 1", "layout": 1}),
    ("output-int", {"source": "a = 1", "output": 3}),
    ("output-unknown", {"source": "a = 1", "output": "b"}),
    ("output-huge", {"source": "a = 1", "output": "o" * 100_000}),
    ("extra-field", {"source": "a = 1", "eval": "1"}),
    ("oversized-body", {"source": "# " + "z" * (5 * 1024 * 1024)}),
]

CASES = (
    [pytest.param({"json": {"source": s}}, id=f"src-{name}") for name, s in SOURCES]
    + [pytest.param({"content": b, "headers": {"content-type": ct}}, id=f"raw-{name}") for name, b, ct in RAW_BODIES]
    + [pytest.param({"json": body}, id=f"body-{name}") for name, body in JSON_BODIES]
)


def test_catalogue_has_at_least_sixty_inputs() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("request_kwargs", CASES)
def test_bad_input_is_a_fast_4xx_with_detail(request_kwargs: dict) -> None:  # type: ignore[type-arg]
    SENTINEL.unlink(missing_ok=True)
    t = time.process_time()  # CPU seconds of this process (client and app): the work, not the machine's load
    r = client.post("/api/v1/expression", **request_kwargs)
    seconds = time.process_time() - t
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], list) and body["detail"]
    for entry in body["detail"]:
        assert isinstance(entry["msg"], str) and entry["msg"] and isinstance(entry["type"], str)
        if entry["type"].startswith("source.") and entry["type"] not in ("source.output", "source.limit.source_bytes"):
            assert entry["line"] >= 1 and entry["column"] >= 1
    assert seconds < 1.0, seconds
    assert not SENTINEL.exists(), "nothing may be executed"


def test_non_ascii_errors_name_the_character() -> None:
    r = client.post("/api/v1/expression", json={"source": "a = 1\nb = \u0430 + 1"})
    (entry,) = r.json()["detail"]
    assert "U+0430" in entry["msg"] and (entry["line"], entry["column"]) == (2, 5)
