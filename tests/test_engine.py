"""gradwalk.Value: micrograd's API and semantics, IEEE arithmetic, PyTorch-style
gradient accumulation, no recursion limit, bounded memory."""

from __future__ import annotations

import math
import struct
import threading

import pytest

from gradwalk import Value, fresh_tape
from gradwalk.tape import current_tape

from .lecture import lecture_values


@pytest.fixture(autouse=True)
def private_tape():
    with fresh_tape() as tape:
        yield tape


def test_micrograd_fields_and_lecture_example() -> None:
    v = lecture_values()
    a, b, c, e, d, f, L = (v[k] for k in "abcedfL")
    assert repr(L) == "Value(data=-8.0)"
    assert L._op == "*" and d._op == "+" and a._op == ""
    assert L._prev == {d, f}
    assert [v.label for v in L.operands] == ["d", "f"]
    L.backward()
    assert (a.grad, b.grad, c.grad, e.grad, d.grad, f.grad, L.grad) == (6.0, -4.0, -2.0, -2.0, -2.0, 4.0, 1.0)


def test_seed_001_manual_backward_steps() -> None:
    """Seed 001 walks backprop by hand: set the output grad, then call _backward node by node."""
    a, b, c = Value(3, label="a"), Value(-2, label="b"), Value(1, label="c")
    d = a + b
    e = c * d
    e.grad = 1.0
    e._backward()
    assert (c.grad, d.grad) == (1.0, 1.0)
    d._backward()
    assert (a.grad, b.grad) == (1.0, 1.0)


def test_reflected_and_unary_operators() -> None:
    x = Value(2.0)
    assert (2 + x).data == 4.0 and (2 - x).data == 0.0 and (3 * x).data == 6.0
    assert (1 / x).data == 0.5 and (2**x).data == 4.0 and (-x).data == -2.0 and (+x) is x
    assert (x**x).data == 4.0 and (x / 4).data == 0.5 and (x - 0.5).data == 1.5


def test_value_exponent_gets_gradient_constant_does_not() -> None:
    x, k = Value(3.0), Value(2.0)
    y = x**k
    y.backward()
    assert x.grad == pytest.approx(6.0) and k.grad == pytest.approx(9.0 * math.log(3.0))
    z = Value(3.0)
    w = z**2
    w.backward()
    const = w.operands[1]
    assert const.role == "const" and const.grad == 0.0 and z.grad == 6.0


def test_roles() -> None:
    x = Value(1.0)
    p = Value.leaf(2.0, role="param", label="w")
    y = x * p + 1
    assert (x.role, p.role, y.role, y.operands[1].role) == ("input", "param", "op", "const")
    assert p.label == "w" and y.op == "add" and x.op is None


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: Value(1.0) / 0, math.inf),
        (lambda: Value(-1.0) / 0, -math.inf),
        (lambda: Value(0.0) / 0, math.nan),
        (lambda: Value(0.0).log(), -math.inf),
        (lambda: Value(-1.0).log(), math.nan),
        (lambda: Value(1000.0).exp(), math.inf),
        (lambda: Value(10.0) ** 400, math.inf),
        (lambda: Value(-10.0) ** 401, -math.inf),
        (lambda: Value(-8.0) ** (1 / 3), math.nan),
        (lambda: Value(0.0) ** -1, math.inf),
        (lambda: Value(-0.0) ** -1, -math.inf),
        (lambda: Value(400.0).tanh(), 1.0),
        (lambda: Value(-800.0).sigmoid(), 0.0),
        (lambda: Value(800.0).sigmoid(), 1.0),
        (lambda: Value(1e308) * 10, math.inf),
        (lambda: Value(10**400), math.inf),
        (lambda: Value(math.nan).relu(), math.nan),
    ],
)
def test_ieee_results_never_raise(build, expected: float) -> None:
    v = build()
    v.backward()
    assert (math.isnan(v.data) and math.isnan(expected)) or v.data == expected


