"""Exercises: raw syscalls. Which system call one process makes most often, found by number and named
(raw-1); which of its calls fails, and with which error (raw-2).

The process repeats one call, which the seed chooses, far more often than any other it makes.
An answer counts its calls by system call (raw_syscalls' args->id, or the calls' names) and
its largest count must be that call, given by name or by this machine's number for it.
It also makes one seed-chosen call that always fails with one error: an answer shows that call
(name or number) beside its error (number, negated or not, name or message).
Wrong answers are told which method is missing, never a call, its number, its rate or the error.
"""

from __future__ import annotations

import re

from bpfhol.grading.evidence import Evidence, ids, labels
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import traces_anything
from bpfhol.grading.records import Record, number
from bpfhol.grading.verdict import Verdict

RAW = Family("raw", page="syscalls/raw-syscalls.md")

# How a name can be printed: bare (uname), as the per-syscall probe (sys_enter_uname), or as the
# kernel's entry function that ksym() names from sys_call_table (__x64_sys_uname); uname's
# entry function is sys_newuname (kernel/sys.c), the name `ksym()` prints for it.
_ALIASES = {"uname": ("uname", "newuname")}
_COUNT_WORDS = {"times", "calls", "count"}  # "500 times": English, not the times(2) call


def _names(call: str) -> re.Pattern[str]:
    alts = "|".join(re.escape(a) for a in _ALIASES.get(call, (call,)))
    return re.compile(rf"^(?:.*\bsys_(?:enter_|exit_)?|__\w+?_sys_|sys_)?(?:{alts})(?:\+\w+)?$")


def _words(r: Record) -> list[str]:
    """The record's label words, without a count word right after a number ("500 times")."""
    words = labels(r)
    if r.source != "line":
        return words
    cells = [c.strip(",;:()[]") for c in r.cells]
    out = []
    for i, c in enumerate(cells):
        if c not in words:
            continue
        if c.lower() in _COUNT_WORDS and i > 0 and number(cells[i - 1]) is not None:
            continue
        out.append(c)
    return out


def _numbers(r: Record, pids: set[str]) -> set[int]:
    """The record's numbers that can be a system call's: not its count, not a pid of the process."""
    count = r.count()
    found: set[int] = set()
    for w in ids(r):
        v = number(w)
        if v is None or v != int(v) or w in pids:
            continue
        if r.value is None and count is not None and v == count:  # a table's or line's count
            continue
        found.add(int(v))
    return found


def _identifies(r: Record, comm: str, pids: set[str]) -> bool:
    """Does the record say which call it counts (a number, or a word other than the process's name)?"""
    return bool(_numbers(r, pids)) or any(w != comm and not w.startswith("@") for w in _words(r))


