"""gradwalk.nudge: leaves set to new values (`overrides`) and central differences
(`finite_differences`), in the core and through the pipeline.

The finite differences are checked against the backward pass's grads on every curated
expression example and on the hypothesis programs of test_language_properties.py, with
this file's own criterion: |numeric - grad| <= 1e-6 x max(|grad|, |numeric|) + 1e-9 x
max(1, |output|) (relative, with an absolute floor for grads near zero).
"""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradwalk import Value, fresh_tape
from gradwalk.examples import EXAMPLES
from gradwalk.language import run
from gradwalk.limits import LimitError
from gradwalk.nudge import STEP, finite_differences, reforward, set_leaves
from gradwalk.pipeline import Expression, Limits, SourceError, respond
from gradwalk.trace import record

from .test_language_properties import NAMES, programs

LECTURE = "a = 2.0; b = -3.0; c = 10.0\ne = a*b; d = e + c\nf = -2.0\nL = d * f"
# every op of the table at least once, at a point where all are smooth
EVERY_OP = (
    "x = 0.7; y = -1.3; z = 2.5\n"
    "u = x*y + z - x/y + z**x + (-y)\n"
    "v = exp(x) + log(z) + tanh(y) + relu(z) + sigmoid(x) + sqrt(z) + abs(y) + sin(x) + cos(y) + max(x, y)\n"
    "L = u*v + x**2\n"
)


def agrees(numeric: float, grad: float, output: float) -> bool:
    return abs(numeric - grad) <= 1e-6 * max(abs(grad), abs(numeric)) + 1e-9 * max(1.0, abs(output))


def output_of(g: dict) -> float:  # type: ignore[type-arg]
    return next(n["data"] for n in g["nodes"] if n["id"] == g["output"])  # type: ignore[no-any-return]


# ---------------------------------------------------------------- re-running the forward pass


@pytest.mark.parametrize("source", [LECTURE, EVERY_OP, *(e.source for e in EXAMPLES)])
def test_reforward_of_an_unchanged_tape_changes_nothing(source: str) -> None:
    with fresh_tape() as tape:
        run(source)
        rows, data = list(tape.rows), list(tape.data)
        reforward(tape)
        assert tape.rows == rows or all(
            a == b or (a != a and b != b)
            for a, b in zip(tape.rows, rows)  # NaN != NaN
        )
        assert all(a == b or (a != a and b != b) for a, b in zip(tape.data, data))


def test_set_leaves_is_running_the_edited_program() -> None:
    with fresh_tape():
        r = run(EVERY_OP)
        set_leaves(r.output._tape, {r.names["x"]._i: 0.25, r.names["z"]._i: 3.5})
        nudged = [(n["data"], n["grad"]) for n in respond_graph(r.output)]
    edited = EVERY_OP.replace("x = 0.7", "x = 0.25").replace("z = 2.5", "z = 3.5")
    with fresh_tape():
        again = [(n["data"], n["grad"]) for n in respond_graph(run(edited).output)]
    assert nudged == again  # bit for bit


def respond_graph(root: Value) -> list[dict]:  # type: ignore[type-arg]
    from gradwalk.trace import graph

    return graph(root)["nodes"]  # type: ignore[no-any-return]


def test_set_leaves_refuses_an_operation() -> None:
    with fresh_tape():
        r = run("a = 1.0; b = a*2")
        with pytest.raises(ValueError, match="operation"):
            set_leaves(r.output._tape, {r.output._i: 3.0})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(st.floats(-1.5, 1.5, allow_nan=False), min_size=3, max_size=3))
def test_overrides_give_the_response_of_the_edited_source(
    program: tuple[str, dict[str, float]], new: list[float]
) -> None:
    body, inputs = program
    source = "\n".join(f"{n} = {v!r}" for n, v in inputs.items()) + "\n" + body
    edited = "\n".join(f"{n} = {v!r}" for n, v in zip(NAMES, new)) + "\n" + body
    overridden = respond(Expression(source, overrides=dict(zip(NAMES, new))))
    assert overridden == respond(Expression(edited))  # every node, step and warning, bit for bit


# ---------------------------------------------------------------- overrides: what a key names


