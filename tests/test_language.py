"""The expression language (README, "The expression language") on its own, without the web layer."""

from __future__ import annotations

import math
import time

import pytest

from gradwalk import fresh_tape
from gradwalk.language import SourceError, run
from gradwalk.trace import trace


def result(source: str, output: str | None = None, **limits: int) -> dict:  # type: ignore[type-arg]
    with fresh_tape():
        r = run(source, output, **limits)
        g = trace(r.output)
    g["output_node"] = next(n for n in g["nodes"] if n["id"] == g["output"])
    g["by_label"] = {n["label"]: n for n in g["nodes"] if n["label"]}
    return g


def out(source: str) -> float:
    return result(source)["output_node"]["data"]  # type: ignore[no-any-return]


def error(source: str, **kw: object) -> SourceError:
    with fresh_tape(), pytest.raises(SourceError) as info:
        run(source, **kw)  # type: ignore[arg-type]
    return info.value


# ---------------------------------------------------------------- precedence, checked against Python's own arithmetic


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("-2.0**2", -(2.0**2)),
        ("2.0**3.0**2.0", 2.0 ** (3.0**2.0)),
        ("2**-1", 2**-1),
        ("2**-1**2", 2 ** -(1**2)),
        ("-2*3", -2 * 3),
        ("2*-3", 2 * -3),
        ("1 - 2 - 3", 1 - 2 - 3),
        ("8 / 4 / 2", 8 / 4 / 2),
        ("2 + 3 * 4 ** 2 / 8 - 1", 2 + 3 * 4**2 / 8 - 1),
        ("(2 + 3) * 4", (2 + 3) * 4),
        ("--3", 3.0),
        ("+-+3", -3.0),
        ("-(2)**2", -(2**2)),
        ("(-2)**2", (-2) ** 2),
        ("1.5e-3 * 2E2", 1.5e-3 * 2e2),
        (".5 + 2.", 0.5 + 2.0),
        ("2 ** 0.5 * 2 ** 0.5", 2**0.5 * 2**0.5),
    ],
)
def test_python_precedence_and_associativity(source: str, expected: float) -> None:
    assert out(source) == pytest.approx(expected, rel=1e-15)


def test_functions_and_methods() -> None:
    for f in ("exp", "log", "tanh", "relu", "sigmoid"):
        assert out(f"x = 0.7; y = {f}(x)") == out(f"x = 0.7; y = x.{f}()")
    assert out("x = 0.5; y = (x*2).exp()") == pytest.approx(math.exp(1.0))
    assert out("x = 1.0; y = -x.exp()") == pytest.approx(-math.e)  # method binds tighter than unary minus
    assert out("x = 2.0; y = x ** x.log()") == pytest.approx(2.0 ** math.log(2.0))


# ---------------------------------------------------------------- leaves, constants and labels


def test_signed_literal_bound_to_name_is_one_leaf() -> None:
    g = result("b = -3.0")
    assert len(g["nodes"]) == 1
    assert g["nodes"][0] | {} == g["nodes"][0]
    assert (g["nodes"][0]["label"], g["nodes"][0]["role"], g["nodes"][0]["data"]) == ("b", "input", -3.0)


def test_negated_power_is_an_op_graph() -> None:
    g = result("c = -2**2")
    assert g["output_node"]["op"] == "neg" and g["output_node"]["label"] == "c"
    assert sorted(n["role"] for n in g["nodes"]) == ["const", "const", "op", "op"]


def test_value_constructor_forms() -> None:
    g = result("a = Value(2.0)\nb = Value(-3.0, label='bee')\nc = Value(data=4)\nd = a*b*c")
    assert {k: v["data"] for k, v in g["by_label"].items() if v["role"] == "input"} == {"a": 2.0, "bee": -3.0, "c": 4.0}


