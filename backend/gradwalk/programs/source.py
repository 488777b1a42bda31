"""What gradwalk reads from a program's text before it runs (on the host: parsing only,
nothing executed): the micrograd imports rewritten to the prelude's namespaces, the
name of the last `draw_dot(...)` argument, and the module-level names in binding order.

Each rewritten import keeps its line count, so every line of the program keeps its number.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass

_NAMESPACES = {
    "micrograd": "_gw_mod_micrograd",
    "micrograd.engine": "_gw_mod_micrograd_engine",
    "micrograd.nn": "_gw_mod_micrograd_nn",
    "graphviz": "_gw_mod_graphviz",  # a stub: the lecture's draw_dot runs, gradwalk draws
}
_STAR = {
    "micrograd.engine": ("Value",),
    "micrograd.nn": ("Value", "Module", "Neuron", "Layer", "MLP"),
    "micrograd": ("engine", "nn"),
    "graphviz": ("Digraph", "Graph"),
}
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Analysis:
    source: str  # the program with micrograd imports rewritten, same lines
    draw_name: str | None  # the Name argument of the last draw_dot(...) call in the source
    names: list[str]  # module-level names, the one bound last first
    defines_value: bool  # a `class Value` at module level
    inherits: tuple[int, int, str] | None  # (line, column, class name) of the first class with a base
    syntax: tuple[str, str, int, int] | None = None  # Python's own (type, msg, line, column) for a bad program


def is_name(s: str) -> bool:
    return s.isidentifier() and not keyword.iskeyword(s)


def _rewrite_import(node: ast.Import | ast.ImportFrom) -> str | None:
    parts: list[str] = []
    if isinstance(node, ast.Import):
        if not any(a.name.split(".")[0] in _NAMESPACES for a in node.names):
            return None
        for a in node.names:
            top = a.name.split(".")[0]
            if a.name not in _NAMESPACES:
                if top in _NAMESPACES:
                    parts.append(f"raise ModuleNotFoundError(\"No module named '{a.name}'\")")
                    continue
                parts.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
            elif a.asname:
                parts.append(f"{a.asname} = {_NAMESPACES[a.name]}")
            else:
                parts.append(f"{top} = {_NAMESPACES[top]}")
        return "; ".join(parts)
    if node.level or node.module not in _NAMESPACES:
        return None
    ns = _NAMESPACES[node.module]
    for a in node.names:
        if a.name == "*":
            parts.extend(f"{n} = {ns}.{n}" for n in _STAR[node.module])
        else:
            parts.append(f"{a.asname or a.name} = {ns}.{a.name}")
    return "; ".join(parts)


def analyse(source: str) -> Analysis:
    """Static facts about `source`; a source Python cannot parse is returned as-is (the sandbox reports it)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:  # IndentationError and TabError included
        line = e.lineno or 1
        col = e.offset or 1
        return Analysis(source, None, [], False, None, (type(e).__name__, e.msg, line, max(col, 1)))
    except (ValueError, RecursionError, MemoryError):  # the sandbox's parser will say what is wrong
        return Analysis(source, None, [], False, None)
    lines = source.split("\n")
    edits: list[tuple[int, int, int, int, str]] = []
    draw: tuple[int, int, str] | None = None
    inherits: tuple[int, int, str] | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            text = _rewrite_import(node)
            if text is not None and node.end_lineno is not None and node.end_col_offset is not None:
                edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "draw_dot":
            # `_gw_draw` (the same length: columns stay) records the picture, then calls the draw_dot in
            # scope: the prelude's, or the program's own (seed 001 and 002 define one with graphviz)
            f = node.func
            edits.append((f.lineno, f.col_offset, f.lineno, f.col_offset + len("draw_dot"), "_gw_draw"))
            if node.args and isinstance(node.args[0], ast.Name):
                pos = (node.lineno, node.col_offset, node.args[0].id)
                if draw is None or pos[:2] > draw[:2]:
                    draw = pos
        elif isinstance(node, ast.ClassDef) and (node.bases or node.keywords):
            pos = (node.lineno, node.col_offset + 1, node.name)
            if inherits is None or pos[:2] < inherits[:2]:
                inherits = pos
    # apply edits bottom-up, keeping the line count (an import spanning lines leaves blank lines)
    for l0, c0, l1, c1, text in sorted(edits, reverse=True):
        first, last = lines[l0 - 1], lines[l1 - 1]
        lines[l0 - 1 : l1] = [first[:c0] + text + last[c1:]] + [""] * (l1 - l0)
    defines_value = any(isinstance(n, ast.ClassDef) and n.name == "Value" for n in _module_level(tree))
    return Analysis("\n".join(lines), draw[2] if draw else None, _bound_names(tree), defines_value, inherits)


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """Statements outside def and class bodies (loop, if, with and try bodies included)."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        st = todo.pop()
        out.append(st)
        if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            todo.extend(getattr(st, field, None) or [])
    return out


def _bound_names(tree: ast.Module) -> list[str]:
    """Module-level names, the one bound last in the source first. A `for` loop's variable comes after
    every assigned name: it holds the loop's items (`for p in n.parameters()`), not a result."""
    last: dict[str, tuple[int, int]] = {}
    loop_vars: dict[str, tuple[int, int]] = {}
    for st in _module_level(tree):
        targets: list[ast.AST] = []
        if isinstance(st, ast.Assign):
            targets = list(st.targets)
        elif isinstance(st, ast.For | ast.AsyncFor):
            for n in ast.walk(st.target):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    loop_vars[n.id] = max(loop_vars.get(n.id, (0, 0)), (n.lineno, n.col_offset))
        elif isinstance(st, ast.AugAssign | ast.AnnAssign):
            targets = [st.target]
        elif isinstance(st, ast.With | ast.AsyncWith):
            targets = [i.optional_vars for i in st.items if i.optional_vars is not None]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    pos = (n.lineno, n.col_offset)
                    if n.id not in last or pos > last[n.id]:
                        last[n.id] = pos
        # walrus at module level
        if not isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for n in ast.iter_child_nodes(st):
                for w in ast.walk(n):
                    if isinstance(w, ast.NamedExpr) and isinstance(w.target, ast.Name):
                        pos = (w.target.lineno, w.target.col_offset)
                        if w.target.id not in last or pos > last[w.target.id]:
                            last[w.target.id] = pos
    ordered = sorted(last, key=lambda k: last[k], reverse=True)
    ordered += sorted((k for k in loop_vars if k not in last), key=lambda k: loop_vars[k], reverse=True)
    return [n for n in ordered if not n.startswith("_gw_")][:MAX_CANDIDATES]


def pick_code(requested: str | None, draw_name: str | None, names: list[str]) -> str:
    """The body of the sandbox's `_gw_cands()`: (name, value) of each candidate output name that is bound,
    the requested one alone, else the last draw_dot argument then the names bound last first."""
    order = [requested] if requested is not None else ([draw_name] if draw_name else []) + names
    out: list[str] = []
    seen: set[str] = set()
    for n in order:
        if n in seen or not is_name(n):
            continue
        seen.add(n)
        out.append(f"    try:\n        found.append(({n!r}, {n}))\n    except NameError:\n        pass\n")
    return "".join(out)
