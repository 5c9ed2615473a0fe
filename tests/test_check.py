"""`bpfhol check`: the course's solutions pass, right answers written differently pass, typical
wrong answers fail with the feedback that explains them, and bad input gets one clear message.

The corpus lives in tests/check_corpus/<exercise>/{right,wrong}/; each wrong program names the
feedback it must get in a comment line `expect: <words>`, and no feedback tells a value of the
answer key. The course's solutions are the pages' examples that carry `check: ID`. The checks
run as a learner runs them (`bpfhol check EXERCISE FILE`, a real process) against one workload
per lab for the module, with a fresh random seed, a 1 s window, a few at a time.
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
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bpfhol.examples.collect import Project, collect
from bpfhol.examples.judge import shown_key
from bpfhol.examples.model import Example, parse_requirement
from bpfhol.examples.toolchain import first_unmet
from bpfhol.grading import facts, workload
from bpfhol.grading.exercises import EXERCISES, grade
from bpfhol.grading.parse import parse
from bpfhol.grading.reference import Reference
from bpfhol.labs import syscalls as scenario
from tests.unprivileged import run_as_nobody

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "check_corpus"
SNIPPETS = ROOT / "snippets" / "syscalls"
WORKERS = 3
_EXPECT = re.compile(r"expect: (.+)$", re.M)


@cache
def solutions() -> tuple[Example, ...]:
    """The course's solutions: the pages' examples whose comment says `check: ID`."""
    return tuple(ex for ex in collect(Project(ROOT)) if ex.spec.check is not None)


def solution_id(ex: Example) -> str:
    return f"{ex.spec.check}-{ex.kind}-{ex.page.name}:{ex.line}"


def solution_file(ex: Example, tmp: Path) -> Path:
    """The program as a learner would save it: its snippet, or the page's inline block."""
    if ex.includes:
        return Project(ROOT).snippet_path(ex.includes[0])
    path = tmp / f"{ex.spec.check}-{ex.line}.{'bt' if ex.kind == 'bpftrace' else 'py'}"
    path.write_text(ex.source)
    return path


_REQUIRES = re.compile(r"^(?://|#) requires: (.+)$", re.M)


def corpus(which: str) -> list[tuple[str, Path]]:
    """The corpus programs of every exercise, but those whose `// requires: R` lines (the examples'
    grammar) this toolchain does not meet, e.g. `curtask` where bpftrace cannot read the kernel's BTF."""
    found = sorted((ex.name, f) for ex in CORPUS.iterdir() if (ex / which).is_dir() for f in (ex / which).iterdir())
    return [(ex, f) for ex, f in found if not _unmet_in(f)]


def _unmet_in(program: Path) -> str | None:
    reqs = [parse_requirement(r) for r in _REQUIRES.findall(program.read_text())]
    return first_unmet(reqs)


def cmd(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bpfhol", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout
    )


# --- without BPF: the criteria on recorded outputs, and bad input ------------------------------


def test_every_page_exercise_is_listed() -> None:
    p = cmd("check", "--list")
    assert p.returncode == 0, p.stderr
    ids = [line.split()[0] for line in p.stdout.splitlines() if line and not line.startswith(" ")]
    assert ids == list(EXERCISES)
    for ex in EXERCISES.values():
        assert ex.section in (ROOT / "docs" / ex.page).read_text(), ex


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_pages_show_the_check_command(exercise: str) -> None:
    page = (ROOT / "docs" / EXERCISES[exercise].page).read_text()
    assert f"sudo bpfhol check {exercise} " in page


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_every_exercise_has_solutions_and_wrong_programs(exercise: str) -> None:
    """Each exercise's page grades a solution, and the corpus holds a wrong program for it: its
    feedback is then tried (and kept from telling the answer)."""
    assert any(ex.spec.check == exercise for ex in solutions()), f"no example on the page says check: {exercise}"
    assert any((CORPUS / exercise / "wrong").glob("*")), f"no program in tests/check_corpus/{exercise}/wrong"


@pytest.mark.parametrize("ex", solutions(), ids=solution_id)
def test_recorded_outputs_of_the_solutions_pass(ex: Example) -> None:
    """The outputs the pages show (the classic scenario) are right for the classic key."""
    assert ex.shown is not None, f"{ex.id}: no shown output"
    v = grade(ex.spec.check or "", ex.shown, shown_key(ex) or {}, source=ex.source, kind=ex.kind)
    assert v.right, v.as_json()