def data_of(g: dict, label: str) -> float:  # type: ignore[type-arg]
    return next(n["data"] for n in g["nodes"] if n["label"] == label)  # type: ignore[no-any-return]


def test_override_keys_names_ids_and_labels() -> None:
    g = respond(Expression(LECTURE, overrides={"a": 3.0}))
    assert data_of(g, "a") == 3.0 and data_of(g, "L") == -2.0 * (3.0 * -3.0 + 10.0)
    assert respond(Expression(LECTURE, overrides={"n0": 3.0})) == g  # a node id
    # a label (label=) of a leaf bound to another name, and of a leaf bound to none
    g = respond(Expression("x = Value(2.0, label='w')\nL = x * Value(5.0, label='k')", overrides={"w": 1.5, "k": 4}))
    assert data_of(g, "L") == 6.0
    # an alias: b = a names a's leaf
    assert data_of(respond(Expression("a = 1.0; b = a; L = a*b", overrides={"b": 3.0})), "L") == 9.0
    # a name's binding at the end of the program: the last a
    g = respond(Expression("a = 1.0; u = a*2; a = 5.0; L = u + a", overrides={"a": 7.0}))
    assert data_of(g, "L") == 9.0
    # a leaf the output does not depend on can be set; nothing in the graph moves
    assert respond(Expression("q = 1.0; a = 2.0; L = a*a", overrides={"q": 9.0}))["nodes"][-1]["data"] == 4.0


@pytest.mark.parametrize(
    ("source", "overrides", "type_", "key", "words"),
    [
        (LECTURE, {"e": 1.0}, "not_a_leaf", "e", ["'e'", "result of an operation", "a * b", "a, b, c, f"]),
        (LECTURE, {"zz": 1.0}, "name", "zz", ["'zz'", "not a name"]),
        ("a = 2.0; L = a*3", {"n1": 1.0}, "not_a_leaf", "n1", ["constant", "k = 3.0"]),
        ("L = Value(1.0, label='t') * Value(2.0, label='t')", {"t": 1.0}, "name", "t", ["labels 2 nodes", "n0, n1"]),
        ("a = 1.0; b = a; L = a*b", {"a": 1.0, "b": 2.0}, "overrides", "b", ["same leaf", "'a' and 'b'"]),
        (LECTURE, {"a": math.nan}, "overrides", "a", ["finite"]),
        (LECTURE, {"a": math.inf}, "overrides", "a", ["finite"]),
        (LECTURE, {"a": True}, "overrides", "a", ["finite"]),
        (LECTURE, {"a": "2"}, "overrides", "a", ["finite"]),
        (LECTURE, {"n99": 1.0}, "name", "n99", ["'n99'"]),
        (LECTURE, {"n01": 1.0}, "name", "n01", ["'n01'"]),
        (LECTURE, {"x" * 500: 1.0}, "name", "x" * 500, ["'" + "x" * 80 + "'"]),
        (LECTURE, {"n" + "9" * 5000: 1.0}, "name", "n" + "9" * 5000, ["not a name"]),  # no int() of 5000 digits
        (LECTURE, {"n\u0661": 1.0}, "name", "n\u0661", ["not a name"]),  # an Arabic-Indic 1 is no node id
    ],
)
def test_override_errors_name_the_key(
    source: str,
    overrides: dict,
    type_: str,
    key: str,
    words: list[str],  # type: ignore[type-arg]
) -> None:
    with pytest.raises(SourceError) as e:
        respond(Expression(source, overrides=overrides))
    assert e.value.type == type_, e.value.msg
    assert e.value.field == ("overrides", key)
    for w in words:
        assert w in e.value.msg, (w, e.value.msg)


def test_same_leaf_twice_with_one_value_is_fine() -> None:
    g = respond(Expression("a = 1.0; b = a; L = a*b", overrides={"a": 2.0, "b": 2.0, "n0": 2.0}))
    assert data_of(g, "a") == 2.0


def test_bad_override_values_are_refused_before_the_program_runs() -> None:
    from gradwalk.pipeline import plan

    with pytest.raises(SourceError, match="finite"):
        plan(Expression("a = " + "+".join(["1"] * 30_000), overrides={"a": math.nan}))


