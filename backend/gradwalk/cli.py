"""The `gradwalk` command: serve the app, or run an expression in the terminal.

gradwalk serve [--host 127.0.0.1] [--port 8000]
gradwalk eval "a = 2; b = a*a"            a table of nodes with data and grad
gradwalk eval "..." --json [--output b]   the Graph JSON
gradwalk dot "..." / gradwalk svg "..."   draw_dot's Graphviz drawing
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .language import SourceError, run
from .tape import fresh_tape
from .trace import dumps, trace


def _graph(source: str, output: str | None) -> dict[str, Any]:
    with fresh_tape():
        result = run(source, output)
        graph = trace(result.output)
    graph["warnings"] = result.warnings + graph["warnings"]
    return graph


def _fmt(x: float | str) -> str:
    return f"{x:.4f}" if isinstance(x, float) else x


def table(graph: dict[str, Any]) -> str:
    """Nodes as draw_dot shows them: id, label, op, data and grad (4 decimals), the output marked."""
    rows = [("id", "label", "op", "role", "data", "grad")]
    for n in graph["nodes"]:
        mark = " <- output" if n["id"] == graph["output"] else ""
        rows.append((n["id"], n["label"], n["symbol"] or "", n["role"], _fmt(n["data"]), _fmt(n["grad"]) + mark))
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = ["  ".join(r[k].ljust(widths[k]) for k in range(5)) + "  " + r[5] for r in rows]
    lines += [f"warning: {w}" for w in graph["warnings"]]
    return "\n".join(lines)


def _source(arg: str) -> str:
    return sys.stdin.read() if arg == "-" else arg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradwalk", description="Backpropagation, one step at a time.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web app and the REST API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    for name, text in (
        ("eval", "run an expression: a table of nodes with data and grad"),
        ("dot", "run an expression and print its Graphviz DOT drawing"),
        ("svg", "run an expression and print its drawing as SVG (needs Graphviz's dot)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("source", help="the program, or - to read it from stdin")
        p.add_argument("--output", default=None, help="the name to differentiate (default: the last statement)")
        if name == "eval":
            p.add_argument("--json", action="store_true", help="print the Graph JSON instead of a table")
    args = parser.parse_args(argv)

    if args.command == "serve":
        import uvicorn

        uvicorn.run("gradwalk.api.main:app", host=args.host, port=args.port)
        return 0
    try:
        graph = _graph(_source(args.source), args.output)
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "eval":
        print(dumps(graph).decode() if args.json else table(graph))
        return 0
    from .export import GraphvizError, GraphvizTimeout, GraphvizUnavailable, render_graph, to_dot  # when drawing

    if args.command == "dot":
        print(to_dot(graph))
        return 0
    try:
        sys.stdout.buffer.write(render_graph(graph, "svg", timeout=10.0, dot_max_nodes=1_500))
    except (GraphvizUnavailable, GraphvizTimeout, GraphvizError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
