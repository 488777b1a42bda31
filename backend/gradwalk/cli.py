"""The `gradwalk` command: serve the app, or run an expression in the terminal (through gradwalk.pipeline,
with the default Limits, as the service does).

gradwalk serve [--host 127.0.0.1] [--port 8000]
gradwalk eval "a = 2; b = a*a"            a table of nodes with data and grad
gradwalk eval "..." --json [--output b]   the Graph JSON
gradwalk dot "..." / gradwalk svg "..."   draw_dot's Graphviz drawing
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import pipeline
from .export import GraphvizError, GraphvizUnavailable
from .trace import dumps


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
        from .api.serve import main as run_server  # the `server` extra: uvicorn with docs/api.md's HTTP settings

        run_server(["--host", args.host, "--port", str(args.port)])
        return 0
    request = pipeline.Expression(_source(args.source), args.output)
    try:
        if args.command == "eval":
            graph = pipeline.respond(request)
            print(dumps(graph).decode() if args.json else table(graph))
        else:  # dot, svg: draw_dot's picture, as the export routes draw it
            sys.stdout.buffer.write(pipeline.export(request, args.command))
    except pipeline.SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (pipeline.LimitError, GraphvizUnavailable, GraphvizError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
