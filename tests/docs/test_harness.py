"""The docs harness catches what it promises to catch.

Each test copies the small course in tests/docs/demo into a pytester directory, breaks one thing
in the copy, runs the docs suite on it through the plugin (real bpftrace, real BCC: a separate
pytest process; a run that loads no BPF program runs in this one), and reads the outcome and the
failure message an author would read.
"""

from __future__ import annotations

import json
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
from bpfhol.examples.shown import CONTINUED, too_wide, unwrap
from bpfhol.labs import known
from devtools import report as suite_report
from tests.unprivileged import run_as_nobody

DEMO = Path(__file__).parent / "demo"
PAGE = "docs/index.md"


def suite_args(course: Path, *extra: str) -> list[str]:
    return [
        "-p",
        "no:cacheprovider",
        "--docs-project",
        str(course),
        "--rootdir",
        str(course),
        str(course / "docs"),
        *extra,
    ]


class Course:
    """The demo course in a pytester directory, and the docs suite run over it."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.monkeypatch = monkeypatch
        self.path = pytester.path
        shutil.copytree(DEMO, self.path, dirs_exist_ok=True)
        monkeypatch.delenv("CI", raising=False)
        monkeypatch.delenv("BPFHOL_SEED", raising=False)

    def args(self, *extra: str) -> list[str]:
        return suite_args(self.path, *extra)

    def run(self, *extra: str, ci: bool = False, env: dict[str, str] | None = None) -> pytest.RunResult:
        """The suite in a pytest process of its own: examples load BPF programs and start labs."""
        if ci:
            self.monkeypatch.setenv("CI", "true")
        for k, v in (env or {}).items():
            self.monkeypatch.setenv(k, v)
        return self.pytester.runpytest_subprocess(*self.args(*extra), timeout=120)

    def check_markup(self, *extra: str) -> pytest.RunResult:
        """Only what needs no BPF (-m "not bpf": the page's mistakes), in this process."""
        return self.pytester.runpytest_inprocess(*self.args("-m", "not bpf", *extra))

    def front_matter(self, text: str) -> None:
        page = self.path / PAGE
        page.write_text(f"---\n{text}---\n" + page.read_text())

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.path / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new))


