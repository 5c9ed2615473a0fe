"""Exercise: close. Every close(2) on an invalid descriptor: the process (pid and name), the descriptor.

Two kinds of bad close happen (a descriptor never opened, one closed twice); the reference
counts which closes failed in the window. Wrong answers are told which evidence their
output lacks and how to get it, never the process, file or descriptor numbers of the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from bpfhol.grading import facts
from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import traces_anything
from bpfhol.grading.records import Record
from bpfhol.grading.verdict import Verdict

CLOSE = Family("close", page="syscalls/exercises-close.md", reference=True)

_KEEP_FAILURES = "keep only the calls that fail, args->ret < 0 at sys_exit_close (EBADF)"


@dataclass
class _Closes:
    """What the output says about the process's closes, and what the reference saw fail."""

    comm: str
    records: list[Record]
    fds: dict[int, float]  # descriptor -> closes the output counts
    never: set[int]  # the key's descriptors the process never opened
    failed: set[int]  # descriptors whose closes failed in the window (the reference's)
    doubles: set[int]  # of those, the ones the process had opened

    @classmethod
    def of(cls, ev: Evidence) -> _Closes:
        c = ev.key["close"]
        records = ev.records_of(c["comm"])
        fds: dict[int, float] = {}
        for _pid, fd, n in facts.pid_fd_rows(records, ev.pids_of(c["comm"])):
            fds[fd] = fds.get(fd, 0) + n
        never = set(c["never_opened_fds"])
        failed = {fd for (_p, cm, fd) in ev.ref.ebadf() if cm == c["comm"]} if ev.ref is not None else set()
        return cls(c["comm"], records, fds, never, failed, {fd for fd in failed if fd not in never})

    def shown_never(self) -> list[int]:
        return sorted(fd for fd in self.fds if fd in self.never)

    def shown_doubles(self) -> list[int]:
        small = {fd for fd in self.fds if fd not in self.never}
        return sorted(small & self.doubles) if self.doubles else sorted(fd for fd in small if fd > 0)


def _exit_hint(ev: Evidence) -> str:
    if ev.sees("close", "exit") is False:
        return " — whether a close failed is known only at its exit probe, sys_exit_close (args->ret < 0)"
    return ""


def _judge_pid(ev: Evidence, v: Verdict, cl: _Closes) -> None:
    pids = ev.pids_of(cl.comm)
    rows = facts.pid_fd_rows(cl.records, pids)
    if pids:
        has_pid = any(p in pids for p, _fd, _n in rows) or any(r.mentions(p) for r in cl.records for p in pids)
    else:  # no lab to ask (the docs suite): a number beside the name and descriptor will do
        has_pid = any(p is not None for p, _fd, _n in rows)
    if has_pid:
        v.add("process", True, f"{cl.comm} is named, with its pid")
    else:
        v.add(
            "process",
            False,
            "your output names the process but not its pid: report the pid too (several processes can share a name)",
        )


def _judge_descriptors(ev: Evidence, v: Verdict, cl: _Closes) -> bool:
    """Both kinds of bad close, by their descriptors. False when the output shows no descriptor."""
    if not cl.fds:
        v.add(
            "descriptor",
            False,
            "your output shows no descriptor: the descriptor is an entry argument (args->fd at "
            "sys_enter_close), so save it per thread (@fd[tid] = args->fd) and report it at the exit, "
            "where args->ret says whether the call failed; two kinds of bad close happen, and your "
            "output shows neither" + _exit_hint(ev),
        )
        return False
    never, doubles = cl.shown_never(), cl.shown_doubles()
    if never:
        v.add("never opened", True, f"closes of descriptors {cl.comm} never opened: {', '.join(map(str, never))}")
    else:
        v.add(
            "never opened",
            False,
            "missing: one kind of bad close, on descriptors the process never opened, which fails "
            "every time; keep every failing close, whatever the descriptor" + _exit_hint(ev),
        )
    if doubles:
        v.add("double close", True, f"the double close: descriptor {doubles[0]}, closed once too often")
    else:
        v.add(
            "double close",
            False,
            "missing: one kind of bad close, on a descriptor the process did open: its first close "
            "succeeds and a second one fails; keep every failing close, whatever the descriptor" + _exit_hint(ev),
        )
    return True