def test_literal_exponent_takes_no_gradient_but_named_one_does() -> None:
    g = result("x = 3.0\ny = x**2")
    const = [n for n in g["nodes"] if n["role"] == "const"]
    assert len(const) == 1 and const[0]["grad"] == 0.0
    assert g["by_label"]["x"]["grad"] == 6.0
    g = result("x = 3.0\nk = 2.0\ny = x**k")
    assert g["by_label"]["k"]["grad"] == pytest.approx(9.0 * math.log(3.0))


def test_labels_name_op_results_explicit_label_wins_alias_does_not_relabel() -> None:
    g = result("a = 2.0; b = 3.0\nd = a*b\ne = d\nf = (a + b) * d; f.label = 'F'")
    assert g["by_label"]["d"]["op"] == "mul"
    assert "e" not in g["by_label"]
    assert g["output_node"]["label"] == "F"
    g = result("a = Value(2.0, label='x')\nb = a*2\nb.label = 'twice'\nb")
    assert set(g["by_label"]) == {"x", "twice"}


def test_augmented_assignment_like_micrograd() -> None:
    g = result("a = Value(-4.0)\nb = Value(2.0)\nc = a + b\nc += c + 1\nc += 1 + c + (-a)\nc")
    assert g["output_node"]["data"] == -1.0
    assert g["by_label"]["a"]["grad"] == 3.0  # micrograd: 4*(1) from c, -1 from -a
    for op, expected in (("+=", 5.0), ("-=", -1.0), ("*=", 6.0), ("/=", 2 / 3)):
        assert out(f"a = 2.0\na {op} 3") == pytest.approx(expected)


def test_pasted_lecture_code_is_accepted() -> None:
    source = """
from micrograd.engine import Value
import math
a = Value(2.0, label='a')
b = Value(-3.0, label='b')
c = Value(10.0, label='c')
e = a*b; e.label = 'e'
d = e + c; d.label = 'd'
f = Value(-2.0, label='f')
L = d * f; L.label = 'L'
L.backward()
draw_dot(L)
"""
    g = result(source)
    assert g["output_node"]["label"] == "L"
    assert {k: g["by_label"][k]["grad"] for k in "abcfedL"} == {
        "a": 6.0,
        "b": -4.0,
        "c": -2.0,
        "f": 4.0,
        "e": -2.0,
        "d": -2.0,
        "L": 1.0,
    }


def test_output_selection() -> None:
    assert result("a = 2.0; d = a*a; L = d + 1", output="d")["output_node"]["label"] == "d"
    # backward() selects its value even when other statements follow
    assert result("a = 2.0; d = a*a\nd.backward()\nL = d + 1")["output_node"]["label"] == "d"
    assert result("a = 2.0; L = a*3\nL.label = 'loss'")["output_node"]["label"] == "loss"
    e = error("a = 2.0", output="zz")
    assert e.type == "output" and "'zz'" in e.msg


def test_graph_holds_only_what_the_output_depends_on() -> None:
    g = result("a = 2.0; b = 3.0; unused = b*b; L = a + 1")
    assert {n["label"] for n in g["nodes"]} == {"a", "", "L"}


def test_comments_blank_lines_semicolons_and_continuations() -> None:
    src = "# a comment with non-ASCII: é ∂ 😀\n\na = 2.0  # trailing comment\nb = (a *\n     3)\nc = a + \\\n  b;\n"
    assert out(src) == 8.0


def test_huge_literal_is_infinity_with_warning() -> None:
    with fresh_tape():
        r = run("x = 1e999; y = x * 2")
    assert math.isinf(r.output.data) and any("1e999" in w for w in r.warnings)


# ---------------------------------------------------------------- errors a student understands


