"""The shape of the code: the pure core imports no Django and no app, and the apps import
each other without cycles (issue 24: "no import cycles between apps").

The graph is read from the sources with ``ast`` (every import, at module top or inside a
function), so an import hidden inside a function to dodge a cycle still counts.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import jiliang

PACKAGE = Path(jiliang.__file__).resolve().parent


def unit_of(module: str) -> str | None:
    """The app (or top-level module) a dotted name belongs to; supervision's two apps apart."""
    parts = module.split(".")
    if parts[0] != "jiliang" or len(parts) < 2:
        return None
    if parts[1] == "supervision" and len(parts) > 2:
        return f"supervision.{parts[2]}"
    return parts[1]


def imported_modules(path: Path, module: str) -> tuple[str, ...]:
    return _imported_modules(path, module)


@functools.cache  # each test reads the same sources: parse each file once a session
def _imported_modules(path: Path, module: str) -> tuple[str, ...]:
    return tuple(_walk_imports(path, module))


def _walk_imports(path: Path, module: str):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names)


@functools.cache
def import_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    edges: dict[str, set[str]] = defaultdict(set)
    witnesses: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue  # migrations name other apps' models by design and run in order
        module = ".".join(("jiliang", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        source = unit_of(module)
        for name in imported_modules(path, module):
            target = unit_of(name)
            if target and source and target != source:
                edges[source].add(target)
                witnesses[(source, target)].add(str(path.relative_to(PACKAGE)))
    return edges, witnesses


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the components with more than one node are the cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_apps():
    edges, witnesses = import_graph()
    cycles = strongly_connected(edges)
    detail = [
        f"{a} -> {b}: {sorted(witnesses[(a, b)])}"
        for component in cycles
        for a in component
        for b in sorted(edges[a])
        if b in component
    ]
    assert not cycles, "import cycles between apps:\n" + "\n".join(detail)


def test_core_is_pure():
    """jiliang.core is computation only: no Django, no app of the project."""
    edges, witnesses = import_graph()
    assert edges.get("core", set()) <= {"errors"}, {t: witnesses[("core", t)] for t in edges["core"]}
    offenders = []
    for path in (PACKAGE / "core").rglob("*.py"):
        module = ".".join(("jiliang", *path.relative_to(PACKAGE).with_suffix("").parts))
        if any(name == "django" or name.startswith(("django.", "rest_framework")) for name in imported_modules(path, module)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders, offenders


def test_the_checker_sees_a_cycle():
    """The cycle finder itself: a → b → c → a is one component, d alone is none."""
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
