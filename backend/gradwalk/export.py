"""Graphviz export in micrograd's draw_dot look: DOT text, SVG/PNG via the dot binary.

    >>> from gradwalk import Value
    >>> from gradwalk.export import draw_dot
    >>> a = Value(2.0, label='a'); L = a * a; L.backward()
    >>> draw_dot(L)            # a graphviz.Digraph: renders inline in Jupyter

The picture is draw_dot's: `rankdir=LR`, one `shape=record` node per value labelled
`{ label | data %.4f | grad %.4f }`, one small node per operation labelled with the
op symbol, edges operand -> op node -> value. Labels are escaped for record syntax,
non-finite numbers print as nan/inf/-inf (what `%.4f` gives). `render` runs the dot
binary with a timeout (the `graphviz` package's `pipe()` has none) and raises
`GraphvizUnavailable` when the binary is missing. `drawing` is what the pipeline
calls: a Graph JSON in, DOT or image bytes out, within the request's `Limits`.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

from .limits import LimitError, Limits

if TYPE_CHECKING:
    import graphviz  # type: ignore[import-untyped]

    from .engine import Value

Json = dict[str, Any]

FORMATS = ("svg", "png")  # what render() produces; "dot" is the source itself
MEDIA_TYPES = {
    "dot": "text/vnd.graphviz",
    "svg": "image/svg+xml",
    "png": "image/png",
    "html": "text/html; charset=utf-8",  # the standalone page (gradwalk.standalone), not a Graphviz drawing
}
INSTALL_HINT = "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz)"


class GraphvizUnavailable(RuntimeError):
    """The Graphviz `dot` binary is not installed (or not on PATH)."""


class GraphvizTimeout(RuntimeError):
    """dot did not finish within the time limit."""


class GraphvizError(RuntimeError):
    """dot ran and failed."""


_RECORD_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "{": "\\{",
        "}": "\\}",
        "|": "\\|",
        "<": "\\<",
        ">": "\\>",
        '"': '\\"',
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)
_PLAIN_SPECIAL = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": " ", "\r": " ", "\t": " "})


def escape_record(text: str) -> str:
    """Text safe inside a record label: `{ } | < >`, quotes and backslashes escaped."""
    return text.translate(_RECORD_SPECIAL)


def escape_plain(text: str) -> str:
    """Text safe inside a quoted DOT string (op symbols)."""
    return text.translate(_PLAIN_SPECIAL)


def _number(x: float | str | None) -> float:
    """Graph JSON numbers back to floats ("NaN", "Infinity", "-Infinity" included)."""
    if isinstance(x, str):
        return float(x)  # float() reads exactly those three spellings
    return math.nan if x is None else float(x)


def record_label(label: str, data: float | str | None, grad: float | str | None) -> str:
    """draw_dot's record: `{ label | data %.4f | grad %.4f }`, escaped."""
    return f"{{ {escape_record(label)} | data {_number(data):.4f} | grad {_number(grad):.4f} }}"


def op_name(node_id: str) -> str:
    """DOT name of the op node of value `node_id` (no ':' — that is port syntax in DOT)."""
    return f"{node_id}_op"