@pytest.mark.parametrize(
    ("source", "fragment", "line", "column"),
    [
        ("x = 2.0\ny = tanhh(x)", "unknown function 'tanhh' — did you mean 'tanh'?", 2, 5),
        ("x = 2.0\ny = x.tanhh()", "did you mean 'tanh'", 2, 7),
        ("a = 1\nb = c + a\nc = 2", "'c' is used before it is assigned", 2, 5),
        ("a = 1\nb = aa + 1", "'aa' is not defined — did you mean 'a'?", 2, 5),
        ("a = (1 + 2", "'(' is never closed", 1, 5),
        ("a = 1 + 2)", "no matching '('", 1, 10),
        ("a = 1 +", "incomplete", 1, 8),
        ("a = 1 2", "missing operator", 1, 7),
        ("a = tanh(1, 2)", "takes exactly 1 argument", 1, 11),
        ("a = tanh()", "takes exactly 1 argument", 1, 10),
        ("a = 2\nb = a.tanh(1)", "takes no arguments", 2, 12),
        ("lambda: 1", "'lambda' is Python", 1, 1),
        ("x = 1\nx.data += 0.1", "setting .data", 2, 3),
        ("x = 1; y = x.grad", "reading .grad", 1, 14),
        ("a = 'text'", "a string can only be a label", 1, 5),
        ("a = 1; b = a.__class__", "private attributes", 1, 14),
        ("a = 2\nb = \u0430 + 1", "U+0430", 2, 5),
        ("a = \u0663", "U+0663", 1, 5),
        ("a = 1\x00", "control character", 1, 6),
        ("a = 1e5x", "malformed number", 1, 5),
        ("import os", "imports are not part of the language", 1, 1),
    ],
)
def test_errors_carry_position_and_a_clear_message(source: str, fragment: str, line: int, column: int) -> None:
    e = error(source)
    assert fragment in e.msg
    assert (e.line, e.column) == (line, column)


# ---------------------------------------------------------------- limits: no recursion, early refusal


def timed_error(source: str, **kw: object) -> tuple[SourceError, float]:
    """The error and the CPU seconds it took: the bound is on the work, not on how busy the machine is."""
    t = time.process_time()
    e = error(source, **kw)
    return e, time.process_time() - t


def test_thirty_thousand_term_sum_succeeds() -> None:
    source = "x = 1.5\ny = " + "+".join(["x"] * 30_000)  # 60 KB: within the 64 KiB source limit
    g = result(source)
    assert g["output_node"]["data"] == 45_000.0 and g["by_label"]["x"]["grad"] == 30_000.0


@pytest.mark.parametrize(
    "source",
    [
        "x = 2.0\ny = " + "(" * 200 + "x" + ")" * 200,
        "x = 2.0\ny = " + "-" * 200 + "x",
        "x = 1.0\ny = " + "**".join(["x"] * 200),
        "x = 0.5\ny = " + "tanh(" * 199 + "x" + ")" * 199,
    ],
    ids=["parens", "unary", "pow-chain", "calls"],
)
def test_two_hundred_deep_nesting_succeeds(source: str) -> None:
    assert result(source)["output_node"]["data"] == result(source)["output_node"]["data"]


@pytest.mark.parametrize(
    "source",
    [
        "y = " + "(" * 20_000 + "1" + ")" * 20_000,
        "y = " + "-" * 30_000 + "1",
        "y = " + "**".join(["1"] * 20_000),
        "y = " + "(" * 201 + "1" + ")" * 201,
    ],
    ids=["parens-20000", "unary-30000", "pow-20000", "parens-201"],
)
def test_too_deep_nesting_fails_fast(source: str) -> None:
    e, seconds = timed_error(source)
    assert e.type == "limit.depth" and "nesting deeper than 200" in e.msg
    assert seconds < 1.0


def test_node_budget_is_checked_while_building() -> None:
    source = "x = 1.0\ny = " + " + ".join(["x"] * 5_000)
    e, seconds = timed_error(source, max_nodes=1_000)
    assert e.type == "limit.nodes" and "1000" in e.msg and seconds < 1.0
    e = error("x = 1.0\ny = " + "+".join(["x*2"] * 30_000), max_nodes=50_000, max_source_bytes=10**6)
    assert e.type == "limit.nodes"


def test_source_size_limit() -> None:
    e = error("x = 1\n" * 20, max_source_bytes=50)
    assert e.type == "limit.source_bytes"