def test_recorded_outputs_are_wrong_for_another_seed() -> None:
    """A copied output fails where the seed changes the answer."""
    key = scenario.answer_key(workload.fresh_seed())
    copied = [ex for ex in solutions() if ex.spec.check in ("mmap-2", "mmap-3", "open-1", "open-2", "exec-1")]
    assert copied
    for ex in copied:
        v = grade(ex.spec.check or "", ex.shown or "", key)
        assert not v.right, (solution_id(ex), v.as_json())


def test_recorded_raw_outputs_are_wrong_where_the_call_differs() -> None:
    """harbord's call changes with the seed: the page's outputs name the classic one."""
    seed = next(s for s in range(1, scenario.SEED_MAX + 1) if scenario.raw_call(s) != scenario.raw_call(0))
    key = scenario.answer_key(seed)
    copied = [ex for ex in solutions() if ex.spec.check == "raw-1"]
    assert len(copied) == 2
    for ex in copied:
        v = grade("raw-1", ex.shown or "", key, source=ex.source, kind=ex.kind)
        assert not v.right, (solution_id(ex), v.as_json())


@pytest.mark.parametrize(
    ("exercise", "differs"),
    [
        # the same program, ending otherwise: the status alone tells the answers apart
        ("exec-2", lambda k, c: k["exec"]["program_comm"] == c["exec"]["program_comm"]
         and k["exec"]["status"] != c["exec"]["status"]),
        # the same call, failing otherwise: the error alone tells them apart
        ("raw-2", lambda k, c: k["raw"]["fail_syscall"] == c["raw"]["fail_syscall"]
         and k["raw"]["fail_errno"] != c["raw"]["fail_errno"]),
    ],
)  # fmt: skip
def test_recorded_outputs_are_wrong_where_only_the_answer_differs(exercise: str, differs: Any) -> None:
    """The going-further questions: a seed whose scenario differs from the classic one only in the
    answer (names and harbord's call fixed as they can be) fails the page's outputs."""
    classic = scenario.answer_key(0)
    keys = (scenario.answer_key(s) for s in range(1, scenario.SEED_MAX + 1))
    key = next(k for k in keys if differs(k, classic))
    key = {**key, "exec": {**key["exec"], "comm": classic["exec"]["comm"]}}  # the parent's name, too
    copied = [ex for ex in solutions() if ex.spec.check == exercise]
    assert len(copied) == 2
    for ex in copied:
        assert grade(exercise, ex.shown or "", classic, source=ex.source, kind=ex.kind).right, solution_id(ex)
        v = grade(exercise, ex.shown or "", key, source=ex.source, kind=ex.kind)
        assert not v.right, (solution_id(ex), v.as_json())


def test_recorded_clock_outputs_are_wrong_where_the_clock_differs() -> None:
    """The clock exercise's clock changes with the seed: the page's outputs show the classic one."""
    seed = next(s for s in range(1, scenario.SEED_MAX + 1) if scenario.clock_reads(s)[0] != scenario.clock_reads(0)[0])
    key = scenario.answer_key(seed)
    key["clock"]["comm"] = scenario.answer_key(0)["clock"]["comm"]  # the same process: the clock alone differs
    copied = [ex for ex in solutions() if ex.spec.check == "clock-1"]
    assert len(copied) == 2
    for ex in copied:
        v = grade("clock-1", ex.shown or "", key, source=ex.source, kind=ex.kind)
        assert not v.right, (solution_id(ex), v.as_json())


