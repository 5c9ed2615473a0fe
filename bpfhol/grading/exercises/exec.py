"""Exercises: exec. Which program a lab process starts again and again, with which arguments, and
which process starts it (exec-1); with which exit status that program ends (exec-2).

Both judged against the answer key alone (one process's children, not the whole machine). For
exec-1 a right output shows, on one line or map entry, the program's path, its arguments in
order, and the parent by name or pid; for exec-2, the program (or its parent) beside the status
its exit_group(2) passes. Wrong answers are told what is missing and where the kernel keeps it,
never the program, an argument, the parent or the status.
"""

from __future__ import annotations

from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import traces_anything
from bpfhol.grading.records import Record, number
from bpfhol.grading.verdict import Verdict

EXEC = Family("exec", page="syscalls/exercises-exec.md")

_ENTRY = "sys_enter_execve"


def _tokens(r: Record) -> list[str]:
    """The record's words, each key part and cell split on white space (a joined argv is one key
    part when a program prints it into a map), without the quotes and commas around them; a
    `name=value` word also gives its value (`path=/usr/bin/x`)."""
    words = [w.strip("\"',;()") for part in r.words() for w in part.split()]
    return [t for w in words if w for t in (w, *(w.split("=")[1:] if "=" in w else ())) if t]


def _in_order(needles: list[str], words: list[str]) -> bool:
    """Do `needles` appear in `words`, in this order (other words between them allowed)?"""
    it = iter(words)
    return all(any(w == n for w in it) for n in needles)


def _entry_hint(ev: Evidence) -> str:
    if ev.sees("execve") is False:
        return f" (your program has no probe on {_ENTRY})"
    return ""


@EXEC.exercise(
    id="exec-1",
    section="Who starts what?",
    question="A process of the lab starts another program again and again: which program, with which "
    "arguments, and which process starts it?",
)
def who_starts_what(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    x = ev.key["exec"]
    started = [(r, _tokens(r)) for r in ev.out.records]
    started = [(r, words) for r, words in started if x["program"] in words]
    if not started:
        named = any(r.mentions(x["program_comm"]) for r in ev.out.records)
        v.add(
            "program",
            False,
            (
                "your output names processes by their new name only, which is the program's file "
                "name without its directory: show the path the program was started from, "
                f"args->filename at {_ENTRY}"
                if named
                else "your output shows no program being started: a program starts with execve(2), "
                f"and its path is the call's first argument, args->filename at {_ENTRY}"
            )
            + _entry_hint(ev),
        )
        return
    v.add("program", True, f"the program: {x['program']}")
    with_args = [(r, words) for r, words in started if _in_order(x["args"], words)]
    if with_args:
        v.add("arguments", True, f"its arguments: {' '.join(x['args'])}")
    else:
        v.add(
            "arguments",
            False,
            "your output shows the program but not all its arguments, in order: they are execve(2)'s "
            "second argument, argv, an array of strings that ends with NULL; join(args->argv) prints "
            "them all (in BCC, read args->argv[i] one at a time until NULL)",
        )
    pid = ev.our_pid(x["comm"])
    parents = {x["comm"], *([pid] if pid else [])}
    if any(parents & set(words) for _r, words in (with_args or started)):
        v.add("parent", True, f"started by {x['comm']}")
    else:
        v.add(
            "parent",
            False,
            "your output does not say which process starts the program: at the entry of execve(2) "
            "the new process still carries the name (comm) it was copied with from its parent, and "
            "curtask->real_parent->tgid is the parent's pid; show one of them beside the program",
        )


_END = "sys_enter_exit_group"


def _statuses(r: Record) -> set[int]:
    """The whole numbers a record shows beside its names, but a table's count column: a status,
    a pid, a number of starts, as printed (a map's value is its count, never among them)."""
    cells = list(r.keys) or [
        c for i, c in enumerate(r.cells) if not (len(r.header) == len(r.cells) and _is_count(r.header[i]))
    ]
    found = set()
    for w in cells:
        for t in w.split():
            v = number(t.strip("\"',;:()[]").split("=")[-1])
            if v is not None and v == int(v):
                found.add(int(v))
    return found


def _is_count(column: str) -> bool:
    return column.lower() in ("count", "n", "#", "starts", "exits", "times", "total")


def _about_program(r: Record, x: dict[str, object]) -> bool:
    """Does the record name the started program (its new name or its path) or the process that
    starts it (whose name the child carries until its execve(2) succeeds)?"""
    return any(r.mentions(str(name)) for name in (x["program_comm"], x["program"], x["comm"]))


@EXEC.exercise(
    id="exec-2",
    section="Going further: how does it end?",
    question="The program a lab process starts again and again: with which exit status does it end?",
)
def exit_status(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    x = ev.key["exec"]
    ends = ev.sees("exit_group")
    if ends is False:
        v.add(
            "status",
            False,
            "your program does not see a process end: a program ends with exit_group(2), which "
            "glibc's exit() and _exit() call, and its one argument is the exit status, "
            f"args->error_code at {_END}; the call never returns, so its exit probe never fires",
        )
        return
    about = [r for r in ev.out.records if _about_program(r, x)]
    if not about and ev.filters_on(str(x["program_comm"])):
        about = list(ev.out.records)
    if not about:
        v.add(
            "program",
            False,
            "your output does not say which process ends with which status: key what you count by the "
            f"process's name, comm, at {_END}; by then the started program carries its own name, not "
            "its parent's",
        )
        return
    if any(x["status"] in _statuses(r) for r in about):
        v.add("status", True, f"{x['program_comm']} ends with status {x['status']}")
    else:
        v.add(
            "status",
            False,
            "your output names the started program but not the status it ends with: that is "
            f"exit_group(2)'s argument, args->error_code at {_END}, not a return value (the "
            "execve(2) that started it returned long before)",
        )