def test_nothing_to_differentiate() -> None:
    assert error("# only a comment\n").type == "empty"
    assert error("import math").type == "empty"


def test_lone_surrogate_is_named_in_plain_ascii() -> None:
    # JSON bodies with lone surrogates are refused before parsing; the library still names one safely
    e = error("a = 1 + \ud800")
    assert "U+D800" in e.msg and e.msg.isascii() and (e.line, e.column) == (1, 9)


# ---------------------------------------------------------------- the interpreter holds no engine index


def test_interpreter_uses_only_the_public_value_api() -> None:
    from pathlib import Path

    import gradwalk.language.interpreter as interp

    text = Path(interp.__file__).read_text()
    for forbidden in ("current_tape", "..tape", "._i", "tape.data", "Tape"):
        assert forbidden not in text, forbidden


@pytest.mark.parametrize(
    "source",
    [
        "a = 2.0; b = a*3 + 4*5 - (-a).exp() + tanh(2) + Value(1.0) + 2*a",  # 0, 1 and 2 float operands
        "a = Value(-4.0)\nb = Value(2.0)\nc = a + b\nc += c + 1\nc += 1 + c + (-a)\nc",  # augmented
        "a = 1.5\nb = a\nc = b * b\nd = +c\ne = d.tanh() ** 2",  # aliases make no node
        "2",  # a bare number: one leaf
        "x = 2.0\ny = x**-1 + x**(+2) + x**-0.5 - -3",  # signed literals: one const leaf each
    ],
)
def test_node_budget_counts_every_node_exactly(source: str) -> None:
    n = len(result(source)["nodes"])  # every node of these programs is on the output's graph
    result(source, max_nodes=n)
    e = error(source, max_nodes=n - 1)
    assert e.type == "limit.nodes" and f"more than {n - 1} nodes" in e.msg


def test_node_budget_error_position_is_the_instruction_that_passes_it() -> None:
    e = error("x = 1.0\ny = x + x\nz = y * 2 + x", max_nodes=4)  # x, y, const 2, y*2: + is the fifth
    assert (e.type, e.line, e.column) == ("limit.nodes", 3, 11)
    e = error("x = 1.0\ny = 2.0\nz = 3.0", max_nodes=2)  # a bound literal: the statement's position
    assert (e.type, e.line, e.column) == ("limit.nodes", 3, 1)


def _compacting_tape(at: int):  # type: ignore[no-untyped-def]
    """A fresh tape that compacts early, when the engine has such a tape (it drops dead nodes and renumbers)."""
    ctx = fresh_tape()
    tape = ctx.__enter__()
    if not hasattr(tape, "compact_at"):
        ctx.__exit__(None, None, None)
        pytest.skip("the engine's storage has no compaction threshold to lower")
    tape.compact_at = at
    return ctx


def test_compaction_mid_program_keeps_the_node_budget() -> None:
    dead = "u = " + "*".join(["x"] * 30) + "\nu = x + 1\n"  # 29 nodes that nothing keeps alive, then 2
    source = "x = 1.0\n" + dead + "y = Value(1.0) + " + "*".join(["x"] * 41)  # 1 + 29 + 2 + 1 + 40 + 1 = 74
    ctx = _compacting_tape(20)
    try:
        with pytest.raises(SourceError) as info:
            run(source, max_nodes=50)
    finally:
        ctx.__exit__(None, None, None)
    assert info.value.type == "limit.nodes"


def test_compaction_mid_statement_keeps_the_bound_name_as_label() -> None:
    source = "x = 1.0\nu = " + "*".join(["x"] * 30) + "\nu = x + 1\ny = x*3 + Value(2.0)\nz = y\nz"
    ctx = _compacting_tape(20)
    try:
        r = run(source)
        assert r.output.label == "y" and r.output_name == "z" and r.output.data == 5.0
    finally:
        ctx.__exit__(None, None, None)


