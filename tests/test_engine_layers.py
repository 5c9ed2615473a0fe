"""The examples engine's layers depend one way only: model <- collect <- run <- judge <- capture <- plugin.

And the product package never imports the tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bpfhol.config import ROOT

ENGINE = ROOT / "bpfhol" / "examples"
LAYER = {
    "model": 0,
    "markers": 1,
    "collect": 1,
    "run": 2,
    "access": 2,
    "toolchain": 2,
    "leftovers": 2,
    "session": 2,
    "judge": 3,
    "capture": 4,
    "plugin": 5,
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_every_engine_module_has_a_layer() -> None:
    modules = {p.stem for p in ENGINE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYER), "add the new module to LAYER (and to the engine's docstring)"


@pytest.mark.parametrize("module", sorted(LAYER))
def test_layer_imports_only_earlier_layers(module: str) -> None:
    for name in _imports(ENGINE / f"{module}.py"):
        if name.startswith("bpfhol.examples."):
            dep = name.split(".")[2]
            if dep in LAYER:
                assert LAYER[dep] <= LAYER[module], f"{module} (layer {LAYER[module]}) imports {dep} ({LAYER[dep]})"


def test_product_never_imports_tests() -> None:
    for path in (ROOT / "bpfhol").rglob("*.py"):
        bad = [n for n in _imports(path) if n == "tests" or n.startswith("tests.")]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
