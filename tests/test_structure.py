"""The code's shape, measured: no import cycle among the product's and the tools' modules, no module
over 400 lines and no function over 60 (tests are exempt), and process groups signalled in one
module only (bpfhol/process.py owns every child)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bpfhol.config import ROOT

PACKAGES = ("bpfhol", "devtools", "benchmarks", "workloads")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports at import time or inside functions, `from a import b`
    naming module a.b where b is a module and a otherwise."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            for a in node.names:
                found.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def _cycle() -> list[str] | None:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # A package's __init__ importing its own submodules is how a package exports: not a cycle.
    graph = {n: {m for m in deps if not m.startswith(n + ".")} for n, deps in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _imports
    monkeypatch.setitem(
        globals(), "_imports", lambda n, p: real(n, p) | ({"bpfhol.cli"} if n == "bpfhol.process" else set())
    )
    assert _cycle() is not None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_at_most_400_lines(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{MODULES[name].relative_to(ROOT)}: {lines} lines"


def test_no_function_over_60_lines() -> None:
    long = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}() {size} lines")
    assert not long, "\n".join(long)


def test_process_groups_are_signalled_in_one_module() -> None:
    words = ("killpg", "start_new_session", "setsid", "setpgid")
    users = sorted(
        str(p.relative_to(ROOT))
        for p in MODULES.values()
        if any(
            isinstance(n, (ast.Attribute, ast.keyword, ast.Name)) and _named(n) in words
            for n in ast.walk(ast.parse(p.read_text()))
        )
    )
    assert users == ["bpfhol/process.py"], users


def _named(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.keyword):
        return node.arg
    if isinstance(node, ast.Name):
        return node.id
    return None