# ---------------------------------------------------------------- line breaks: \r\n, \n and a lone \r are one each


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_every_line_break_style_ends_comments_and_lines(nl: str) -> None:
    src = nl.join(["a = 1 # note", "b = a*2  # another", "c = (b +", "  a)", "d = c + \\", "  1", ""])
    g = result(src)
    assert g["output_node"]["label"] == "d" and g["output_node"]["data"] == 4.0
    e = error(nl.join(["a = 1", "# comment", "b = a\u0001"]))
    assert (e.line, e.column) == (3, 6)
    e = error(nl.join(["a = 1 # \u00e9", "b = \u0430"]))  # a comment ends at the break: the next line is checked
    assert "U+0430" in e.msg and (e.line, e.column) == (2, 5)
    e = error(nl.join(["a = 1", "b = (a +", "  zz)"]))
    assert (e.line, e.column) == (3, 3)
    e = error(nl.join(["a = 1", "b = a +"]))
    assert (e.line, e.column) == (2, 8)


def test_lone_carriage_return_examples_from_the_report() -> None:
    assert result("a = 1 # note\rb = a*2")["output_node"]["label"] == "b"
    e = error("a = 1\rb = a\u0001")
    assert (e.line, e.column) == (2, 6)


# ---------------------------------------------------------------- indentation, as in Python


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("  a = 1", 1),
        ("a = 1\n  b = a", 2),
        ("a = 1\n\tb = a", 2),
        ("a = 1\r\n    b = a", 2),
        ("a = 1\r b = a", 2),
        ("a = (1 +\n  2)\n  b = a", 3),
        ("a = 1 + \\\n  2\n b = a", 3),
    ],
)
def test_unexpected_indent_is_a_syntax_error_at_column_one(source: str, line: int) -> None:
    e = error(source)
    assert e.type == "syntax" and "unexpected indent" in e.msg
    assert (e.line, e.column) == (line, 1)


def test_indentation_that_python_accepts_is_fine() -> None:
    src = (
        "a = 2.0\n   \n\t\n  # an indented comment\nb = (a *\n     3)\nc = a + \\\n    b\n"
        "d = Value(1.0,\n          label='d') + c;  e = d\n  "
    )
    g = result(src)
    assert g["output_node"]["data"] == 9.0 and g["output_node"]["label"] == "d"


# ---------------------------------------------------------------- a byte-order mark (a pasted file) at the very start


def test_leading_byte_order_mark_is_accepted() -> None:
    g = result("\ufeffa = 2.0\nb = a * 3")
    assert g["output_node"]["data"] == 6.0 and g["by_label"]["a"]["data"] == 2.0
    e = error("\ufeffa = 1 +")  # positions count from after the mark, as an editor shows them
    assert (e.line, e.column) == (1, 8)


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [("a = 1\n\ufeffb = 2", 2, 1), ("a = 1 +\ufeff 2", 1, 8), ("\ufeff\ufeffa = 1", 1, 1)],
)
def test_byte_order_mark_elsewhere_is_refused(source: str, line: int, column: int) -> None:
    e = error(source)
    assert "U+FEFF" in e.msg and (e.line, e.column) == (line, column)


# ---------------------------------------------------------------- Value(...)'s arguments: micrograd's signature


@pytest.mark.parametrize(
    ("source", "data", "label"),
    [
        ("Value(1.5)", 1.5, ""),
        ("Value(-1.5, label='x')", -1.5, "x"),
        ("Value(data=1.5, label='x')", 1.5, "x"),
        ("Value(label='x', data=+1.5)", 1.5, "x"),
        ("Value(data=2,)", 2.0, ""),
    ],
)
def test_value_arguments_python_accepts(source: str, data: float, label: str) -> None:
    with fresh_tape():
        v = run(source).output
        assert (v.data, v.label) == (data, label)