def test_clock_is_judged_by_what_the_kernel_was_asked() -> None:
    """Where the vDSO cannot read the clock source (hpet, acpi_pm), the process's other clocks reach
    the kernel too: the reference trace sees them, and a right answer shows them all."""
    key = scenario.answer_key(0)
    k = key["clock"]
    ids = {"CLOCK_REALTIME": 0, "CLOCK_MONOTONIC": 1, "CLOCK_BOOTTIME": 7}
    rates = {ids[name]: n for name, n in k["vdso_reads_per_second"].items()}
    one = f"@reads[{k['comm']}, {k['clock_id']}]: {k['calls_per_second']}\n"
    others = "".join(f"@reads[{k['comm']}, {c}]: {n}\n" for c, n in rates.items())
    tsc = f"@clock[{k['comm']}, 4242, {k['clock_id']}]: {k['calls_per_second']}\n"
    hpet = tsc + "".join(f"@clock[{k['comm']}, 4242, {c}]: {n}\n" for c, n in rates.items())
    assert grade("clock-1", one, key, Reference.from_output(tsc)).right
    v = grade("clock-1", one, key, Reference.from_output(hpet))
    assert not v.right and any("leaves out clocks" in m for m in v.messages()), v.as_json()
    assert grade("clock-1", one + others, key, Reference.from_output(hpet)).right
    assert grade("clock-1", one + others, key).right, "the docs suite, with no reference, accepts them too"


def test_right_feedback_does_not_contradict_itself() -> None:
    """The learner's window and the reference's overlap but are not the same, so their counts
    differ: a right answer is told it is right without the two counts side by side."""
    key = scenario.answer_key(0)
    ref = Reference.from_output("@calls[mapit, 4242]: 1200\n@calls[bash, 17]: 3\n")
    v = grade("mmap-1", "@mmaps[mapit]: 1000\n@mmaps[bash]: 2\n", key, ref)
    assert v.right, v.as_json()
    assert not any("1200" in m for m in v.messages(True)), v.messages(True)


def test_parse_reads_bpftrace_json() -> None:
    text = "\n".join(
        [
            '{"type": "attached_probes", "data": {"probes": 1}}',
            '{"type": "map", "data": {"@mmaps": {"mapit": 1000, "bash": 3}}}',
            '{"type": "hist", "data": {"@bytes": {"mapit": [{"min": 4096, "max": 8191, "count": 5}]}}}',
        ]
    )
    out = parse(text)
    assert [(r.name, r.keys, r.value) for r in out.maps()] == [
        ("@mmaps", ("mapit",), "1000"),
        ("@mmaps", ("bash",), "3"),
    ]
    (h,) = out.hists()
    assert h.keys == ("mapit",) and (h.buckets[0].lo, h.buckets[0].hi) == (4096, 8192)


def test_parse_reads_bcc_sections_whose_comm_has_spaces() -> None:
    """Python 3.14 gives its threads kernel names such as `Thread-1 (run`: a section of its own."""
    rows = "     usecs               : count     distribution\n"
    text = f"comm = brokerd\n{rows}     16384 -> 32767      : 10       |****|\n\n"
    text += f"comm = Thread-233 (run\n{rows}       128 -> 255        : 48       |****|\n"
    hists = {h.keys: h for h in parse(text).hists()}
    assert set(hists) == {("brokerd",), ("Thread-233 (run",)}
    assert [(b.lo, b.count) for b in hists[("brokerd",)].buckets] == [(16384, 10)]


def test_parse_keeps_the_last_printing_of_a_map() -> None:
    out = parse("@c[mapit]: 10\n@c[bash]: 1\n\n@c[mapit]: 20\n")
    assert [(r.keys, r.value) for r in out.maps()] == [(("mapit",), "20"), (("bash",), "1")]


@pytest.mark.parametrize(
    "pages",
    [(8, 9, 10, 11), (1, 2, 3, 5)],  # one hist() bucket holds them all; several buckets, some shared
)
def test_hist_buckets_are_told_from_lhist_ones(pages: tuple[int, ...]) -> None:
    """hist() blurs sizes whether its output has one bucket or several; lhist()'s do not read as hist()'s."""
    page = 4096
    counts = {1 << (p * page).bit_length() - 1: 0 for p in pages}
    for p in pages:
        counts[1 << (p * page).bit_length() - 1] += 1
    text = "@bytes[x]:\n" + "".join(
        f"[{lo // 1024}K, {2 * lo // 1024}K)  {n} |@@@@|\n" for lo, n in sorted(counts.items())
    )
    (h,) = parse(text).hists()
    assert facts.is_power_of_two_hist(h.buckets)
    linear = "@bytes[x]:\n[12K, 16K)  1 |@@@@|\n[16K, 20K)  1 |@@@@|\n"
    (h,) = parse(linear).hists()
    assert not facts.is_power_of_two_hist(h.buckets)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 2, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_unknown_exercise_lists_the_known_ones() -> None:
    err = one_line_error(cmd("check", "mmap-9", "x.bt"))
    assert "unknown exercise 'mmap-9'" in err and "mmap-1" in err and "close-1" in err