@RAW.exercise(
    id="raw-1",
    section="Exercise: what does harbord keep asking?",
    question="Which system call does harbord make most often? Count its calls by number, then name it.",
)
def top_call(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    key = ev.key["raw"]
    comm, call, nr = key["comm"], key["syscall"], key["nr"]
    pids = ev.pids_of(comm)
    records = [r for r in ev.records_of(comm) if r.count() is not None]
    if not records:
        v.add(
            "process",
            False,
            f'your output shows no count for {comm}: keep its calls alone (/comm == "{comm}"/) and '
            "count them at tracepoint:raw_syscalls:sys_enter, keyed by the call's number, args->id",
        )
        return
    counted = [r for r in records if _identifies(r, comm, pids)]
    if not counted:
        v.add(
            "call",
            False,
            f"your output counts {comm}'s calls but does not say which call each is: key the count "
            "by the call's number, @[args->id] = count(), at tracepoint:raw_syscalls:sys_enter",
        )
        return
    top = max(counted, key=lambda r: r.count() or 0)
    pattern = _names(call)
    if any(pattern.match(w) for w in _words(top)):
        told = f" (number {nr} on {ev.key['arch']})" if nr is not None else ""
        v.add("call", True, f"{comm} makes {call}(2){told} most often: your output's largest count names it")
    elif nr is not None and nr in _numbers(top, pids):
        v.add(
            "call",
            True,
            f"{comm} makes system call {nr} most often: your output's largest count; on {ev.key['arch']} "
            f"that number is {call}(2)",
        )
    elif ev.probes is not None and not (ev.probes.raw_syscalls or ev.probes.wildcard):
        v.add(
            "call",
            False,
            f"your program sees only the calls its probes name, so its largest count need not be "
            f"{comm}'s most frequent call: count every call it makes at tracepoint:raw_syscalls:sys_enter, "
            "keyed by args->id",
        )
    else:
        v.add(
            "call",
            False,
            f"the call your output counts most is not the one {comm} makes most often: count all of its "
            "calls in one map keyed by the call's number (args->id at raw_syscalls:sys_enter), over the "
            "same window, and read the largest",
        )


def _shown(r: Record, pids: set[str]) -> set[int]:
    """The record's whole numbers but pids and a table's count column: a free line's last number is
    no count here ("call 62 failed"), and a map's value is never among its words."""
    if r.source == "table" and r.header and len(r.header) == len(r.cells):
        words = [c for c, h in zip(r.cells, r.header) if not _is_count_header(h)]
    else:
        words = r.words()
    found = set()
    for w in words:
        v = number(w.strip(",;:()[]"))
        if v is not None and v == int(v) and w.strip(",;:()[]") not in pids:
            found.add(int(v))
    return found


def _is_count_header(name: str) -> bool:
    return name.lower() in ("count", "calls", "n", "#", "times", "total", "failures", "errors")


def _errors(r: Record, key: dict[str, object], pids: set[str]) -> bool:
    """Does the record show the failing call's error: its number (as -errno or errno, beside the
    call's), its name (ESRCH) or its message (No such process)?"""
    err = int(str(key["fail_errno"]))
    if err in _shown(r, pids) or -err in _shown(r, pids):
        return True
    text = " ".join(r.words()).lower()
    return str(key["fail_error"]).lower() in re.split(r"[^\w]+", text) or str(key["fail_message"]).lower() in text


def _is_error(r: Record, pids: set[str]) -> bool:
    """Does the record show something that reads as an error: a value from -4095 to -1, or a name
    such as E..."""
    return any(-4095 <= n <= -1 for n in _shown(r, pids)) or any(re.fullmatch(r"E[A-Z0-9]{2,}", w) for w in _words(r))


@RAW.exercise(
    id="raw-2",
    section="Going further: which call fails?",
    question="One of harbord's calls fails, every time it makes it: which call, and with which error?",
)
def failing_call(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    key = ev.key["raw"]
    comm, call = key["comm"], key["fail_syscall"]
    pids = ev.pids_of(comm)
    records = ev.records_of(comm)
    if not records:
        v.add(
            "process",
            False,
            f'your output shows nothing about {comm}: keep its calls alone (/comm == "{comm}"/) and '
            "look at how each ends, at tracepoint:raw_syscalls:sys_exit, where args->id says which "
            "call it is and args->ret what it returned",
        )
        return
    pattern = _names(call)
    nr = key["fail_nr"]
    named = [r for r in records if any(map(pattern.match, _words(r))) or (nr is not None and nr in _shown(r, pids))]
    if any(_errors(r, key, pids) for r in named):
        told = f" (number {key['fail_nr']})" if key["fail_nr"] is not None else ""
        v.add(
            "call",
            True,
            f"{comm}'s {call}(2){told} fails with {key['fail_error']} ({key['fail_message']}), "
            f"ret -{key['fail_errno']}",
        )
        return
    _what_is_missing(ev, v, comm, named, records, pids)


def _what_is_missing(
    ev: Evidence, v: Verdict, comm: str, named: list[Record], records: list[Record], pids: set[str]
) -> None:
    """The feedback of an answer that shows no failing call with its error: what its method lacks."""
    if ev.probes is not None and not (ev.probes.raw_syscalls or ev.probes.wildcard):
        v.add(
            "call",
            False,
            f"your program sees only the calls its probes name, so it need not see {comm}'s failing "
            "call: take the result of every call it makes at tracepoint:raw_syscalls:sys_exit",
        )
    elif ev.probes is not None and ev.probes.raw_syscalls and "sys_exit" not in ev.source:
        v.add(
            "error",
            False,
            f"your output shows which calls {comm} makes but not how they end: the result is "
            "args->ret at tracepoint:raw_syscalls:sys_exit (the entry has none), a negative error "
            "number when the call fails",
        )
    elif named:
        v.add(
            "error",
            False,
            f"your output shows {comm}'s calls but not the error the failing one ends with: count "
            "them by the error number too, -args->ret, or print strerror(-args->ret) beside the call",
        )
    elif any(_is_error(r, pids) for r in records):
        v.add(
            "call",
            False,
            f"your output shows {comm}'s errors but not which call each comes from: key them by the "
            "call's number too, args->id at tracepoint:raw_syscalls:sys_exit",
        )
    else:
        v.add(
            "error",
            False,
            f"your output does not show which of {comm}'s calls fail, nor how: keep the calls whose "
            "args->ret is an error, from -4095 to -1, and count them by args->id and the error "
            "number, -args->ret",
        )