def test_saturated_tanh_has_zero_grad() -> None:
    x = Value(400.0)
    x.tanh().backward()
    assert x.grad == 0.0


def test_leaf_grads_accumulate_interior_grads_are_recomputed() -> None:
    a = Value(2.0)
    b = a * 3
    c = b * b
    c.backward()
    assert (a.grad, b.grad) == (36.0, 12.0)
    c.backward()  # micrograd would also double b.grad and then double-count into a
    assert (a.grad, b.grad) == (72.0, 12.0)
    a.grad = 0.0
    c.backward()
    assert a.grad == 36.0


def test_unreached_nodes_do_not_pollute_grads() -> None:
    x = Value(0.0)
    _unused = x.log()  # local derivative inf: must not leak 0 * inf = NaN into x
    y = x * 2
    y.backward()
    assert x.grad == 2.0


def test_backward_from_a_node_that_is_not_the_newest() -> None:
    x = Value(3.0)
    y = x * x
    _later = (y + 1.0).log()  # built after y: the sweep must start at y, not at the tape's end
    y.backward()
    assert x.grad == 6.0 and y.grad == 1.0


SPECIAL = (0.0, -0.0, 1.5, -2.0, 1e308, -1e308, math.inf, -math.inf, math.nan)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "pow"])
def test_operators_store_exactly_what_the_op_table_computes(name: str, private_tape) -> None:
    # the engine inlines add/sub/mul for speed; this pins them to ops.py bit for bit
    from gradwalk.ops import OPS
    from gradwalk.tape import OP_BASE

    def bits(x: float) -> bytes:  # tells -0.0 from 0.0, and compares NaN
        return struct.pack("<d", x)

    op = {"truediv": "div"}.get(name, name)
    for x in SPECIAL:
        for y in SPECIAL:
            a, b = Value(x), Value(y)
            for node, (u, v) in (
                (getattr(a, f"__{name}__")(b), (x, y)),
                (getattr(a, f"__{name}__")(y), (x, y)),  # a float literal operand
                (getattr(a, f"__r{name}__")(y), (y, x)),  # y <op> a
            ):
                kind, _, _, la, lb = private_tape.node(node._i)
                expected = OPS[kind - OP_BASE].forward(u, v)
                assert OPS[kind - OP_BASE].name == op
                assert [bits(t) for t in (node.data, la, lb)] == [bits(t) for t in expected], (name, x, y)


def test_million_node_chain_has_no_recursion_limit() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_000.5


def test_deep_chain_of_unary_ops() -> None:
    x = Value(0.1)
    y = x
    for _ in range(200_000):
        y = y.tanh()
    y.backward()
    assert 0 < y.data < 0.1 and 0 < x.grad <= 1


def test_values_of_different_tapes_do_not_mix() -> None:
    a = Value(1.0)
    with fresh_tape():
        b = Value(2.0)
        with pytest.raises(ValueError, match="different tapes"):
            _ = a + b


def test_threads_build_on_their_own_tapes() -> None:
    results: dict[int, float] = {}

    def work(k: int) -> None:
        x = Value(float(k))
        y = x
        for _ in range(20_000):
            y = y * 1.0 + 0.0
        y.backward()
        results[k] = x.grad + y.data

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: 1.0 + k for k in range(4)}


def test_compaction_keeps_live_values_and_drops_dead_graphs(private_tape) -> None:
    """A training loop on one tape: old graphs die, the tape must not grow without bound."""
    private_tape.compact_min = private_tape.compact_at = 500
    params = [Value(0.1 * k) for k in range(10)]
    for _ in range(200):
        loss = sum((p * p for p in params), Value(0.0))
        loss.backward()
        for p in params:
            p.data -= 0.01 * p.grad
            p.grad = 0.0
    assert len(private_tape) < 1_000  # 200 steps x 31 nodes would be 6,200 without compaction
    keep = params[3] * 2
    private_tape.compact()
    assert keep.data == pytest.approx(2 * params[3].data)
    keep.backward()
    assert params[3].grad == 2.0