def test_missing_file() -> None:
    assert "no such file" in one_line_error(cmd("check", "mmap-1", "/nonexistent/x.bt"))


def test_not_a_program() -> None:
    assert ".bt (bpftrace) or .py (BCC)" in one_line_error(cmd("check", "mmap-1", "README.md"))


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("root reads every file")
    f = tmp_path / "secret.bt"
    f.write_text("BEGIN { }")
    f.chmod(0)
    p = run_as_nobody([sys.executable, "-m", "bpfhol", "check", "mmap-1", str(f)], cwd=ROOT, trees=[ROOT, tmp_path])
    err = one_line_error(p)
    assert "cannot read it" in err or "no such file" in err, err


def test_not_root() -> None:
    program = CORPUS / "mmap-1" / "right" / "unnamed-map.bt"
    if os.geteuid() == 0:
        p = run_as_nobody([sys.executable, "-m", "bpfhol", "check", "mmap-1", str(program)], cwd=ROOT, trees=[ROOT])
    else:
        p = cmd("check", "mmap-1", str(program))
    assert "needs root" in one_line_error(p)


# --- with BPF: real runs against one workload -----------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, needs_bpf: None) -> Iterator[dict[str, Any]]:
    """One workload for the module, fresh random seed, in a state directory of its own.

    The checks run with a tag in their environment, which every process they start inherits,
    and with a temporary directory of their own: what is left of them is told apart from what
    other suites running on the machine leave at the same moment.
    """
    state = tmp_path_factory.mktemp("state")
    state.chmod(0o700)
    old = os.environ.get("BPFHOL_STATE_DIR")
    os.environ["BPFHOL_STATE_DIR"] = str(state)
    seed = workload.fresh_seed()
    running = workload.start("syscalls", seed)
    io = None
    try:
        io_seed = workload.fresh_seed("io")
        io = workload.start("io", io_seed)  # the latency and payloads exercises' workload
        seeds = {"syscalls": seed, "io": io_seed}
        yield {"env": isolated(dict(os.environ)), "seed": seed, "seeds": seeds, "lab": running, "state": state}
    finally:
        workload.stop(running)
        if io is not None:
            workload.stop(io)
        if old is None:
            del os.environ["BPFHOL_STATE_DIR"]
        else:
            os.environ["BPFHOL_STATE_DIR"] = old


_TMPDIRS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _remove_tmpdirs() -> Iterator[None]:
    yield
    for d in _TMPDIRS:
        shutil.rmtree(d, ignore_errors=True)


def isolated(env: dict[str, str]) -> dict[str, str]:
    tmp = tempfile.mkdtemp(prefix="check-test-", dir="/tmp")
    _TMPDIRS.append(tmp)
    os.chmod(tmp, 0o1777)  # like /tmp: a lab's workloads run as another user, who removes their directory
    return dict(env, TMPDIR=tmp, BPFHOL_TEST_TAG=f"{os.getpid()}-{tmp}")


_PLACEHOLDER = re.compile(r"\{((?:mmap|open|close|clock)\.[\w.]+)\}")


def fill(text: str, seed: int) -> str:
    """`{mmap.comm}` and the like, replaced by the answer key's values for the seed."""
    key = scenario.answer_key(seed)

    def value(m: re.Match[str]) -> str:
        v: Any = key
        for part in m[1].split("."):
            v = v[part]
        return str(v)

    return _PLACEHOLDER.sub(value, text)


def filled(path: Path, lab: dict[str, Any]) -> Path:
    """A corpus program that filters on a process names it from the answer key (`{mmap.comm}`):
    process names change with the seed, so the copy that runs has this lab's names in their place."""
    text = path.read_text()
    if not _PLACEHOLDER.search(text):
        return path
    d = tempfile.mkdtemp(prefix="check-corpus-")
    _TMPDIRS.append(d)
    out = Path(d) / path.name
    out.write_text(fill(text, lab["seed"]))
    return out