@pytest.mark.parametrize(
    ("source", "fragment", "column"),
    [
        ("a = Value(1.0, data=2)", "multiple values for argument 'data'", 16),
        ("a = Value(data=1.0, data=2)", "keyword argument repeated: 'data'", 21),
        ("a = Value(1.0, label='a', label='b')", "keyword argument repeated: 'label'", 27),
        ("a = Value(label='a', 2.0)", "positional argument follows keyword argument", 22),
        ("a = Value(1.0, 'x')", "second argument is _children", 16),
        ("a = Value(1.0, (), '', 'x')", "second argument is _children", 16),
        ("a = Value(1.0, _op='+')", "_children and _op", 16),
        ("a = Value(1.0, colour=2)", "unexpected keyword argument 'colour'", 16),
        ("a = Value(label='a')", "missing the number", 5),
        ("a = Value()", "missing the number", 5),
    ],
)
def test_value_arguments_python_refuses(source: str, fragment: str, column: int) -> None:
    e = error(source)
    assert fragment in e.msg and (e.type, e.line, e.column) == ("syntax", 1, column)


# ---------------------------------------------------------------- a signed literal is one constant, in an exponent too


@pytest.mark.parametrize(
    ("exponent", "value"), [("-1", -1.0), ("+2", 2.0), ("-0.5", -0.5), ("(-1)", -1.0), ("-(+2)", -2.0), ("--2", 2.0)]
)
def test_signed_literal_exponent_is_a_constant(exponent: str, value: float) -> None:
    g = result(f"x = 3.0\ny = x**{exponent}")
    roles = sorted((n["role"], n["data"]) for n in g["nodes"] if n["role"] != "op")
    assert roles == [("const", value), ("input", 3.0)]
    const = next(n for n in g["nodes"] if n["role"] == "const")
    assert const["grad"] == 0.0 and len(g["nodes"]) == 3
    updated = {u["node"] for step in g["backward"] for u in step["updates"]}
    assert const["id"] not in updated
    assert g["by_label"]["x"]["grad"] == pytest.approx(value * 3.0 ** (value - 1))


def test_named_or_computed_exponent_still_gets_a_gradient() -> None:
    g = result("x = 3.0\nk = 2.0\ny = x**-k")
    assert g["by_label"]["k"]["grad"] == pytest.approx(-(3.0**-2.0) * math.log(3.0))
    g = result("x = 3.0\ny = x**-2**2")  # -(2**2): an operation on constants, as Python's -2**2
    assert out("x = 3.0\ny = x**-2**2") == 3.0**-4 and [n["op"] for n in g["nodes"]].count("neg") == 1


def test_signed_literal_operand_is_a_constant_leaf() -> None:
    g = result("x = 3.0\ny = x * -2 + (-1.5)")
    assert sorted(n["data"] for n in g["nodes"] if n["role"] == "const") == [-2.0, -1.5]
    assert "neg" not in [n["op"] for n in g["nodes"]]
    assert result("c = -2**2")["output_node"]["op"] == "neg"  # still -(2**2)


# ---------------------------------------------------------------- the op table's functions, values and grads by hand