# ---------------------------------------------------------------- finite differences


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_finite_differences_agree_with_grad_on_every_example(example) -> None:  # type: ignore[no-untyped-def]
    g = respond(Expression(example.source, finite_differences=True))
    leaves = [n for n in g["nodes"] if n["role"] == "input"]
    fd = g["finite_differences"]
    assert [d["node"] for d in fd] == [n["id"] for n in leaves]
    f = output_of(g)
    grads = {n["id"]: n["grad"] for n in leaves}
    data = {n["id"]: n["data"] for n in leaves}
    for d in fd:
        assert d["grad"] == grads[d["node"]]
        if example.id == "overflow":  # exp(1000): nothing finite to compare, and the note says so
            assert not d["agree"] and "Infinity" in d["note"]
            continue
        assert agrees(d["numeric"], d["grad"], f), (d, f)
        assert d["agree"] and d["note"] is None, d
        assert d["h"] == pytest.approx(STEP * max(1.0, abs(data[d["node"]])), rel=1e-9)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_finite_differences_agree_with_grad_on_generated_programs(program: tuple[str, dict[str, float]]) -> None:
    body, inputs = program
    source = "\n".join(f"{n} = {v!r}" for n, v in inputs.items()) + "\n" + body
    g = respond(Expression(source, finite_differences=True))
    f = output_of(g)
    assert [d["node"] for d in g["finite_differences"]] == [n["id"] for n in g["nodes"] if n["role"] == "input"]
    for d in g["finite_differences"]:
        assert agrees(d["numeric"], d["grad"], f), (d, f, source)
        assert d["agree"] and d["note"] is None, (d, source)


def test_the_tolerance_is_tight_enough_to_catch_a_wrong_grad() -> None:
    """A grad off by 1e-5 relative disagrees: the reported tolerance is not a blanket."""
    for e in EXAMPLES:
        if e.id == "overflow":
            continue
        for d in respond(Expression(e.source, finite_differences=True))["finite_differences"]:
            wrong = d["grad"] * (1 + 1e-5) + 1e-8
            assert abs(d["numeric"] - wrong) > d["tolerance"], (e.id, d)


def test_finite_differences_are_central_differences_of_the_program() -> None:
    """numeric is (f(x+h) - f(x-h)) / 2h with f the program itself, re-run from the edited source."""
    g = respond(Expression(EVERY_OP, finite_differences=True))
    labels = {n["id"]: n["label"] for n in g["nodes"]}
    for d in g["finite_differences"]:
        name, x = labels[d["node"]], {"x": 0.7, "y": -1.3, "z": 2.5}[labels[d["node"]]]
        h = STEP * max(1.0, abs(x))
        up = EVERY_OP.replace(f"{name} = {x!r}", f"{name} = {x + h!r}")
        down = EVERY_OP.replace(f"{name} = {x!r}", f"{name} = {x - h!r}")
        f_up, f_down = (output_of(respond(Expression(s))) for s in (up, down))
        assert d["numeric"] == (f_up - f_down) / ((x + h) - (x - h))
        assert d["h"] == ((x + h) - (x - h)) / 2


def test_finite_differences_leave_the_graph_as_it_was() -> None:
    plain = respond(Expression(EVERY_OP))
    with_fd = respond(Expression(EVERY_OP, finite_differences=True))
    assert with_fd.pop("finite_differences") and with_fd == plain


def test_a_leaf_output_and_an_unused_leaf() -> None:
    (d,) = respond(Expression("a = 2.0", finite_differences=True))["finite_differences"]
    assert d["numeric"] == 1.0 == d["grad"] and d["agree"]
    fd = respond(Expression("a = 2.0; b = 3.0; L = a*a + b*0", finite_differences=True))["finite_differences"]
    assert [(d["numeric"], d["grad"]) for d in fd] == [(pytest.approx(4.0, rel=1e-9), 4.0), (0.0, 0.0)]


def test_finite_differences_with_overrides_are_taken_at_the_new_point() -> None:
    fd = respond(Expression("x = 1.0; y = x**3", overrides={"x": 2.0}, finite_differences=True))["finite_differences"]
    assert fd[0]["grad"] == 12.0 and fd[0]["numeric"] == pytest.approx(12.0, rel=1e-9)