@pytest.fixture
def course(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Course:
    return Course(pytester, monkeypatch)


def out(r: pytest.RunResult) -> str:
    return r.stdout.str()


# --- the plugin itself ---------------------------------------------------------------------------


def test_plugin_is_loaded_by_its_entry_point(pytestconfig: pytest.Config) -> None:
    # As pytest found it: through the installed distribution's pytest11 entry point, not a -p option.
    loaded = {dist.metadata["name"]: plugin for plugin, dist in pytestconfig.pluginmanager.list_plugin_distinfo()}
    assert "bpfhol" in loaded, "no pytest11 entry point: pip install -e . (./dev setup)"
    assert loaded["bpfhol"] is sys.modules["bpfhol.examples.plugin"]


def test_plugin_named_again_with_p_loads_once(course: Course) -> None:
    r = course.pytester.runpytest_inprocess("-p", "bpfhol.examples.plugin", *course.args("--co"))
    assert r.ret == 0, out(r)
    assert "3 tests collected" in out(r) or "3 items" in out(r), out(r)


# --- a page's own mistakes: page and line, no BPF needed -----------------------------------------


def test_unknown_key_in_an_example_comment_is_rejected_with_page_and_line(course: Course) -> None:
    course.edit(PAGE, "<!-- example\nexpect: ^@calls", "<!-- example\nexepct: x\nexpect: ^@calls")
    r = course.check_markup()
    r.assert_outcomes(failed=1)
    assert f"{PAGE}:10: the bpftrace example failed" in out(r)
    assert f"{PAGE}:7: example comment: unknown key 'exepct': expected one of run, timeout" in out(r)


def test_unknown_marker_is_rejected_with_page_and_line(course: Course) -> None:
    course.edit(PAGE, "<!-- example\nexpect: ^@calls", "<!-- exmaple -->\n\n<!-- example\nexpect: ^@calls")
    r = course.check_markup()
    r.assert_outcomes(failed=1)
    assert f"{PAGE}:6: unknown marker <!-- exmaple -->: the markers are example, kernel-sources, tested-on" in out(r)


def test_unknown_front_matter_key_is_rejected_with_page_and_line(course: Course) -> None:
    course.front_matter("title: Demo\nlabb: syscalls\n")
    r = course.check_markup()
    r.assert_outcomes(failed=1)
    assert f"{PAGE}:3: front matter: unknown key 'labb'" in out(r)


def test_example_comment_away_from_its_program_is_rejected(course: Course) -> None:
    course.edit(PAGE, '-->\n```bpftrace title="getpid.bt"', '-->\n\nA sentence.\n\n```bpftrace title="getpid.bt"')
    r = course.check_markup()
    r.assert_outcomes(failed=2)  # the comment that describes nothing, and the program it left unmarked
    assert f"{PAGE}:6: an example comment must sit right above" in out(r)
    assert "neither expectations nor an illustration mark" in out(r)


def test_runnable_block_without_expectation_or_mark_fails(course: Course) -> None:
    mark = "<!-- example\nillustration: shows how to start a tool, which the suite does itself\n-->\n"
    course.edit(PAGE, mark, "")
    r = course.check_markup()
    r.assert_outcomes(failed=1)
    assert "neither expectations nor an illustration mark" in out(r)


def test_missing_shown_output_block_fails(course: Course) -> None:
    course.edit(PAGE, '```text title="Output"\n--8<-- "demo/getpid.out"\n```\n', "")
    r = course.check_markup()
    r.assert_outcomes(failed=1)
    assert "no shown output" in out(r)


def test_unknown_lab_is_one_error_per_example_naming_the_page(course: Course) -> None:
    course.front_matter("lab: nosuchlab\n")
    r = course.check_markup()
    r.assert_outcomes(failed=3)
    assert f"{PAGE}:12: the bpftrace example failed" in out(r)
    assert f"{PAGE}:2: front matter: unknown lab 'nosuchlab' (labs: {known()})" in out(r)
    assert "KeyError" not in out(r)


def test_unparsable_requirement_fails_naming_page_and_line(course: Course) -> None:
    first = "<!-- example\nexpect: ^@calls"
    course.edit(PAGE, first, first.replace("\n", "\nrequires: a fast machine\n"))
    r = course.check_markup()
    r.assert_outcomes(failed=1)
    assert f"{PAGE}:10: the bpftrace example failed" in out(r)
    assert f"{PAGE}:7: example comment: requires: 'a fast machine': expected 'arch NAME[|NAME]'" in out(r)


def test_report_file_records_each_example_with_page_line_and_outcome(course: Course) -> None:
    first = "<!-- example\nexpect: ^@calls"
    course.edit(PAGE, first, first.replace("\n", "\nrequires: a fast machine\n"))
    report = course.path / "report.jsonl"
    r = course.pytester.runpytest_inprocess(*course.args("--bpfhol-report", str(report), "--co"))
    records = [json.loads(line) for line in report.read_text().splitlines()]
    assert r.ret == 0 and records[-1] == {"type": "session", "exitstatus": 0}
    assert [(rec["line"], rec["outcome"]) for rec in records[:-1]] == [
        (10, "not run"),
        (25, "not run"),
        (40, "not run"),
    ]
    r = course.check_markup("--bpfhol-report", str(report))
    records = [json.loads(line) for line in report.read_text().splitlines()]
    assert records[-1] == {"type": "session", "exitstatus": 1}
    (ex,) = records[:-1]
    assert ex["type"] == "example" and ex["nodeid"] == f"{PAGE}::line:10,column:1"
    assert (ex["page"], ex["line"], ex["kind"], ex["snippet"]) == (PAGE, 10, "bpftrace", "snippets/demo/getpid.bt")
    assert ex["outcome"] == "failed" and ex["seconds"] is None and ex["stderr"] == ""
    read = suite_report.read(report)  # as the toolchain and kernel matrices read it
    assert read["exitstatus"] == 1 and [t["id"] for t in read["tests"]] == [ex["nodeid"]]
    (entry,) = read["examples"]
    assert entry == {**{k: ex[k] for k in ("page", "line", "kind", "snippet", "outcome", "reason")}, "warnings": []}


# --- runs: real bpftrace and BCC ----------------------------------------------------------------


def test_intact_course_passes_and_counts(course: Course, needs_bpf: None) -> None:
    r = course.run()
    r.assert_outcomes(passed=3)
    assert "3 examples: 3 passed, 0 failed, 0 skipped; 1 illustrations (shown, not run)" in out(r)
    assert f"illustration {PAGE}:" in out(r)


def test_report_file_of_a_run_has_each_examples_run(course: Course, needs_bpf: None) -> None:
    report = course.path / "report.jsonl"
    r = course.run("--bpfhol-report", str(report))
    r.assert_outcomes(passed=3)
    records = [json.loads(line) for line in report.read_text().splitlines()]
    assert records[-1] == {"type": "session", "exitstatus": 0}
    examples = {rec["snippet"]: rec for rec in records if rec["type"] == "example"}
    assert set(examples) == {"snippets/demo/getpid.bt", "snippets/demo/list.sh", "snippets/demo/bcc.py"}
    # seconds: each run's own; pytest's duration may be ~0 for a run the pool finished before its turn.
    assert all(e["outcome"] == "passed" and e["seconds"] > 0 and e["duration"] >= 0 for e in examples.values()), records
    assert examples["snippets/demo/getpid.bt"]["line"] == 9


def test_ctrl_c_reaches_programs_when_the_suite_starts_with_sigint_ignored(course: Course, needs_bpf: None) -> None:
    # As a CI script's `cmd &` would start it: SIGINT ignored, inherited by everything below.
    cmd = [sys.executable, "-m", "pytest", *course.args()]
    r = subprocess.run(
        cmd,
        cwd=course.path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert r.returncode == 0, r.stdout + r.stderr  # the BCC example ends on KeyboardInterrupt
    assert "3 examples: 3 passed" in r.stdout


def test_typo_in_snippet_fails_with_page_line_command_and_stderr(course: Course, needs_bpf: None) -> None:
    course.edit("snippets/demo/getpid.bt", "count()", "cuont()")
    r = course.run()
    r.assert_outcomes(passed=2, failed=1)
    assert f"{PAGE}:9: the bpftrace example failed" in out(r)
    assert "snippet:  snippets/demo/getpid.bt" in out(r)
    assert "command:  bpftrace " in out(r)
    assert "exit status 1, expected 0" in out(r)
    assert re.search(r"Unknown function: '?cuont", out(r))  # bpftrace's own stderr (0.27 quotes the name)
    assert "-@calls: " in out(r)  # the diff: the shown line the live run no longer prints


def test_wrong_expectation_fails_naming_it(course: Course, needs_bpf: None) -> None:
    course.edit(PAGE, r"expect: ^@calls: \d+$", r"expect: ^@calls: [a-z]+$")
    r = course.run()
    r.assert_outcomes(passed=2, failed=1)
    assert f"{PAGE}:9: the bpftrace example failed" in out(r)
    assert r"live output: expect: ^@calls: [a-z]+$  did not match" in out(r)
    assert r"shown output: expect: ^@calls: [a-z]+$  did not match" in out(r)


def test_shown_output_drift_fails_with_diff(course: Course, needs_bpf: None) -> None:
    shown = course.path / "snippets/demo/list.out"
    shown.write_text(shown.read_text().replace("sys_enter_openat\n", "sys_enter_openat_renamed\n"))
    r = course.run()
    r.assert_outcomes(passed=2, failed=1)
    assert f"{PAGE}:24: the sh example failed" in out(r)
    assert "shown output: expect: ^tracepoint:syscalls:sys_enter_openat$  did not match" in out(r)
    assert "live output:" not in out(r)  # reality still holds; only the page drifted
    assert "-tracepoint:syscalls:sys_enter_openat_renamed" in out(r)
    assert "+tracepoint:syscalls:sys_enter_openat" in out(r)


def test_a_process_left_behind_fails_the_session(course: Course, needs_bpf: None) -> None:
    # Job control gives the background sleep a process group of its own, out of the
    # runner's reach (it kills the example's group): only the session check finds it.
    script = course.path / "snippets/demo/list.sh"
    script.write_text("set -m\nsleep 77 &\n" + script.read_text())
    r = course.run()
    assert r.ret == 1, out(r)
    assert "the docs examples left these behind:" in out(r)
    assert "left running: sleep: sleep 77" in out(r)
    assert subprocess.run(["pgrep", "-f", "^sleep 77$"], capture_output=True).returncode == 1  # and it was killed


def test_without_root_examples_skip_with_reason_and_fail_under_ci(
    course: Course, request: pytest.FixtureRequest
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run the suite as another user")
    # A copy nobody can read (pytest's tmp_path is 0700).
    readable = Path(tempfile.mkdtemp(prefix="bpfhol-course-"))
    readable.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(readable, ignore_errors=True))
    copy = Path(shutil.copytree(DEMO, readable / "course"))
    cmd = [sys.executable, "-m", "pytest", *suite_args(copy)]
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BPFHOL_SEED")}
    r = run_as_nobody(cmd, cwd=ROOT, trees=[ROOT, copy], env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 skipped" in r.stdout
    assert "needs root: loading BPF programs takes CAP_BPF and CAP_PERFMON" in r.stdout
    r = run_as_nobody(cmd, cwd=ROOT, trees=[ROOT, copy], env={**env, "CI": "true"}, timeout=120)
    assert r.returncode == 1, r.stdout
    assert "CI is set: a test that needs BPF fails instead of skipping" in r.stdout


def test_update_shown_rewrites_shown_output_only_from_passing_runs(course: Course, needs_bpf: None) -> None:
    good, bad = course.path / "snippets/demo/list.out", course.path / "snippets/demo/getpid.out"
    good.write_text("stale\n")
    course.edit(PAGE, r"expect: ^@calls: \d+$", r"expect: ^@calls: never$")
    before = bad.read_text()
    r = course.run("--update-shown")
    r.assert_outcomes(passed=2, failed=1)
    assert "tracepoint:syscalls:sys_enter_openat\n" in good.read_text()
    assert bad.read_text() == before  # a run that breaks its expectations never becomes the page
    assert f"{PAGE}:9: the bpftrace example failed" in out(r)
    assert "--update-shown: 1 shown outputs rewritten" in out(r)
    assert not (course.path / "snippets/captured-with.md").exists()  # only a fully green capture records versions


def test_update_shown_of_a_green_course_records_versions(course: Course, needs_bpf: None) -> None:
    (course.path / "snippets/demo/list.out").write_text("stale\n")
    r = course.run("--update-shown")
    r.assert_outcomes(passed=3)
    note = (course.path / "snippets/captured-with.md").read_text()
    assert note.startswith("Outputs shown in this course were captured on Linux ") and "bpftrace" in note


def test_update_shown_fits_a_long_line_and_the_judge_reads_it_whole(course: Course, needs_bpf: None) -> None:
    script = course.path / "snippets/demo/list.sh"
    script.write_text(script.read_text() + "echo \"$(printf 'word %.0s' $(seq 40))end\"\n")
    course.edit(
        PAGE,
        "expect: ^tracepoint:syscalls:sys_enter_openat$\n",
        "expect: ^tracepoint:syscalls:sys_enter_openat$\n        expect: ^(?:word ){40}end$\n",
    )
    r = course.run("--update-shown")
    r.assert_outcomes(passed=3)
    shown = (course.path / "snippets/demo/list.out").read_text()
    assert too_wide(shown) == [] and f"\n{CONTINUED} word" in shown, shown  # wrapped before a space
    assert unwrap(shown).endswith("word " * 40 + "end\n")
    course.run().assert_outcomes(passed=3)  # the expectation matches the shown lines joined again
    (course.path / "snippets/demo/list.out").write_text(unwrap(shown))  # as printed: too wide for the page
    r = course.run()
    r.assert_outcomes(passed=2, failed=1)
    assert "shown output: line 7 is 203 columns wide, more than 100: re-capture it" in out(r)


def test_selection_runs_only_the_selected_examples(course: Course, needs_bpf: None) -> None:
    r = course.run("-k", "getpid")  # a snippet's name selects its example
    r.assert_outcomes(passed=1, deselected=2)
    assert "1 examples: 1 passed, 0 failed, 0 skipped" in out(r)
    ran = [line for line in r.outlines if line.startswith("  ") and f" s  {PAGE}:" in line]
    assert len(ran) == 1 and "snippets/demo/getpid.bt" in ran[0], out(r)


def test_a_lab_that_cannot_start_is_one_clear_error(course: Course, needs_bpf: None) -> None:
    course.front_matter("lab: syscalls\n")
    r = course.run(env={"BPFHOL_SEED": "5000"})  # a seed the lab refuses
    r.assert_outcomes(failed=3)
    errors = [line for line in r.outlines if "the syscalls lab did not start" in line]
    assert errors and all("--seed must be between 0 and 999 (got 5000)" in e for e in errors), out(r)
    assert "KeyError" not in out(r) and "Traceback" not in out(r)


def test_unmet_requirement_skips_with_the_reason_even_under_ci(course: Course, needs_bpf: None) -> None:
    first = "<!-- example\nexpect: ^@calls"
    course.edit(PAGE, first, first.replace("\n", "\nrequires: bpftrace >= 99.0\n"))
    r = course.run(ci=True)
    r.assert_outcomes(passed=2, skipped=1)
    assert "3 examples: 2 passed, 0 failed, 1 skipped" in out(r)
    assert f"skipped {PAGE}:10: needs bpftrace >= 99.0 (this is bpftrace v" in out(r)


def test_a_directory_left_in_the_temp_dir_fails_the_session(course: Course, needs_bpf: None) -> None:
    script = course.path / "snippets/demo/list.sh"
    leak = Path(tempfile.gettempdir()) / f"bpfhol-leak-{os.getpid()}"
    script.write_text(f"mkdir -p {leak}\n" + script.read_text())
    try:
        r = course.run()
        assert r.ret == 1, out(r)
        assert f"{leak} left in the temp directory" in out(r)
    finally:
        shutil.rmtree(leak, ignore_errors=True)
