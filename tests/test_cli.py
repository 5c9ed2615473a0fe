"""The `bpfhol` command and `./dev`, run as real processes the way a learner or CI runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import bpfhol
from bpfhol.diagnosis import CHECKS
from bpfhol.labs import LABS
from tests.unprivileged import run_as_nobody

ROOT = Path(__file__).resolve().parent.parent


def bpfhol_cmd(*args: str, as_nobody: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "bpfhol", *args]
    return run(cmd, as_nobody=as_nobody, timeout=timeout)


def run(cmd: list[str], as_nobody: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    if as_nobody and os.geteuid() == 0:
        return run_as_nobody(cmd, cwd=ROOT, trees=[ROOT], timeout=timeout)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    """A bad input's contract: exit 2, nothing on stdout, exactly one line on stderr."""
    assert p.returncode == 2, p
    assert p.stdout == "", p
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_help() -> None:
    p = bpfhol_cmd("--help")
    assert p.returncode == 0 and p.stderr == ""
    for word in ("list", "doctor", "run", *LABS):
        assert word in p.stdout


def test_version() -> None:
    p = bpfhol_cmd("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"bpfhol {bpfhol.__version__}"


def test_list_names_every_lab() -> None:
    p = bpfhol_cmd("list")
    assert p.returncode == 0 and p.stderr == ""
    names = [line.split()[0] for line in p.stdout.splitlines()]
    assert names == list(LABS)


def test_unknown_lab_names_the_known_ones() -> None:
    line = one_line_error(bpfhol_cmd("nosuchlab"))
    assert "nosuchlab" in line
    for lab in LABS:
        assert lab in line


@pytest.mark.parametrize("args", [["--bogus"], ["doctor", "--bogus"], ["list", "extra"]])
def test_unknown_option_is_one_line(args: list[str]) -> None:
    line = one_line_error(bpfhol_cmd(*args))
    assert line.startswith("bpfhol: ")


def test_doctor_passes_on_this_machine(needs_bpf: None) -> None:
    p = bpfhol_cmd("doctor")
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[-1].startswith(f"ok: {len(CHECKS)} checks") and lines[-1].endswith("a lab can run here")
    verdicts = [line.split()[0] for line in lines[1:-1] if not line.startswith(" ")]  # remedies are indented
    assert len(verdicts) == len(CHECKS) and set(verdicts) <= {"ok", "info", "warn"}


def test_doctor_json_parses() -> None:
    p = bpfhol_cmd("doctor", "--json")
    got = json.loads(p.stdout)
    assert p.returncode == (0 if got["ok"] else 1)
    assert got["kernel"] == os.uname().release and got["arch"] == os.uname().machine
    assert len(got["checks"]) == len(CHECKS)
    for c in got["checks"]:
        assert c["status"] in ("ok", "info", "warn", "fail") and c["detail"]
        assert c["status"] in ("ok", "info") or c["remedy"]


def test_doctor_summary_is_one_line() -> None:
    p = bpfhol_cmd("doctor", "--summary")
    assert len(p.stdout.splitlines()) == 1
    assert p.stdout.startswith(f"{'ok' if p.returncode == 0 else 'fail'}: {len(CHECKS)} checks")


def test_doctor_as_non_root_fails_on_privileges() -> None:
    p = bpfhol_cmd("doctor", "--json", as_nobody=True)
    assert p.returncode == 1, p
    privileges = json.loads(p.stdout)["checks"][0]
    assert privileges["name"] == "privileges" and privileges["status"] == "fail"
    assert "sudo" in privileges["remedy"]


def test_run_as_non_root_needs_root() -> None:
    snippet = sorted(p.relative_to(ROOT / "snippets") for p in (ROOT / "snippets").rglob("*.bt"))
    assert snippet, "no bpftrace snippet under snippets/ to try"
    line = one_line_error(bpfhol_cmd("run", str(snippet[0]), as_nobody=True))
    assert "needs root" in line


def test_dev_setup_refuses_non_root() -> None:
    line = one_line_error(run(["./dev", "setup"], as_nobody=True))
    assert "root" in line and "sudo ./dev setup" in line


@pytest.mark.machine
def test_dev_setup_twice_changes_nothing(needs_bpf: None) -> None:
    # The suite runs after `./dev test`'s own setup, so this is at least the second run.
    p = run(["./dev", "setup"], timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    assert len(p.stdout.splitlines()) == 1 and p.stdout.startswith(f"[dev] machine ready: ok: {len(CHECKS)} checks"), (
        p.stdout
    )