def to_dot(graph: Json, positions: dict[str, tuple[float, float]] | None = None) -> str:
    """DOT source of a Graph JSON dict, in draw_dot's look.

    `positions` (layout ids -> box centers in px, y down, as in a layout view) pins
    every node for `render(..., engine="neato")`: how graphs too big for dot's own
    layout are still drawn, with our layered layout and straight edges.
    """
    lines = ["digraph {", "\trankdir=LR;"]
    pin = ""
    if positions is not None:
        lines.append("\tsplines=line;")
        top = max((y for _, y in positions.values()), default=0.0)
        # Graphviz points grow upward
        pin = ', pos="%.1f,%.1f!"'

        def at(layout_id: str) -> str:
            x, y = positions[layout_id]
            return pin % (x, top - y)
    else:

        def at(layout_id: str) -> str:
            return ""

    op_ids: set[str] = set()
    for node in graph["nodes"]:
        nid = str(node["id"])
        label = record_label(str(node.get("label") or ""), node.get("data"), node.get("grad"))
        lines.append(f'\t"{nid}" [label="{label}", shape=record{at(nid)}];')
        if node.get("op") is not None or node.get("role") == "op":
            symbol = escape_plain(str(node.get("symbol") or node.get("op")))
            lines.append(f'\t"{op_name(nid)}" [label="{symbol}"{at(nid + ":op")}];')
            lines.append(f'\t"{op_name(nid)}" -> "{nid}";')
            op_ids.add(nid)
    for edge in graph["edges"]:
        target = str(edge["target"])
        # operand -> op node of the result, as draw_dot draws it
        head = op_name(target) if target in op_ids else target
        lines.append(f'\t"{edge["source"]}" -> "{head}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_binary() -> str:
    """Path of the dot binary, resolved on each call; GraphvizUnavailable when missing."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizUnavailable(f"the Graphviz 'dot' program is not installed: {INSTALL_HINT}")
    return path


def render(dot_source: str, fmt: str, timeout: float, engine: str = "dot") -> bytes:
    """Render DOT source to "svg" or "png" within `timeout` seconds.

    engine "dot" lays the graph out with dot; "neato" keeps the positions `to_dot`
    pinned (`neato -n2`), which takes well under a second where dot takes minutes.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if engine not in ("dot", "neato"):
        raise ValueError(f"unknown engine {engine!r}; expected dot or neato")
    binary = dot_binary()
    if engine == "neato":
        binary = shutil.which("neato") or ""
        if not binary:
            raise GraphvizUnavailable(f"the Graphviz 'neato' program is not installed: {INSTALL_HINT}")
    argv = [binary, f"-T{fmt}"] + (["-n2"] if engine == "neato" else [])
    try:
        proc = subprocess.run(argv, input=dot_source.encode(), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:  # run() has killed dot already
        raise GraphvizTimeout(f"Graphviz took longer than {timeout:g} s to render this graph") from exc
    except FileNotFoundError as exc:  # removed between which() and exec
        raise GraphvizUnavailable(f"the Graphviz 'dot' program is not installed: {INSTALL_HINT}") from exc
    if proc.returncode != 0:
        raise GraphvizError(f"Graphviz failed: {proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout


def render_graph(graph: Json, fmt: str, timeout: float, dot_max_nodes: int) -> bytes:
    """A Graph JSON drawn as `fmt` (svg, png). dot's own layout takes minutes on a few
    thousand nodes: beyond `dot_max_nodes` drawn boxes, the nodes are pinned where the
    layered layout puts them and drawn with `neato -n2` instead."""
    from .layout import compute_layout, drawn_boxes

    source, engine = to_dot(graph), "dot"
    if drawn_boxes(graph) > dot_max_nodes:
        view = compute_layout(graph, dot_max_nodes=0, dot_timeout=0.0)["views"]["full"]
        if view is not None:
            source = to_dot(graph, {n["id"]: (n["x"], n["y"]) for n in view["nodes"]})
            engine = "neato"
    return render(source, fmt, timeout, engine)


def check_export_size(nodes: int, limits: Limits) -> None:
    """LimitError when a graph of `nodes` value nodes is too big to export."""
    if nodes > limits.export_max_nodes:
        raise LimitError(
            f"the graph has {nodes} value nodes; exports are limited to export_max_nodes = "
            f"{limits.export_max_nodes} (GRADWALK_EXPORT_MAX_NODES). Use POST /api/v1/expression or /api/v1/mlp "
            "with layout=true for big graphs.",
            "limit.export_max_nodes",
            limit=limits.export_max_nodes,
            nodes=nodes,
        )


def drawing(graph: Json, fmt: str, limits: Limits) -> bytes:
    """`graph` as DOT text or a rendered "svg"/"png"; LimitError past export_max_nodes or dot_timeout_seconds."""
    check_export_size(len(graph["nodes"]), limits)
    if fmt == "dot":
        return to_dot(graph).encode()
    try:
        return render_graph(graph, fmt, limits.dot_timeout_seconds, limits.dot_max_nodes)
    except GraphvizTimeout as e:
        raise LimitError(
            f"{e} (dot_timeout_seconds = {limits.dot_timeout_seconds:g}); export it as DOT, or a smaller graph",
            "limit.dot_timeout_seconds",
            limit=limits.dot_timeout_seconds,
        ) from None


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR") -> graphviz.Digraph:
    """micrograd's notebook helper: a graphviz.Digraph of `root` and everything it depends on.

    Shows each value's current `.data` and `.grad` (zero before `backward()`, as in
    micrograd). `format` and `rankdir` as in micrograd's trace_graph demo. Renders
    inline in Jupyter; `.render()`/`.pipe()` need the dot binary.
    """
    import graphviz  # here: the engine itself does not need the package

    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', not {rankdir!r}")
    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    # iterative walk from the root (no recursion limit); ids in first-visit order
    names: dict[Value, str] = {root: "n0"}
    stack = [root]
    order: list[Value] = []
    while stack:
        v = stack.pop()
        order.append(v)
        for child in v.operands:
            if child not in names:
                names[child] = f"n{len(names)}"
                stack.append(child)
    for v in order:
        uid = names[v]
        dot.node(name=uid, label=record_label(v.label, v.data, v.grad), shape="record")
        if v._op:
            dot.node(name=op_name(uid), label=escape_plain(v._op))
            dot.edge(op_name(uid), uid)
    for v in order:
        for child in v.operands:
            dot.edge(names[child], op_name(names[v]))
    return dot
