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
    "shown": 0,
    "model": 0,
    "markers": 1,
    "collect": 1,
    "constructs": 1,
    "shellscript": 1,
    "bccapi": 1,
    "teaching": 1,
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


# The process layer (bpfhol/process.py, and bpfhol/program.py on it) sits below the engine and
# grading alike: both run programs through it, and neither imports the other's internals.
PROCESS_LAYER = ("process", "program")


@pytest.mark.parametrize("module", PROCESS_LAYER)
def test_process_layer_imports_neither_engine_nor_grading(module: str) -> None:
    bad = [n for n in _imports(ROOT / "bpfhol" / f"{module}.py") if n.startswith(("bpfhol.examples", "bpfhol.grading"))]
    assert not bad, f"bpfhol/{module}.py imports {bad}"


def test_grading_never_imports_the_engine() -> None:
    for path in (ROOT / "bpfhol" / "grading").glob("*.py"):
        bad = [n for n in _imports(path) if n.startswith("bpfhol.examples")]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}: use bpfhol.program"


def test_process_groups_are_signalled_in_one_module() -> None:
    owner = ROOT / "bpfhol" / "process.py"
    for top in ("bpfhol", "devtools", "benchmarks", "workloads"):
        for path in (ROOT / top).rglob("*.py"):
            text = path.read_text()
            if path != owner:
                assert "killpg" not in text and "start_new_session" not in text, f"{path}: use bpfhol.process"
