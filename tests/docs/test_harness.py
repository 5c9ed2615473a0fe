"""The docs harness catches what it promises to catch.

Each test copies the small course in tests/docs/demo, breaks one thing in the copy, runs
the docs suite on it in a separate pytest (real bpftrace, real BCC), and reads the
failure message an author would read.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bpfhol.runner import ROOT
from tests.bpf import require_bpf
from tests.unprivileged import run_as_nobody

DEMO = Path(__file__).parent / "demo"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    dest = tmp_path / "course"
    shutil.copytree(DEMO, dest)
    return dest


def docs_suite(
    course: Path, *, nobody: bool = False, ci: bool = False, sigint_ignored: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["BPFHOL_DOCS_WORKLOAD"] = "none"  # the demo course traces nothing of the lab's workload
    if ci:
        env["CI"] = "true"
    cmd = [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "tests.docs.plugin", "-p", "no:cacheprovider",
           "--docs-project", str(course), "--rootdir", str(course), str(course / "docs")]
    if nobody:
        return run_as_nobody(cmd, cwd=ROOT, trees=[ROOT, course], env=env, timeout=120)
    # As a CI script's `cmd &` would start it: SIGINT ignored, inherited by everything below.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=ignore)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_intact_course_passes_and_counts(course: Path) -> None:
    require_bpf("the docs harness tests")
    r = docs_suite(course)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 examples: 3 passed, 0 failed, 0 skipped; 1 illustrations (shown, not run)" in r.stdout
    assert "illustration docs/index.md:" in r.stdout


def test_ctrl_c_reaches_programs_when_the_suite_starts_with_sigint_ignored(course: Path) -> None:
    require_bpf("the docs harness tests")
    r = docs_suite(course, sigint_ignored=True)
    assert r.returncode == 0, r.stdout + r.stderr  # the BCC example ends on KeyboardInterrupt
    assert "3 examples: 3 passed" in r.stdout


def test_typo_in_snippet_fails_with_page_line_command_and_stderr(course: Path) -> None:
    require_bpf("the docs harness tests")
    edit(course / "snippets/demo/getpid.bt", "count()", "cuont()")
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:9: the bpftrace example failed" in r.stdout
    assert "snippet:  snippets/demo/getpid.bt" in r.stdout
    assert "command:  bpftrace " in r.stdout
    assert "exit status 1, expected 0" in r.stdout
    assert re.search(r"Unknown function: '?cuont", r.stdout)  # bpftrace's own stderr (0.27 quotes the name)
    assert "-@calls: " in r.stdout  # the diff: the shown line the live run no longer prints


def test_wrong_expectation_fails_naming_it(course: Path) -> None:
    require_bpf("the docs harness tests")
    edit(course / "docs/index.md", r"expect: ^@calls: \d+$", r"expect: ^@calls: [a-z]+$")
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:9: the bpftrace example failed" in r.stdout
    assert r"live output: expect: ^@calls: [a-z]+$  did not match" in r.stdout
    assert r"shown output: expect: ^@calls: [a-z]+$  did not match" in r.stdout


def test_shown_output_drift_fails_with_diff(course: Path) -> None:
    require_bpf("the docs harness tests")
    out = course / "snippets/demo/list.out"
    out.write_text(out.read_text().replace("sys_enter_openat\n", "sys_enter_openat_renamed\n"))
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:24: the sh example failed" in r.stdout
    assert "shown output: expect: ^tracepoint:syscalls:sys_enter_openat$  did not match" in r.stdout
    assert "live output:" not in r.stdout  # reality still holds; only the page drifted
    assert "-tracepoint:syscalls:sys_enter_openat_renamed" in r.stdout
    assert "+tracepoint:syscalls:sys_enter_openat" in r.stdout


def test_runnable_block_without_expectation_or_mark_fails(course: Path) -> None:
    mark = "<!-- example\nillustration: shows how to start a tool, which the suite does itself\n-->\n"
    edit(course / "docs/index.md", mark, "")
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "neither expectations nor an illustration mark" in r.stdout


def test_missing_shown_output_block_fails(course: Path) -> None:
    edit(course / "docs/index.md", '```text title="Output"\n--8<-- "demo/getpid.out"\n```\n', "")
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "no shown output" in r.stdout


def test_a_process_left_behind_fails_the_session(course: Path) -> None:
    require_bpf("the docs harness tests")
    # Job control gives the background sleep a process group of its own, out of the
    # runner's reach (it kills the example's group): only the session check finds it.
    script = course / "snippets/demo/list.sh"
    script.write_text("set -m\nsleep 77 &\n" + script.read_text())
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "the docs examples left these behind:" in r.stdout
    assert "left running: sleep: sleep 77" in r.stdout
    assert subprocess.run(["pgrep", "-f", "^sleep 77$"], capture_output=True).returncode == 1  # and it was killed


def test_without_root_examples_skip_with_reason_and_fail_under_ci(course: Path, request: pytest.FixtureRequest) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run the suite as another user")
    # A copy nobody can read (pytest's tmp_path is 0700).
    readable = Path(tempfile.mkdtemp(prefix="bpfhol-course-"))
    readable.chmod(0o755)
    course = Path(shutil.copytree(course, readable / "course"))
    request.addfinalizer(lambda: shutil.rmtree(readable, ignore_errors=True))
    r = docs_suite(course, nobody=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 skipped" in r.stdout
    assert "needs root: loading BPF programs takes CAP_BPF and CAP_PERFMON" in r.stdout
    r = docs_suite(course, nobody=True, ci=True)
    assert r.returncode == 1, r.stdout
    assert "CI is set: a test that needs BPF fails instead of skipping" in r.stdout


def test_capture_rewrites_shown_output_only_from_passing_runs(course: Path) -> None:
    require_bpf("the docs harness tests")
    good, bad = course / "snippets/demo/list.out", course / "snippets/demo/getpid.out"
    good.write_text("stale\n")
    edit(course / "docs/index.md", r"expect: ^@calls: \d+$", r"expect: ^@calls: never$")
    before = bad.read_text()
    env = dict(os.environ, BPFHOL_DOCS_WORKLOAD="none")
    r = subprocess.run([sys.executable, "-m", "tests.docs.capture", "--project", str(course)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tracepoint:syscalls:sys_enter_openat\n" in good.read_text()
    assert bad.read_text() == before  # a run that breaks its expectations never becomes the page
    assert "docs/index.md:9: the bpftrace example failed" in r.stderr
    assert not (course / "snippets/captured-with.md").exists()  # only a fully green capture records versions