def _too_often(ev: Evidence, cl: _Closes) -> int | None:
    """A double-closed descriptor counted about twice as often as it fails (its good close too)."""
    never, doubles = cl.shown_never(), cl.shown_doubles()
    if not (never and doubles and ev.ref is not None):
        return None
    ref = ev.ref.ebadf()
    ref_double = sum(n for (_p, cm, fd), n in ref.items() if cm == cl.comm and fd in cl.doubles)
    ref_never = sum(n for (_p, cm, fd), n in ref.items() if cm == cl.comm and fd in cl.never)
    mine_double = sum(cl.fds[fd] for fd in doubles)
    mine_never = sum(cl.fds[fd] for fd in never)
    if ref_double and ref_never and mine_never and mine_double >= 4:
        if (mine_double / mine_never) > 1.6 * (ref_double / ref_never):
            return doubles[0]
    return None


def _judge_only_failures(ev: Evidence, v: Verdict, cl: _Closes) -> None:
    if 0 in cl.fds and 0 not in cl.failed:
        v.add(
            "only failures",
            False,
            "your output shows descriptor 0, which no failing close had in the window: your exit "
            "probe ran for a call whose entry it did not see, and a missing map key reads as 0 — "
            "record which threads' entries you saw (@seen[tid])",
        )
        return
    wrong = sorted(fd for fd in cl.fds if cl.failed and fd not in cl.failed and fd != 0)
    if wrong:
        shown = f"your output shows closes that did not fail (descriptor {wrong[0]})"
        v.add("only failures", False, f"{shown}: {_KEEP_FAILURES}")
        return
    fd = _too_often(ev, cl)
    if fd is not None:
        v.add(
            "only failures",
            False,
            f"you count descriptor {fd} about twice as often as it fails: its first close succeeds; {_KEEP_FAILURES}",
        )
        return
    v.add("only failures", True, "only failing closes")


@CLOSE.exercise(
    id="close-1",
    section="Find the bad closes",
    question="Find every close(2) call on an invalid file descriptor: the process (pid and name) and the descriptor.",
)
def bad_closes(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    cl = _Closes.of(ev)
    if not cl.records:
        v.add(
            "process",
            False,
            "no process with failing closes is in your output: keep the closes that fail, "
            "args->ret < 0 at sys_exit_close, keyed by pid and comm" + _exit_hint(ev),
        )
        return
    _judge_pid(ev, v, cl)
    if _judge_descriptors(ev, v, cl):
        _judge_only_failures(ev, v, cl)


# --- Going further: which file ------------------------------------------------------------------


def _fds_beside(r: Record, pids: set[str]) -> set[int]:
    """The descriptors a record shows (its numbers that are not a pid or its count)."""
    return {fd for _pid, fd, _n in facts.pid_fd_rows([r], pids)}


@CLOSE.exercise(
    id="close-2",
    section="Going further: which file?",
    question="For each descriptor the process closes twice, which file had it been opened on?",
)
def closed_file(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    cl = _Closes.of(ev)
    file = ev.key["close"]["file"]
    if not cl.records or not cl.fds:
        v.add(
            "descriptor",
            False,
            "your output shows no failing close with its descriptor: start from the previous "
            "exercise's program, which does" + _exit_hint(ev),
        )
        return
    pids = ev.pids_of(cl.comm)
    named = [r for r in cl.records if r.mentions(file, as_path=True)]
    beside = set().union(*(_fds_beside(r, pids) for r in named)) if named else set()
    doubles = cl.doubles or {fd for fd in cl.fds if fd not in cl.never and fd > 0}
    if beside & doubles:
        fd = min(beside & doubles)
        v.add("file", True, f"descriptor {fd}, closed twice, had been opened on {file}")
    elif named:
        v.add(
            "file",
            False,
            "your output names a file, but not beside the descriptor that is closed twice: file "
            "each name under the descriptor its openat(2) returned, per process",
        )
    else:
        v.add(
            "file",
            False,
            "your output shows no file beside the failing closes: the name is an entry argument of "
            "openat(2) (args->filename) and the descriptor is its return value (args->ret at "
            "sys_exit_openat): save the name per thread, file it under (pid, descriptor) at the "
            "exit, and look it up at the failing close",
        )
    if ev.sees("openat", "exit") is False and not named:
        v.notes.append("a descriptor is known only when openat(2) returns: sys_exit_openat")
    _judge_only_failures(ev, v, cl)