def grads(source: str) -> tuple[float, dict[str, float]]:
    g = result(source)
    return g["output_node"]["data"], {k: n["grad"] for k, n in g["by_label"].items() if n["role"] == "input"}


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("x = 4.0\ny = sqrt(x)", 2.0, {"x": 0.25}),  # 1 / (2 sqrt(x))
        ("x = 2.25\ny = x.sqrt()", 1.5, {"x": 1 / 3}),
        ("x = -3.0\ny = abs(x)", 3.0, {"x": -1.0}),
        ("x = 2.5\ny = x.abs()", 2.5, {"x": 1.0}),
        ("x = 0.0\ny = abs(x)", 0.0, {"x": 0.0}),  # PyTorch: sign(0) = 0
        ("x = 0.0\ny = relu(x)", 0.0, {"x": 0.0}),  # PyTorch: relu'(0) = 0
        ("x = 0.0\ny = sin(x)", 0.0, {"x": 1.0}),
        ("x = 0.0\ny = x.cos()", 1.0, {"x": 0.0}),
        ("x = 1.0\ny = sin(x) * 2", 2 * math.sin(1.0), {"x": 2 * math.cos(1.0)}),
        ("x = 1.0\ny = cos(2 * x)", math.cos(2.0), {"x": -2 * math.sin(2.0)}),
        ("a = 2.0; b = 3.0\ny = max(a, b)", 3.0, {"a": 0.0, "b": 1.0}),
        ("a = 5.0; b = 3.0\ny = a.max(b)", 5.0, {"a": 1.0, "b": 0.0}),
        ("a = 2.0; b = 2.0\ny = max(a, b)", 2.0, {"a": 0.5, "b": 0.5}),  # torch.maximum: a tie splits
        ("a = 2.0\ny = max(a, a)", 2.0, {"a": 1.0}),  # both halves reach the same leaf
        ("a = -1.0\ny = max(a, 0)", 0.0, {"a": 0.0}),
        ("a = -1.0\ny = max(0, a * 3) + max(2, 1)", 2.0, {"a": 0.0}),  # literals are constants
        ("a = 1.5; b = -2.0\ny = max(a * b, b) * a.max(b)", -3.0, {"a": -2.0, "b": 1.5}),
        ("a = 1.0; b = 2.0\ny = -a.max(b)**2", -4.0, {"a": 0.0, "b": -4.0}),  # method binds tightest
        ("a = 1.0; b = 2.0\ny = max(a, b,)", 2.0, {"a": 0.0, "b": 1.0}),  # a trailing comma, as Python
    ],
)
def test_op_table_functions_values_and_grads(source: str, value: float, expected: dict[str, float]) -> None:
    y, got = grads(source)
    assert y == pytest.approx(value, rel=1e-15)
    assert got == pytest.approx(expected, rel=1e-15)


def test_every_op_table_function_is_callable_both_ways() -> None:
    from gradwalk import ops

    for f in ops.FUNCTIONS:
        assert out(f"x = 0.7; y = {f}(x)") == out(f"x = 0.7; y = x.{f}()")
    for f in ops.BINARY_FUNCTIONS:
        assert out(f"a = 0.7; b = -0.2; y = {f}(a, b)") == out(f"a = 0.7; b = -0.2; y = a.{f}(b)")


@pytest.mark.parametrize(
    ("source", "fragment", "column"),
    [
        ("a = 1.0\ny = max(a)", "'max' takes exactly 2 arguments", 10),
        ("a = 1.0\ny = max()", "'max' takes exactly 2 arguments", 9),
        ("a = 1.0\ny = max(a, a, a)", "'max' takes exactly 2 arguments", 13),
        ("a = 1.0\ny = max(a, )", "'max' takes exactly 2 arguments", 12),
        ("a = 1.0\ny = a.max()", "'.max()' takes exactly 1 argument", 11),
        ("a = 1.0\ny = a.max(a, a)", "'.max()' takes exactly 1 argument", 12),
        ("a = 1.0\ny = sqrt(a, a)", "'sqrt' takes exactly 1 argument", 11),
        ("a = 1.0\ny = a.sin(a)", "takes no arguments", 11),
        ("a = 1.0\ny = (a, a)", "',' is only allowed between the arguments", 7),
    ],
)
def test_function_arity_errors(source: str, fragment: str, column: int) -> None:
    e = error(source)
    kind = "syntax" if fragment.startswith("','") else "arity"
    assert fragment in e.msg and (e.type, e.line, e.column) == (kind, 2, column)


def test_min_is_not_in_the_op_table() -> None:
    e = error("a = 1.0; b = 2.0\ny = min(a, b)")
    assert e.type == "name" and "unknown function 'min'" in e.msg and "max" in e.msg and (e.line, e.column) == (2, 5)
    e = error("a = 1.0; y = a.min(a)")
    assert e.type == "name" and "unknown method 'min'" in e.msg
    assert "did you mean 'max'" in error("a = 1.0; y = maxx(a, a)").msg
