"""One self-contained HTML file of the page with a graph in it (docs/api.md, Export: html).

The file plays the graph — stepping, the explain panel, the inspector — with no server and
no network: the page's CSS and JavaScript are inlined and the Graph JSON (with its layout)
rides along in a JSON script element. It is what the page's "Export ▸ HTML" downloads, what
`GET /api/v1/export/expression.html` answers for an `<iframe>` (a sandboxed one without
`allow-same-origin` cannot load ES modules or call the API), and what `gradwalk.to_html`
writes.

The page's ES modules become one classic script: each module body runs in its own function
scope, in dependency order, its `import`s read from the modules already run and its
`export`s handed on. This covers the import and export forms the page's modules use (named
imports, `import * as`, `export function|class|const`, `export { a }`); anything else is a
ValueError here, in the build, never a broken page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

# The page's files: gradwalk/frontend is a symlink to the checkout's frontend/, and an installed
# wheel holds a copy (package data), so gradwalk.show() works from `pip install` too.
FRONTEND_DIR = (Path(__file__).parent / "frontend").resolve()

Json = dict[str, Any]

_IMPORT = re.compile(r"^import\s+(?P<what>.+?)\s+from\s+'\./(?P<mod>[\w-]+)\.js';\s*$", re.M)
_EXPORT_DECL = re.compile(r"^export\s+(?P<kw>(?:async\s+)?function\*?|class|const|let)\s+(?P<name>[\w$]+)", re.M)
_EXPORT_LIST = re.compile(r"^export\s+\{(?P<names>[^}]*)\};\s*$", re.M)
_ANY_MODULE_SYNTAX = re.compile(r"^\s*(import|export)\b", re.M)


def _bindings(what: str, mod: str) -> str:
    """`{ a, b as c }` or `* as api` -> a const declaration reading module `mod`'s exports."""
    if what.startswith("* as "):
        return f"const {what[5:].strip()} = __gw['{mod}'];"
    m = re.fullmatch(r"\{([^}]*)\}", what.strip())
    if not m:
        raise ValueError(f"unsupported import form: import {what} from './{mod}.js'")
    names = []
    for part in m.group(1).split(","):
        part = part.strip()
        if not part:
            continue
        src, _, dst = part.partition(" as ")
        names.append(f"{src.strip()}: {dst.strip()}" if dst else src.strip())
    return f"const {{ {', '.join(names)} }} = __gw['{mod}'];"


def _module(name: str, text: str) -> tuple[list[str], str]:
    """(the modules `name` imports, its body as a function that registers its exports)."""
    deps: list[str] = []

    def imp(m: re.Match[str]) -> str:
        deps.append(m.group("mod"))
        return _bindings(m.group("what"), m.group("mod"))

    body = _IMPORT.sub(imp, text)
    exported: list[str] = []

    def decl(m: re.Match[str]) -> str:
        exported.append(m.group("name"))
        return f"{m.group('kw')} {m.group('name')}"

    body = _EXPORT_DECL.sub(decl, body)

    def listed(m: re.Match[str]) -> str:
        exported.extend(n.strip() for n in m.group("names").split(",") if n.strip())
        return ""

    body = _EXPORT_LIST.sub(listed, body)
    left = _ANY_MODULE_SYNTAX.search(body)
    if left:
        line = body[left.start() :].splitlines()[0]
        raise ValueError(f"js/{name}.js: unsupported module syntax for the standalone page: {line!r}")
    exports = ", ".join(exported)
    return deps, f"__gw['{name}'] = (() => {{\n{body}\nreturn {{ {exports} }};\n}})();\n"


def bundle(js_dir: Path = FRONTEND_DIR / "js", entry: str = "main") -> str:
    """The page's modules under `js_dir` as one classic script that runs `entry`."""
    modules: dict[str, tuple[list[str], str]] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in modules:
            continue
        modules[name] = _module(name, (js_dir / f"{name}.js").read_text(encoding="utf-8"))
        todo.extend(modules[name][0])
    # dependencies first (iteratively: a depth-first post-order with an explicit stack)
    order: list[str] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[tuple[str, int]] = [(entry, 0)]
    while stack:
        name, k = stack.pop()
        deps = modules[name][0]
        if k == 0:
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise ValueError(f"js/{name}.js: an import cycle, which the standalone page cannot order")
            state[name] = 1
        if k < len(deps):
            stack.append((name, k + 1))
            if state.get(deps[k]) != 2:
                stack.append((deps[k], 0))
        else:
            state[name] = 2
            order.append(name)
    parts = ["'use strict';\nconst __gw = {};\n"] + [modules[n][1] for n in order]
    return "".join(parts)


def _json_in_script(value: Any) -> str:
    """JSON that a <script> element holds verbatim: no `</script>` or `<!--` can end it early."""
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(state: Json, *, frontend: Path = FRONTEND_DIR) -> bytes:
    """The standalone HTML for `state`: {"graph": Graph JSON with a layout, "ops": the op table
    listing, "mode", "source" or "spec", "language", "pos", "view", "embed"} (docs/api.md)."""
    if not (frontend / "index.html").is_file():
        raise FileNotFoundError(
            f"the page's files are not at {frontend}: gradwalk was installed without them (a wheel or"
            " checkout carries them as gradwalk/frontend)"
        )
    html = (frontend / "index.html").read_text(encoding="utf-8")
    css = (frontend / "css" / "app.css").read_text(encoding="utf-8")
    link = '<link rel="stylesheet" href="css/app.css">'
    module = '<script type="module" src="js/main.js"></script>'
    if link not in html or module not in html:
        raise ValueError("frontend/index.html no longer links css/app.css and js/main.js as page() expects")
    script = bundle(frontend / "js").replace("</script", "<\\/script")
    html = html.replace(link, f"<style>\n{css}\n</style>")
    html = html.replace(
        module,
        f'<script type="application/json" id="gradwalk-state">{_json_in_script(state)}</script>\n'
        f"<script>\n{script}</script>",
    )
    return html.encode("utf-8")
