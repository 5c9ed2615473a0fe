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

from bpfhol.config import ROOT
from bpfhol.labs import known
from tests.unprivileged import run_as_nobody

DEMO = Path(__file__).parent / "demo"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    dest = tmp_path / "course"
    shutil.copytree(DEMO, dest)
    return dest


def docs_suite(
    course: Path,
    *args: str,
    nobody: bool = False,
    ci: bool = False,
    sigint_ignored: bool = False,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BPFHOL_SEED")}
    env.update(env_extra or {})
    if ci:
        env["CI"] = "true"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-o",
        "addopts=",
        "-p",
        "tests.docs.plugin",
        "-p",
        "no:cacheprovider",
        "--docs-project",
        str(course),
        "--rootdir",
        str(course),
        str(course / "docs"),
        *args,
    ]
    if nobody:
        return run_as_nobody(cmd, cwd=ROOT, trees=[ROOT, course], env=env, timeout=120)
    # As a CI script's `cmd &` would start it: SIGINT ignored, inherited by everything below.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=ignore)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_intact_course_passes_and_counts(course: Path, needs_bpf: None) -> None:
    r = docs_suite(course)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 examples: 3 passed, 0 failed, 0 skipped; 1 illustrations (shown, not run)" in r.stdout
    assert "illustration docs/index.md:" in r.stdout


def test_ctrl_c_reaches_programs_when_the_suite_starts_with_sigint_ignored(course: Path, needs_bpf: None) -> None:
    r = docs_suite(course, sigint_ignored=True)
    assert r.returncode == 0, r.stdout + r.stderr  # the BCC example ends on KeyboardInterrupt
    assert "3 examples: 3 passed" in r.stdout


def test_typo_in_snippet_fails_with_page_line_command_and_stderr(course: Path, needs_bpf: None) -> None:
    edit(course / "snippets/demo/getpid.bt", "count()", "cuont()")
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:9: the bpftrace example failed" in r.stdout
    assert "snippet:  snippets/demo/getpid.bt" in r.stdout
    assert "command:  bpftrace " in r.stdout
    assert "exit status 1, expected 0" in r.stdout
    assert re.search(r"Unknown function: '?cuont", r.stdout)  # bpftrace's own stderr (0.27 quotes the name)
    assert "-@calls: " in r.stdout  # the diff: the shown line the live run no longer prints


def test_wrong_expectation_fails_naming_it(course: Path, needs_bpf: None) -> None:
    edit(course / "docs/index.md", r"expect: ^@calls: \d+$", r"expect: ^@calls: [a-z]+$")
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:9: the bpftrace example failed" in r.stdout
    assert r"live output: expect: ^@calls: [a-z]+$  did not match" in r.stdout
    assert r"shown output: expect: ^@calls: [a-z]+$  did not match" in r.stdout


def test_shown_output_drift_fails_with_diff(course: Path, needs_bpf: None) -> None:
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


def test_a_process_left_behind_fails_the_session(course: Path, needs_bpf: None) -> None:
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


def test_update_shown_rewrites_shown_output_only_from_passing_runs(course: Path, needs_bpf: None) -> None:
    good, bad = course / "snippets/demo/list.out", course / "snippets/demo/getpid.out"
    good.write_text("stale\n")
    edit(course / "docs/index.md", r"expect: ^@calls: \d+$", r"expect: ^@calls: never$")
    before = bad.read_text()
    r = docs_suite(course, "--update-shown")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tracepoint:syscalls:sys_enter_openat\n" in good.read_text()
    assert bad.read_text() == before  # a run that breaks its expectations never becomes the page
    assert "docs/index.md:9: the bpftrace example failed" in r.stdout
    assert "--update-shown: 1 shown outputs rewritten" in r.stdout
    assert not (course / "snippets/captured-with.md").exists()  # only a fully green capture records versions


def test_update_shown_of_a_green_course_records_versions(course: Path, needs_bpf: None) -> None:
    (course / "snippets/demo/list.out").write_text("stale\n")
    r = docs_suite(course, "--update-shown")
    assert r.returncode == 0, r.stdout + r.stderr
    note = (course / "snippets/captured-with.md").read_text()
    assert note.startswith("Outputs shown in this course were captured on Linux ") and "bpftrace" in note


def test_selection_runs_only_the_selected_examples(course: Path, needs_bpf: None) -> None:
    r = docs_suite(course, "-k", "getpid")  # a snippet's name selects its example
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 examples: 1 passed, 0 failed, 0 skipped" in r.stdout
    ran = [line for line in r.stdout.splitlines() if line.startswith("  ") and " s  docs/index.md:" in line]
    assert len(ran) == 1 and "snippets/demo/getpid.bt" in ran[0], r.stdout


def test_unknown_lab_is_one_error_per_example_naming_the_page(course: Path) -> None:
    page = course / "docs/index.md"
    page.write_text("---\nlab: nosuchlab\n---\n" + page.read_text())
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:12: the bpftrace example failed" in r.stdout
    assert f"front matter: unknown lab 'nosuchlab' (labs: {known()})" in r.stdout
    assert "KeyError" not in r.stdout


def test_a_lab_that_cannot_start_is_one_clear_error(course: Path, needs_bpf: None) -> None:
    page = course / "docs/index.md"
    page.write_text("---\nlab: syscalls\n---\n" + page.read_text())
    r = docs_suite(course, env_extra={"BPFHOL_SEED": "5000"})  # a seed the lab refuses
    assert r.returncode == 1, r.stdout
    errors = [line for line in r.stdout.splitlines() if "the syscalls lab did not start" in line]
    assert errors and all("--seed must be between 0 and 999 (got 5000)" in e for e in errors), r.stdout
    assert "KeyError" not in r.stdout and "Traceback" not in r.stdout


def test_unmet_requirement_skips_with_the_reason_even_under_ci(course: Path, needs_bpf: None) -> None:
    first = "<!-- example\nexpect: ^@calls"
    edit(course / "docs/index.md", first, first.replace("\n", "\nrequires: bpftrace >= 99.0\n"))
    r = docs_suite(course, ci=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 examples: 2 passed, 0 failed, 1 skipped" in r.stdout
    assert "skipped docs/index.md:10: needs bpftrace >= 99.0 (this is bpftrace v" in r.stdout


def test_unparsable_requirement_fails_naming_page_and_line(course: Path) -> None:
    first = "<!-- example\nexpect: ^@calls"
    edit(course / "docs/index.md", first, first.replace("\n", "\nrequires: a fast machine\n"))
    r = docs_suite(course)
    assert r.returncode == 1, r.stdout
    assert "docs/index.md:10: the bpftrace example failed" in r.stdout
    assert "requires: 'a fast machine': expected 'arch NAME[|NAME]'" in r.stdout


def test_a_directory_left_in_the_temp_dir_fails_the_session(course: Path, needs_bpf: None) -> None:
    script = course / "snippets/demo/list.sh"
    leak = Path(tempfile.gettempdir()) / f"bpfhol-leak-{os.getpid()}"
    script.write_text(f"mkdir -p {leak}\n" + script.read_text())
    try:
        r = docs_suite(course)
        assert r.returncode == 1, r.stdout
        assert f"{leak} left in the temp directory" in r.stdout
    finally:
        shutil.rmtree(leak, ignore_errors=True)