def run_checks(lab: dict[str, Any], jobs: list[tuple[str, Path]]) -> list[tuple[str, Path, Any, float]]:
    def one(job: tuple[str, Path]) -> tuple[str, Path, Any, float]:
        t0 = time.monotonic()
        p = cmd("check", job[0], str(filled(job[1], lab)), "--json", env=lab["env"])
        return job[0], job[1], p, time.monotonic() - t0

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(one, jobs))


def verdict(p: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"verdict": "?", "stdout": p.stdout, "stderr": p.stderr, "status": p.returncode}


def leftovers(env: dict[str, str]) -> list[str]:
    """What checks run with this environment left behind: processes (their program, the reference,
    mapcheck, a lab's workloads) and files in their temporary directory."""
    tag = f"BPFHOL_TEST_TAG={env['BPFHOL_TEST_TAG']}".encode()
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or d.name == str(os.getpid()):
            continue
        try:
            if tag not in (d / "environ").read_bytes().split(b"\0"):
                continue
            argv = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            comm = (d / "comm").read_text().strip()
        except OSError:
            continue
        found.append(f"{d.name} {comm}: {argv[:120]}")
    found += [f"file {p}" for p in Path(env["TMPDIR"]).iterdir()]
    return found


def gone(env: dict[str, str], timeout: float = 5.0) -> list[str]:
    """Leftovers, after giving processes being killed a moment to go."""
    deadline = time.monotonic() + timeout
    while (left := leftovers(env)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture(scope="module")
def solution_checks(
    lab: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """`bpfhol check` on every solution this toolchain can run (a few at a time): id -> (file, process)."""
    runnable = [ex for ex in solutions() if not first_unmet(ex.spec.requires)]
    tmp = tmp_path_factory.mktemp("solutions")
    done = run_checks(lab, [(ex.spec.check or "", solution_file(ex, tmp)) for ex in runnable])
    return {solution_id(ex): (path, p) for ex, (_, path, p, _took) in zip(runnable, done)}


@pytest.mark.parametrize("ex", solutions(), ids=solution_id)
def test_course_solutions_pass(ex: Example, solution_checks: dict[str, tuple[Path, Any]]) -> None:
    """Each solution is right against the live workload; one whose example declares a requirement this
    toolchain does not meet (`requires: bcc >= 0.21`) is skipped with the reason, as the docs run skips it."""
    if why := first_unmet(ex.spec.requires):
        pytest.skip(why)
    path, p = solution_checks[solution_id(ex)]
    v = verdict(p)
    assert p.returncode == 0 and v.get("verdict") == "right", f"{ex.spec.check} {path.name}: {json.dumps(v)}"


def test_right_answers_pass(lab: dict[str, Any]) -> None:
    bad = []
    for ex, path, p, _ in run_checks(lab, corpus("right")):
        v = verdict(p)
        if p.returncode != 0 or v.get("verdict") != "right":
            bad.append(f"{ex} {path.name}: {json.dumps(v)}")
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def wrong_runs(lab: dict[str, Any]) -> list[tuple[str, Path, Any, float]]:
    """The wrong corpus, checked once for the tests that read its feedback."""
    return run_checks(lab, corpus("wrong"))


def test_wrong_answers_fail_with_their_feedback(lab: dict[str, Any], wrong_runs: list[Any]) -> None:
    bad = []
    for ex, path, p, _ in wrong_runs:
        v = verdict(p)
        m = _EXPECT.search(path.read_text())
        assert m, f"{path}: no 'expect:' line"
        messages = " | ".join(f["message"] for f in v.get("findings", []) if f["ok"] is False)
        want = fill(m.group(1).strip(), lab["seed"])  # `expect: {mmap.comm} maps`: this lab's name
        # `expect: A || B`: either feedback is right (a made-up answer may happen to be the inverse of this seed's)
        if p.returncode != 1 or v.get("verdict") != "wrong" or not any(w.strip() in messages for w in want.split("||")):
            bad.append(f"{ex} {path.name}: want '{want}', got {json.dumps(v)}")
    assert not bad, "\n".join(bad)
    assert not gone(lab["env"])


def answer_key(lab_name: str, seed: int) -> dict[str, Any]:
    """The answer key as a learner would print it."""
    p = cmd(lab_name, "--seed", str(seed), "--answers", "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _as_word(text: str) -> re.Pattern[str]:
    """`text` standing alone: not inside a longer word or number (mapit, not mapits; 20, not 2048)."""
    return re.compile(r"(?<![\w.])" + re.escape(text) + r"(?![\w])", re.I)


def told_answers(exercise: str, key: dict[str, Any]) -> list[re.Pattern[str]]:
    """The values of the key's part about this exercise's family (key["mmap"] for mmap-2) that its
    question does not give: process names, files, sizes, descriptors, percentages, tokens.

    Booleans answer a yes/no and show as words, not values; a value with no letter or digit ('.')
    says nothing on its own.
    """
    ex = EXERCISES[exercise]
    given = f"{ex.question} {ex.section}"
    values = {str(v) for v in _leaves(key[exercise.rsplit("-", 1)[0]]) if not isinstance(v, bool)}
    return [_as_word(v) for v in sorted(values) if re.search(r"[A-Za-z0-9]", v) and not _gives(given, v)]


def _gives(question: str, value: str) -> bool:
    """Does the question name the value? A word may be inflected ("reads" gives read); a number not."""
    if re.fullmatch(r"-?[\d.]+", value):
        return _as_word(value).search(question) is not None
    return re.search(r"(?<![\w.])" + re.escape(value), question, re.I) is not None


def _readable(message: str) -> str:
    """A message without manual sections, whose digits are no values: mmap(2) is mmap."""
    return re.sub(r"(?<=\w)\(\d\)", "", message)


def test_feedback_never_tells_the_answer(lab: dict[str, Any], wrong_runs: list[Any]) -> None:
    """A wrong program's feedback names the method it lacks, never a value of the answer key its
    question does not give: a learner cannot read the answer off the feedback. (What the program
    itself says, a guess it prints, may be quoted back: the feedback tells nothing new there.)"""
    keys = {name: answer_key(name, seed) for name, seed in lab["seeds"].items()}
    told = []
    for ex, path, p, _ in wrong_runs:
        key = keys[EXERCISES[ex].lab]
        program = path.read_text()
        patterns = [pat for pat in told_answers(ex, key) if not pat.search(program)]
        for f in verdict(p).get("findings", []):
            if f["ok"] is True:
                continue
            found = sorted({m.group(0) for pat in patterns if (m := pat.search(_readable(f["message"])))})
            if found:
                told.append(f"{ex} {path.name}: {f['criterion']}: tells {', '.join(found)}: {f['message']}")
    assert not told, "\n".join(told)


BAD_PROGRAMS = {
    "syntax.bt": (
        "tracepoint:syscalls:sys_enter_mmap\n{\n\t@mmaps[comm] = count()\n\t@x = 1;\n}\n",
        r"syntax\.bt:4:\d+(-\d+)?: ERROR: syntax",
    ),
    "syntax.py": (
        "from bcc import BPF\nb = BPF(text='int x(void *ctx) { return undefined_thing; }')\n",
        r"use of undeclared identifier 'undefined_thing'",
    ),
    "silent.bt": ("tracepoint:syscalls:sys_enter_mmap { $x = 1; }\n", r"printed nothing"),
    "at-once.bt": ("BEGIN { exit(); }\n", r"ended by itself"),
    "kprobe.bt": ("kprobe:do_sys_openat2 { @[comm] = count(); }\n", r"kprobe: probes.*CONFIG_KPROBES off"),
    "kfunc.bt": ("kfunc:do_sys_openat2 { @[comm] = count(); }\n", r"kfunc: probes"),
    "kprobe.py": (
        "from bcc import BPF\nb = BPF(text='int kprobe__do_sys_openat2(void *ctx) { return 0; }')\nprint('Tracing')\n",
        r"kprobe: probes",
    ),
}


@pytest.mark.parametrize("name", list(BAD_PROGRAMS))
def test_bad_programs_get_one_clear_message(lab: dict[str, Any], tmp_path: Path, name: str) -> None:
    text, message = BAD_PROGRAMS[name]
    f = tmp_path / name
    f.write_text(text)
    t0 = time.monotonic()
    p = cmd("check", "mmap-1", str(f), env=lab["env"])
    took = time.monotonic() - t0
    assert p.returncode == 2, p
    assert p.stdout == ""
    assert re.search(message, p.stderr, re.S), p.stderr
    assert p.stderr.startswith("bpfhol check: ")
    assert not gone(lab["env"])
    assert took < 20, took


def test_a_flood_is_bounded(lab: dict[str, Any], tmp_path: Path) -> None:
    f = tmp_path / "flood.py"
    f.write_text("while True:\n    print('mapit flooding the terminal ' * 4)\n")
    t0 = time.monotonic()
    p = cmd("check", "mmap-1", str(f), "--json", env=lab["env"])
    took = time.monotonic() - t0
    assert p.returncode in (1, 2), p
    assert took < 15, took
    assert not gone(lab["env"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_check_leaves_nothing(tmp_path: Path, sig: signal.Signals, needs_bpf: None) -> None:
    """Ctrl-C or SIGTERM during a check that started its own lab: program, reference and lab all go."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    env = isolated(dict(os.environ, BPFHOL_STATE_DIR=str(state)))
    p = subprocess.Popen(
        [sys.executable, "-m", "bpfhol", "check", "mmap-3", str(SNIPPETS / "mmap-shared-ratio.py"), "--seconds", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(3.0)  # the lab is up and the program is tracing
    os.killpg(p.pid, sig)  # a terminal's Ctrl-C reaches the whole foreground group
    out, err = p.communicate(timeout=30)
    assert p.returncode != 0
    assert not gone(env)
    assert not labs_running(env), "the lab the check started is still running"


def labs_running(env: dict[str, str]) -> bool:
    return "no lab workloads running" not in cmd("status", env=env).stdout


def test_a_check_starts_and_stops_its_own_lab(tmp_path: Path, needs_bpf: None) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    env = isolated(dict(os.environ, BPFHOL_STATE_DIR=str(state)))
    p = cmd("check", "open-1", str(SNIPPETS / "open-files.bt"), "--json", env=env)
    v = verdict(p)
    assert p.returncode == 0 and v["verdict"] == "right", v
    assert v["seed"] != 0
    assert not labs_running(env)
    assert not gone(env)


def test_newer_bpftrace_spellings() -> None:
    """Boolean keys print true/false from bpftrace 0.2x; some versions nest multi-part JSON keys."""
    key = scenario.answer_key(0)
    me = key["mmap"]["comm"]
    text = f"@shared[{me}, true]: 750\n@shared[{me}, false]: 250\n@shared[bash, false]: 3\n"
    assert grade("mmap-3", text, key).right
    nested = '{"type": "map", "data": {"@c": {"mapit": {"4096": 100, "8192": 100}}}}'
    assert [r.keys for r in parse(nested).maps()] == [("mapit", "4096"), ("mapit", "8192")]


_HOG = """
import ctypes, mmap, time
ctypes.CDLL(None).prctl(15, b"maphog", 0, 0, 0)
while True:
    for _ in range(150):  # 15000 calls a second: busier than several labs' mmap workloads together
        mmap.mmap(-1, 4096).close()
    time.sleep(0.01)
"""


def test_busy_machine_judged_by_what_happened(lab: dict[str, Any], tmp_path: Path) -> None:
    """A process mapping more than the lab's mmap workload does: the solution names it and is right;
    an answer that assumes the workload is the busiest is wrong."""
    assumes = tmp_path / "assumes-the-workload.bt"
    assumes.write_text(
        fill(
            "tracepoint:syscalls:sys_enter_mmap { @n = count(); }\n"
            'END { clear(@n); printf("@mmaps[{mmap.comm}]: 1500\\n"); }\n',
            lab["seed"],
        )
    )
    hog = subprocess.Popen([sys.executable, "-c", _HOG], start_new_session=True)
    try:
        time.sleep(0.5)
        right = cmd("check", "mmap-1", str(SNIPPETS / "mmap-top-caller.bt"), "--json", env=lab["env"])
        wrong = cmd("check", "mmap-1", str(assumes), "--json", env=lab["env"])
    finally:
        os.killpg(hog.pid, signal.SIGKILL)
        hog.wait()
    assert right.returncode == 0, verdict(right)
    assert "maphog" in right.stdout
    assert wrong.returncode == 1, verdict(wrong)
    assert "another process made more mmap(2) calls" in wrong.stdout, verdict(wrong)