# ---------------------------------------------------------------- kinks and other non-differentiable points


def note_of(source: str, **extra: object) -> dict:  # type: ignore[type-arg]
    (d,) = [
        d
        for d in respond(Expression(source, finite_differences=True, **extra))["finite_differences"]  # type: ignore[arg-type]
        if d["node"] == "n0"
    ]
    return d  # type: ignore[no-any-return]


def test_relu_at_zero_says_why_numeric_and_grad_differ() -> None:
    d = note_of("x = 0.0; y = relu(x)")
    assert d["grad"] == 0.0 and d["numeric"] == pytest.approx(0.5) and not d["agree"]
    assert d["note"].startswith("relu at 0 (n1 ('y'))") and "PyTorch" in d["note"]


def test_abs_at_zero_and_max_at_a_tie_are_named() -> None:
    d = note_of("x = 0.0; y = abs(x) + x")
    assert "abs at 0" in d["note"] and d["grad"] == 1.0 and d["numeric"] == pytest.approx(1.0)
    d = note_of("x = 1.0; k = 1.0; y = max(x, k)")
    assert "max with equal operands" in d["note"] and d["grad"] == 0.5


def test_a_kink_within_h_of_x_is_named() -> None:
    d = note_of("x = 0.0; y = relu(x + 1e-7)")
    assert d["grad"] == 1.0 and not d["agree"]
    assert "within h of its kink" in d["note"] and "1e-07" in d["note"]


def test_several_kinks_are_counted() -> None:
    d = note_of("x = 0.0; y = relu(x) + relu(2*x) + abs(x)")
    assert d["note"].count("relu at 0") == 1 and "(and 2 more kinks within h)" in d["note"]


def test_poles_domains_and_non_finite_values_are_named() -> None:
    assert "pole" in note_of("x = 0.0; y = 1 / (x + 1e-7)")["note"]
    d = note_of("k = 0.0; x = 1.0; y = x / k")
    assert "divides by 0" in d["note"], d
    assert "leaves its domain" in note_of("x = 0.0; y = sqrt(x)")["note"]
    assert "-Infinity" in note_of("x = 0.0; y = log(x)")["note"]
    assert "Infinity" in note_of("x = 1000.0; y = exp(x)")["note"]


def test_a_relu_away_from_its_kink_has_no_note() -> None:
    for source in ("x = -2.0; y = relu(x)", "x = 2.0; y = relu(x)", "x = 2.0; y = abs(x) + max(x, 1.0)"):
        d = note_of(source)
        assert d["note"] is None and d["agree"], (source, d)


# ---------------------------------------------------------------- the work limit


def test_the_work_limit_is_checked_before_the_work() -> None:
    source = "\n".join(f"x{i} = {i}.5" for i in range(400)) + "\nL = " + " + ".join(f"x{i}*x{i}" for i in range(400))
    limits = Limits(max_fd_work=100_000)  # 400 leaves x 1,199 nodes = 479,600
    start = time.process_time()
    with pytest.raises(LimitError) as e:
        respond(Expression(source, finite_differences=True), limits)
    assert time.process_time() - start < 0.5
    assert e.value.type == "limit.fd_work" and "max_fd_work" in e.value.msg and "479600" in e.value.msg
    assert e.value.extra == {"limit": 100_000, "loc": ["body", "finite_differences"]}
    fd = respond(Expression(source, finite_differences=True), Limits(max_fd_work=479_600))["finite_differences"]
    assert len(fd) == 400 and all(d["agree"] for d in fd)


def test_finite_differences_in_the_core() -> None:
    with fresh_tape():
        a = Value(3.0, label="a")
        b = Value(-1.0, label="b")
        L = (a * b).tanh() + a
        rec = record(L)
        before = list(a._tape.data)
        fd = finite_differences(rec, max_work=10)
        assert a._tape.data == before
        L.backward()
        assert [d["grad"] for d in fd] == [a.grad, b.grad]
        assert all(agrees(d["numeric"], d["grad"], L.data) for d in fd)
        with pytest.raises(LimitError):
            finite_differences(rec, max_work=9)  # 2 leaves x 5 nodes
