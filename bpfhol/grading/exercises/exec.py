"""Exercise: exec. Which program a lab process starts again and again, with which arguments, and
which process starts it.

Judged against the answer key alone (one process's children, not the whole machine): a right
output shows, on one line or map entry, the program's path, its arguments in order, and the
parent by name or pid. Wrong answers are told which of the three is missing and where execve(2)
keeps it, never the program, an argument or the parent.
"""

from __future__ import annotations

from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.parse import Record
from bpfhol.grading.probes import traces_anything
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
