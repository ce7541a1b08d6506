"""One home per idea, one direction of imports (DESIGN.md): no import circle among the project's modules (imports
inside functions counted too); data_access and geo never import Streamlit, not even through another module; the HTTP
side (web/) and documents (documents/) run without it."""

from __future__ import annotations

import ast
from pathlib import Path

from data_access.settings import PROJECT_ROOT

PACKAGES = ("app_pages", "dashboard", "data_access", "documents", "geo", "scripts", "web")


def _modules() -> dict[str, Path]:
    out = {}
    for folder in PACKAGES:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(project module → the project modules it imports, project module → every name it imports)."""
    mods = _modules()
    names = {m: _imports(p) for m, p in mods.items()}
    return {m: {d for d in n if d in mods and d != m} for m, n in names.items()}, names


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    graph, _ = _graph()
    assert _circles(graph) == []


def test_data_access_and_geo_never_reach_streamlit():
    graph, names = _graph()
    for start in (m for m in graph if m.startswith(("data_access", "geo")) and m != "data_access.__main__"):
        # (the command line's briefing command reaches documents, whose figures a page may write in its session's
        # language through a lazy import: checked at run time below)
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            assert not any(n == "streamlit" or n.startswith("streamlit.") for n in names[m]), (start, m)
            todo += graph[m]


def test_the_http_side_documents_and_the_command_line_load_no_streamlit():
    """The sign-in route, the session gate, /api/v1 and its OpenAPI document, /healthz and /metrics, the briefings and
    the command line run without Streamlit (a fresh interpreter imports them and nothing loads it)."""
    import subprocess
    import sys

    modules = "web.server, web.api, web.openapi, documents.briefing, data_access.__main__"
    code = f"import sys, {modules}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-2000:]