def test_compaction_preserves_labels_and_groups(private_tape) -> None:
    a = Value(1.0, label="a")
    _dead = [Value(float(k)) * 2 for k in range(100)]
    del _dead
    with private_tape.group("g1"):
        b = a * 3
    b.label = "b"
    private_tape.compact()
    assert len(private_tape) == 3  # a, the const 3, b
    assert a.label == "a" and b.label == "b" and private_tape.group_of(b._i) == "g1"
    b.backward()
    assert a.grad == 3.0


def test_bad_constructor_arguments(private_tape) -> None:
    with pytest.raises(TypeError):
        Value("2")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Value(Value(1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Value(1.0) + "x"  # type: ignore[operator]
    with pytest.raises(TypeError):
        Value(1.0, _op="+")
    # a refused call leaves the tape whole: one row per value, and it still differentiates
    assert len(private_tape.rows) == 5 * len(private_tape.data)
    y = Value(3.0) * 2.0
    y.backward()
    assert y.data == 6.0


def test_subclasses_of_value_work_like_value() -> None:
    class Named(Value):
        pass

    a = Named(2.0, label="a")
    y = a * Value(3.0) + a
    y.backward()
    assert isinstance(a, Named) and isinstance(y, Value) and a.label == "a"
    assert (y.data, a.grad) == (8.0, 4.0)

    class WithInit(Value):
        def __init__(self, data: float) -> None:  # a constructor of its own, as students write
            super().__init__(data, label="w")

    w = WithInit(1.5)
    (w * w).backward()
    assert (w.label, w.grad) == ("w", 3.0)


def test_hash_and_equality_are_node_identity() -> None:
    a = Value(1.0)
    b = a * 2
    assert b.operands[0] == a and hash(b.operands[0]) == hash(a)
    assert a != Value(1.0)
    assert current_tape() is a._tape


def test_an_mlp_built_while_the_tape_compacts_keeps_every_group(private_tape) -> None:
    """Compaction can fall inside a `group` block that has made no node yet: the group goes on."""
    from gradwalk.nn import MLP

    _dead = [Value(float(k)) * 2 for k in range(50)]
    del _dead
    private_tape.compact_at = len(private_tape)  # compacts at the first neuron's first weight: its group is empty
    net = MLP(3, [4, 4, 1], seed=1)
    groups = [private_tape.group_of(p._i) for p in net.parameters()]
    assert len(groups) == 41 and None not in groups
    assert groups[0] == "layer1/neuron1" and groups[-1] == "layer3/neuron1"


def test_a_frozen_value_keeps_its_node(private_tape) -> None:
    """gc.freeze() hides objects from gc.get_referrers, so a compaction would renumber around them."""
    import gc

    a = Value(3.0, label="a")
    b = a * 2
    gc.freeze()
    try:
        _dead = [Value(float(k)) * 2 for k in range(100)]
        del _dead
        private_tape.compact()
        assert (a.data, b.data, a.label) == (3.0, 6.0, "a")
        b.backward()
        assert a.grad == 2.0
    finally:
        gc.unfreeze()


def test_compaction_between_passes_keeps_what_a_live_node_uses_under_dead_ones(private_tape) -> None:
    """Compaction outside backward (a Value made past the threshold) marks from the newest live op
    node down. With dead nodes above it, the marks were read off by that many places: the constant
    of `c = a + 1.0` was dropped and c's operand renumbered to a, so a.grad came out 2, not 1."""
    a = Value(3.0, label="a")
    c = a * 2.0 + 1.0
    _dead = [Value(float(k)) * 2 for k in range(100)]
    del _dead
    private_tape.compact()
    assert len(private_tape) == 5 and [v.data for v in c.operands] == [6.0, 1.0]
    c.backward()
    assert a.grad == 2.0 and c.data == 7.0


def test_a_tape_made_before_a_freeze_keeps_its_nodes_and_one_made_after_compacts() -> None:
    """No freeze count (gc.get_freeze_count walks every frozen object, 1 ms a request in the service):
    compaction asks whether gc can still see the tape itself. A freeze since the tape was made froze it."""
    import gc

    def garbage() -> None:
        _ = [Value(float(k)) * 2 for k in range(100)]

    with fresh_tape() as before:
        a = Value(3.0)
        c = a + 1.0
        frozen = [[k] for k in range(10_000)]
        gc.freeze()
        try:
            del frozen  # frozen objects that die lower the freeze count: it says nothing either way
            garbage()
            gc.freeze()  # a second freeze, fewer objects than the first: still a freeze
            garbage()
            before.compact()
            assert len(before) > 300 and (a.data, c.data) == (3.0, 4.0)  # nothing dropped, nothing renumbered
            with fresh_tape() as after:  # made after the freezes: none of its Values can be frozen
                b = Value(3.0)
                garbage()
                after.compact()
                assert len(after) == 1 and b.data == 3.0
        finally:
            gc.unfreeze()
        before.compact()  # unfrozen: gc sees it again, and its Values
        assert len(before) == 3 and (a.data, c.data) == (3.0, 4.0)


def test_values_of_two_threads_say_how_to_build_them() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from gradwalk.nn import MLP

    net = MLP(2, [4, 1], seed=1)
    with ThreadPoolExecutor(2) as pool, pytest.raises(ValueError, match=r"one thread.*\[model\(x\) for x in xs\]"):
        list(pool.map(net, [[1.0, 2.0], [0.5, -1.0]]))  # each worker's input leaves are on its own tape


def test_methods_read_as_python_documents_them() -> None:
    import pydoc

    assert Value.__truediv__.__name__ == "__truediv__" and Value.__rmul__.__name__ == "__rmul__"
    assert Value.tanh.__name__ == "tanh" and Value.tanh.__doc__ == "tanh(self), a new node."
    assert "tselfnh" not in pydoc.render_doc(Value) and Value.__rsub__.__doc__ == "other − self, a new node."


# The lecture's trace and draw_dot (seed 001), verbatim: nodes are keyed by id().
def lecture_trace(root):  # type: ignore[no-untyped-def]
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()

    # USE DFS to get all the nodes and edges
    def build(v):  # type: ignore[no-untyped-def]
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def lecture_draw_dot(root):  # type: ignore[no-untyped-def]
    from graphviz import Digraph

    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right

    nodes, edges = lecture_trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape="record")  # noqa: UP031 (the lecture, verbatim)
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            # and connect the op node to the node.
            dot.edge(uid + n._op, uid)

    for n1, n2 in edges:
        # connect n1 to the op node of n2, instead of n2.
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot


def test_the_lectures_draw_dot_draws_every_edge_between_existing_nodes() -> None:
    import re

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a  # a is reached twice: through c and directly
    d.label = "d"
    d.backward()
    source = lecture_draw_dot(d).source
    declared = set(re.findall(r"^\s*(\S+) \[label=", source, flags=re.M))
    edges = re.findall(r"^\s*(\S+) -> (\S+)", source, flags=re.M)
    assert len([n for n in declared if n.isdigit()]) == 4  # a, b, c, d: each once
    assert len(edges) == 2 + 4  # op -> value for c and d; a -> *, b -> *, c -> +, a -> +
    assert all(x in declared and y in declared for x, y in edges), (edges, declared)
    assert b in c._prev and next(iter(c._prev - {b})) is next(iter(c._prev - {b}))


def test_prev_gives_the_same_objects_across_a_compaction(private_tape) -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    first = {v.label: v for v in c._prev}
    _dead = [Value(float(k)) * 2 for k in range(100)]
    del _dead
    private_tape.compact()
    again = {v.label: v for v in c._prev}
    assert again["a"] is first["a"] and again["b"] is first["b"] and again["a"].data == 2.0
