"""`pip install .` (not editable) into a fresh venv gives a `bpfhol` that works from any directory.

The package is built from a copy of the checkout's files (what a clone holds), installed into a
venv made as `./dev` makes its own (Debian's Python, system site-packages for BCC), and run from
a directory that is not the checkout, so nothing can come from the checkout by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bpfhol import config
from bpfhol.labs import LABS

ROOT = config.ROOT
SYSTEM_PYTHON = Path(config.DEFAULT_PYTHON)  # the Python ./dev makes its venv with (BCC's module is its)


TOP_LEVEL_ONLY = {".git", ".venv", "build", "site", "_site"}  # .gitignore's: what a clone does not hold
ANYWHERE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*_cache")


def _not_in_a_clone(directory: str, names: list[str]) -> set[str]:
    top = Path(directory) == ROOT
    return set(ANYWHERE(directory, names)) | ({n for n in names if n in TOP_LEVEL_ONLY} if top else set())


def _programs(snippets: Path) -> list[str]:
    return sorted(
        str(p.relative_to(snippets)) for p in snippets.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def _build_backend_present(python: Path) -> bool:
    """Can the venv build a wheel with what it has (setuptools, and wheel for setuptools < 70.1)?"""
    probe = (
        "import setuptools.build_meta\n"
        "try:\n    import setuptools.command.bdist_wheel\nexcept ImportError:\n    import wheel.bdist_wheel\n"
    )
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh venv with the package installed from a copy of the checkout."""
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"{SYSTEM_PYTHON} is missing (the Python ./dev setup makes its venv with)")
    base = tmp_path_factory.mktemp("packaging")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_not_in_a_clone)
    venv = base / "venv"
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    # Offline when the venv already has the build backend; otherwise pip fetches it (build isolation).
    offline = ["--no-build-isolation"] if _build_backend_present(python) else []
    p = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", *offline, str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    return venv / "bin"


def bpfhol_from(bin_dir: Path, cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [str(bin_dir / "bpfhol"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def bpfhol_here(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bpfhol", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("args", [["list"], ["check", "--list"], ["--version"]], ids=" ".join)
def test_installed_command_prints_what_the_checkout_prints(installed: Path, tmp_path: Path, args: list[str]) -> None:
    p = bpfhol_from(installed, tmp_path, *args)
    assert p.returncode == 0 and p.stderr == "", p
    assert p.stdout.strip(), p
    assert p.stdout == bpfhol_here(*args).stdout


def test_installed_package_is_the_installed_copy_with_every_program(installed: Path, tmp_path: Path) -> None:
    code = """if True:
        import importlib.metadata, json, bpfhol
        from bpfhol import config
        where = [bpfhol.__file__, str(config.SNIPPETS)]
        print(json.dumps([where, importlib.metadata.version("bpfhol"), bpfhol.__version__]))
    """
    p = subprocess.run([str(installed / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    where, dist_version, version = json.loads(p.stdout)
    assert all(Path(w).is_relative_to(installed.parent) for w in where), where
    assert dist_version == version  # one version: the metadata's is the package's
    assert _programs(Path(where[1])) == _programs(ROOT / "snippets")


def test_installed_run_of_a_program_that_is_not_there_is_one_line(installed: Path, tmp_path: Path) -> None:
    p = bpfhol_from(installed, tmp_path, "run", "syscalls/no-such-program.bt")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and "no snippet 'syscalls/no-such-program.bt'" in p.stderr


def test_installed_lab_run_and_check_work_from_another_directory(
    installed: Path, tmp_path: Path, needs_bpf: None
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["BPFHOL_STATE_DIR"] = str(tmp_path / "state")  # beside any lab a learner runs
    lab = subprocess.Popen(
        [str(installed / "bpfhol"), "syscalls", "--duration", "60"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert lab.stdout is not None
        said = []
        for line in lab.stdout:  # until it is ready, or ends (--duration bounds the wait)
            said.append(line.strip())
            if said[-1] == "ready":
                break
        assert said[-1:] == ["ready"], f"the lab did not start: {said} {lab.stderr.read() if lab.stderr else ''}"
        p = bpfhol_from(installed, tmp_path, "run", "syscalls/mmap-top-caller.bt", "--duration", "2")
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    assert p.returncode == 0, p
    assert any(f"@mmaps[{comm}]:" in p.stdout for comm in LABS["syscalls"].comms(0)), p.stdout
    shutil.copy(ROOT / "snippets" / "syscalls" / "mmap-top-caller.bt", tmp_path / "mine.bt")
    p = bpfhol_from(installed, tmp_path, "check", "mmap-1", "mine.bt", "--json", timeout=120)
    assert p.returncode == 0, p
    assert json.loads(p.stdout)["verdict"] == "right", p.stdout
