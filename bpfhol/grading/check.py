"""`bpfhol check EXERCISE FILE`: run a learner's program against the live workload and judge it.

The program runs as the docs suite runs the course's own solutions (`run_program`: its own
process group, Ctrl-C after the traced window so it prints its maps, SIGKILL for whatever is
left). Beside it run a reference bpftrace program, which records what the system really did in
the same window, and, for the mmap exercises, `mapcheck` (companion.py). With no lab running,
the check starts one with a fresh random seed and stops it after, so an output copied from a
page or written into the program is judged wrong wherever the seed changes the answer.

Exit status: 0 right, 1 wrong, 2 could not judge (bad input, a program that does not run or
prints nothing). Every path, Ctrl-C and SIGTERM included, leaves no process, BPF program or
temporary file behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfhol import bpftrace
from bpfhol.bpftrace import BANNER
from bpfhol.config import bpftrace_command, timeout_scale
from bpfhol.errors import UsageError, require_root
from bpfhol.grading import workload
from bpfhol.grading.companion import Companion
from bpfhol.grading.exercises import EXERCISES, Exercise, grade, known
from bpfhol.grading.probes import probes_of
from bpfhol.grading.reference import Reference, program
from bpfhol.grading.verdict import RIGHT, WRONG, Verdict
from bpfhol.labs import LABS
from bpfhol.process import Child
from bpfhol.program import KIND_BY_SUFFIX, RunResult, run_program, unignore_sigint
from bpfhol.text import wrap

DEFAULT_SECONDS = 1.0
MAX_SECONDS = 60.0
# Seconds a program may take to compile and attach (BCC runs clang): generous, since it only
# matters on a slow machine (an emulated VM attaches a bpftrace program in 15 to 20 s), and
# scaled as the docs suite's timeouts are (BPFHOL_TIMEOUT_SCALE).
COMPILE_ALLOWANCE = 30.0


def compile_allowance() -> float:
    return COMPILE_ALLOWANCE * timeout_scale()


# Warnings about the machine, not the program (the lab's first page explains them).
_NOISE = re.compile(r"RLIMIT_MEMLOCK|available_filter_functions")
EXIT = {RIGHT: 0, WRONG: 1}


class CannotJudge(Exception):
    """A program that could not be judged: the message says why (it may span lines: a compiler's)."""


class _Stopped(Exception):
    """SIGTERM or SIGHUP: stop, clean up, exit."""


@dataclass
class Run:
    exercise: Exercise
    path: Path
    kind: str
    seconds: float
    lab: workload.LabInfo | None = None
    result: RunResult | None = None
    reference: Reference | None = None
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0


def list_exercises() -> str:
    lines: list[str] = []
    width = max(len(e.id) for e in EXERCISES.values()) + 2
    for e in EXERCISES.values():
        lines += wrap(f"{e.id:<{width}}", e.question, width)
        lines += wrap(" " * width, f"({e.page}, {e.section})", width)
    return "\n".join(lines)


def _resolve(exercise: str, file: str, seconds: float) -> tuple[Exercise, Path, str, str]:
    ex = EXERCISES.get(exercise)
    if ex is None:
        raise UsageError(f"unknown exercise '{exercise}' (known: {known()}; see bpfhol check --list)")
    if not (0 < seconds <= MAX_SECONDS):
        raise UsageError(f"--seconds must be more than 0 and at most {MAX_SECONDS:g} (got {seconds:g})")
    path = Path(file)
    kind = KIND_BY_SUFFIX.get(path.suffix)
    if kind not in ("bpftrace", "python"):
        raise UsageError(f"{file}: a program to check ends in .bt (bpftrace) or .py (BCC)")
    try:
        if not path.is_file():
            raise UsageError(f"{file}: {'not a file' if path.exists() else 'no such file'}")
        source = path.read_text()
    except PermissionError:
        raise UsageError(f"{file}: cannot read it (permission denied)") from None
    except UnicodeDecodeError:
        raise UsageError(f"{file}: not a text file") from None
    except OSError as e:
        raise UsageError(f"{file}: cannot read it ({e.strerror})") from None
    return ex, path, kind, source


def _clean_stderr(text: str, run_dir: str | None, path: Path) -> str:
    """The program's errors as the learner would see them: naming their file, without bpftrace's noise."""
    out = "\n".join(ln for ln in text.splitlines() if ln.strip() and not _NOISE.search(ln))
    if run_dir:
        out = re.sub(re.escape(run_dir) + r"/example\.(bt|py)", str(path), out)
    return out


def _meaningful(stdout: str) -> bool:
    """Did the program print anything but bpftrace's banner and blank lines?"""
    return any(ln.strip() and not BANNER.match(ln.strip()) for ln in stdout.splitlines())


def _kernel_probe_message(kinds: set[str]) -> str:
    """What `bpfhol doctor` says about kprobes and kfunc on this machine, for a program that needs them."""
    from bpfhol.diagnosis import Env, check_kprobes

    r = check_kprobes(Env.real())
    uses = " and ".join(sorted(f"{k}:" for k in kinds))
    return (
        f"your program uses {uses} probes, which this machine cannot attach: {r.detail}. "
        "The exercises need only tracepoint:syscalls:* (see bpfhol doctor); use "
        "tracepoint:syscalls:sys_enter_<name> / sys_exit_<name>"
    )


def _failure(run: Run, result: RunResult, source: str, run_dir: str | None) -> CannotJudge:
    err = _clean_stderr(result.stderr, run_dir, run.path)
    probes = probes_of(run.kind, source)
    kernel = probes.kernel_probes
    if kernel or re.search(r"kprobe_events|kfunc/kretfunc not available|attach_kprobe|cannot attach kprobe", err, re.I):
        return CannotJudge(_kernel_probe_message(kernel or {"kprobe"}) + (f"\n{err}" if err else ""))
    what = "bpftrace" if run.kind == "bpftrace" else "Python (BCC)"
    status = result.returncode
    return CannotJudge(
        f"your program did not run ({what} exited with status {status}"
        f"{' at once' if result.elapsed < 1 + run.seconds else ''}):\n{err or '(no message)'}"
    )


class _Reference:
    """The reference bpftrace program, attached before the learner's program starts.

    It is started here rather than by run_program because the learner's program must wait for
    it to be attached (bpftrace's attach notification), so that it sees the whole of the
    learner's window. It prints its counts as it goes (reference.PRINT_MS) and is killed with
    its process group when the learner's program has ended. The program goes on the command
    line: no file to remove.
    """

    def __init__(self, source: str) -> None:
        env = dict(os.environ, **{bpftrace.NOTIFY_ENV: "1"})
        self.child = Child([*bpftrace_command(), "-e", source], env=env, markers=(bpftrace.NOTIFY_LINE,))
        self.started = time.monotonic()

    def wait_attached(self, timeout: float) -> bool:
        seen = (self.child.out.seen, self.child.err.seen)
        return self.child.wait_for(lambda: any(bpftrace.NOTIFY_LINE in s for s in seen), timeout) and (
            self.child.returncode is None
        )

    def stop(self) -> Reference | None:
        """Kill it; what it counted, if it ran."""
        self.child.kill()
        text = self.child.out.text()
        if not text.strip():
            return None
        return Reference.from_output(text, time.monotonic() - self.started)


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def _lab_for_check(name: str, seed: int | None, notes: list[str]) -> workload.LabInfo:
    current = workload.running(name)
    if current is not None:
        if seed is not None and seed != current.seed:
            raise UsageError(
                f"a lab is running with seed {current.seed}; stop it (sudo bpfhol stop) to check against seed {seed}"
            )
        notes.append(f"judged against the running lab (seed {current.seed})")
        if current.seed == 0:
            notes.append(
                "that lab runs the classic scenario (seed 0), the one the pages show: an output copied "
                "from a page would pass too; stop it (sudo bpfhol stop) and the check starts a lab with "
                "a fresh random seed"
            )
        return current
    chosen = workload.fresh_seed(name) if seed is None else seed
    lab = workload.start(name, chosen)
    notes.append(f"started the lab for this check with seed {chosen}; it stops when the check ends")
    return lab


def check(exercise: str, file: str, seconds: float = DEFAULT_SECONDS, seed: int | None = None) -> tuple[Verdict, Run]:
    """Run and judge; raises UsageError (bad input) or CannotJudge (the program did not give an answer)."""
    ex, path, kind, source = _resolve(exercise, file, seconds)
    require_root("bpfhol check")
    if seed is not None:
        LABS[ex.lab].check_seed(seed)
    run = Run(ex, path, kind, seconds)
    if not probes_of(kind, source).text.strip() or not source.strip():
        v = Verdict(ex.id)
        v.add("program", False, f"{file} is empty: write a program that traces what the exercise asks")
        return v, run
    unignore_sigint()
    old = {s: signal.signal(s, _raise_stopped) for s in (signal.SIGTERM, signal.SIGHUP)}
    companion = Companion() if ex.reference == "mmap" else None
    ref: _Reference | None = None
    run_dir: list[str] = []
    try:
        run.lab = _lab_for_check(ex.lab, seed, run.notes)
        key = run.lab.key
        if companion is not None:
            companion.start()
        if ex.reference:  # answers about the whole machine: what it did in the same window
            ref = _Reference(program(ex.reference, key))
            if not ref.wait_attached(compile_allowance()):
                run.notes.append("the reference trace could not start: judged against the answer key alone")
        result = _run_learners(run, source, run_dir)
        if ref is not None:
            run.reference = ref.stop()
            if run.reference is None:
                run.notes.append("the reference trace gave nothing: judged against the answer key alone")
        _judgeable(run, result, source, run_dir)
        verdict = grade(ex.id, result.stdout, key, run.reference, source=source, kind=kind, pids=run.lab.pids)
        verdict.notes[:0] = run.notes
        return verdict, run
    finally:
        # A second Ctrl-C must not cut the clean-up short: it would leave a lab or a tracer running.
        stops = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            if ref is not None:
                ref.stop()
            if companion is not None:
                companion.stop()
            if run.lab is not None and run.lab.started_here:
                workload.stop(run.lab)
            for s, h in old.items():
                signal.signal(s, h)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        run.elapsed = time.monotonic() - run.started


def _run_learners(run: Run, source: str, run_dir: list[str]) -> RunResult:
    """The learner's program, as the docs suite runs the course's own: for `run.seconds` of tracing."""
    ex, lab = run.exercise, run.lab
    assert lab is not None  # started before the program runs
    argv = []
    if ex.subject is not None:  # the page's programs take the process's pid as $1
        argv = [str(lab.pids[ex.subject])]
        run.notes.append(f"ran with {ex.subject}'s pid, {argv[0]}, as its argument ($1, sys.argv[1])")
    run.result = run_program(
        run.kind,
        source,
        run=run.seconds,
        timeout=run.seconds + compile_allowance(),
        cwd=run.path.resolve().parent,
        on_start=lambda pid, tmp: run_dir.append(tmp),
        argv=argv,
        as_file=run.path,  # a BCC program runs from the learner's file: tracebacks name it
    )
    return run.result


def _judgeable(run: Run, result: RunResult, source: str, run_dir: list[str]) -> None:
    """Raise CannotJudge unless the program traced and printed something to judge; note how it ended."""
    if result.flooded:  # its output was cut short: nothing to judge
        raise CannotJudge(
            f"your program was {result.how} in {result.elapsed:.1f} s: print what it found "
            "once, at the end (bpftrace prints its maps at exit)"
        )
    ok_run = result.interrupted or result.timed_out or (result.returncode == 0 and _meaningful(result.stdout))
    if not ok_run:
        if result.returncode not in (0, None):
            raise _failure(run, result, source, run_dir[0] if run_dir else None)
        raise CannotJudge(
            f"your program ended by itself after {result.elapsed:.1f} s without printing "
            "anything: it must trace until Ctrl-C (or an exit() after a while) and print "
            "what it found"
        )
    if not _meaningful(result.stdout):
        err = _clean_stderr(result.stderr, run_dir[0] if run_dir else None, run.path)
        raise CannotJudge(
            f"your program printed nothing in {run.seconds:g} s of tracing and Ctrl-C: print "
            "your maps or results (bpftrace prints its maps at exit)" + (f"\nits errors:\n{err}" if err else "")
        )
    if result.timed_out:
        run.notes.append("your program did not end after Ctrl-C and was killed: judged on what it printed")
    elif not result.interrupted:
        run.notes.append(f"your program ended by itself after {result.elapsed:.1f} s")


def _report(verdict: Verdict, run: Run) -> str:
    mark = {True: "right", False: "wrong", None: "note "}
    lines = wrap("", f"bpfhol check {run.exercise.id} {run.path}: {run.exercise.question}", 2)
    for f in verdict.findings:
        lines += wrap(f"  {mark[f.ok]}  ", f"{f.criterion}: {f.message}", 9)
    for n in verdict.notes:
        lines += wrap("  note   ", n, 9)
    word = {RIGHT: "RIGHT", WRONG: "WRONG"}.get(verdict.status, "NOT JUDGED")
    lines.append(f"{word}: {run.exercise.id} ({run.exercise.page}, {run.exercise.section})")
    return "\n".join(lines)


def main(
    exercise: str | None,
    file: str | None,
    seconds: float = DEFAULT_SECONDS,
    seed: int | None = None,
    as_json: bool = False,
    list_only: bool = False,
) -> int:
    if list_only:
        if as_json:
            print(
                json.dumps(
                    [
                        {"id": e.id, "question": e.question, "page": e.page, "section": e.section}
                        for e in EXERCISES.values()
                    ],
                    indent=2,
                )
            )
        else:
            print(list_exercises())
        return 0
    if not exercise or not file:
        raise UsageError(f"usage: bpfhol check EXERCISE FILE (exercises: {known()}; bpfhol check --list)")
    try:
        verdict, run = check(exercise, file, seconds, seed)
    except CannotJudge as e:
        if as_json:
            print(json.dumps({"exercise": exercise, "file": file, "verdict": "error", "error": str(e)}, indent=2))
        else:
            print(f"bpfhol check: {e}", file=sys.stderr)
        return 2
    except _Stopped:
        print("bpfhol check: stopped", file=sys.stderr)
        return 143
    if as_json:
        out: dict[str, Any] = verdict.as_json()
        out.update(
            {
                "file": file,
                "seconds": seconds,
                "elapsed": round(run.elapsed, 2),
                "seed": run.lab.seed if run.lab else None,
            }
        )
        print(json.dumps(out, indent=2))
    else:
        print(_report(verdict, run))
    return EXIT.get(verdict.status, 2)
