"""Exercises: open. Which files, through which system call, by which process; the temporary files.

Wrong answers are told what their output or program lacks, in the probes' names
(sys_enter_open, sys_enter_openat) and the pages' hints, never which files, processes,
system calls or flag values the key holds.
"""

from __future__ import annotations

import re

from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import traces_anything
from bpfhol.grading.records import Record, number
from bpfhol.grading.verdict import Verdict

OPEN = Family("open", page="syscalls/exercises-open.md", reference=True)

_OPENAT = re.compile(r"openat", re.I)
_OPEN = re.compile(r"(?<![a-z])open(?!at|er)(?![a-z])|sys_enter_open\b|\bopen\(2\)", re.I)
_MKSTEMP_NAME = re.compile(r"^tmp[A-Za-z0-9]{6}$")


def _syscall_of(r: Record, skip: set[str]) -> str | None:
    """Which open call a record says it saw: from its map name, keys or cells."""
    parts = [r.name] + [w for w in r.words() if w.strip(",;:()[]") not in skip]
    text = " ".join(parts)
    at = bool(_OPENAT.search(text))
    plain = bool(_OPEN.search(_OPENAT.sub("", text)))
    if at and not plain:
        return "openat"
    if plain and not at:
        return "open"
    return None


def _opener_files(ev: Evidence) -> list[str]:
    """The files the lab's opener opens: the key's (another lab's opener may open others)."""
    return list(ev.key["open"]["opener"]["files"])


def _nudges(ev: Evidence) -> tuple[str, str]:
    """Why files are missing, from the probes: (no entry probe on openat, none on open)."""
    no_at = no_open = ""
    if ev.sees("openat") is False:
        no_at = (
            "your program sees only sys_enter_open; most programs reach their files through the "
            "other call, sys_enter_openat (the C library's wrapper makes it) — see Probe naming"
        )
    if ev.sees("open") is False:
        no_open = (
            "your program sees only sys_enter_openat; a program may make the older system call "
            "itself, sys_enter_open — see Two system calls, not one"
        )
    return no_at, no_open


class _Files:
    """The key's files and processes, and the output's rows about each file."""

    def __init__(self, ev: Evidence) -> None:
        o = ev.key["open"]
        self.ev = ev
        self.files = _opener_files(ev)
        self.legacy, self.old_sys = o["oldopen"]["file"], o["oldopen"]["syscall"]
        self.opener, self.oldopen = o["opener"]["comm"], o["oldopen"]["comm"]
        self.skip = set(self.files) | {self.legacy, self.opener, self.oldopen, o["tempfiles"]["comm"]}
        self.skip.add(ev.key["close"]["comm"])

    def rows(self, name: str) -> list[Record]:
        return [r for r in self.ev.out.records if r.mentions(name, as_path=True)]

    def calls(self, name: str) -> set[str]:
        return {c for r in self.rows(name) if (c := _syscall_of(r, self.skip)) is not None}


def _judge_present(f: _Files, v: Verdict) -> list[str]:
    """Are all the files there? Returns the opener's files that are missing."""
    no_at, no_open = _nudges(f.ev)
    missing = [name for name in f.files if not f.rows(name)]
    if missing:
        v.add(
            "files",
            False,
            "files the workload opens are missing from your output: print every file name the "
            "probes see, str(args->filename), for the whole window" + (f" — {no_at}" if no_at else ""),
        )
    else:
        v.add("files", True, f"{f.opener}'s files are all there: {', '.join(f.files)}")
    if not f.rows(f.legacy):
        v.add(
            "open(2)",
            False,
            no_open or "a file reached through sys_enter_open is missing from your output: print what that probe sees",
        )
    else:
        v.add("open(2)", True, f"{f.legacy} is there (opened by {f.oldopen} with {f.old_sys}(2))")
    return missing


_MISFILED = (
    "your output puts files under the wrong system call: print what each probe sees in a map "
    "of its own, or key one map by the probe builtin"
)


def _judge_syscalls(f: _Files, v: Verdict, missing: list[str], by_process: bool) -> None:
    """Through which call: each file's rows must say it, and say it right."""
    if not missing:
        wrong = [name for name in f.files if "open" in f.calls(name) and "openat" not in f.calls(name)]
        silent = [name for name in f.files if not f.calls(name)]
        if silent and not by_process:
            v.add(
                "syscall",
                False,
                "your output says which files are opened but not through which system call: give "
                "each probe a map of its own, named after it, or key the map by the probe builtin",
            )
        elif wrong and not silent:
            v.add("syscall", False, _MISFILED)
        elif not silent:
            v.add("syscall", True, f"{f.opener}'s files are shown as opened with openat(2)")
    calls = f.calls(f.legacy)
    if calls and f.old_sys not in calls:
        # (A lab starting in the window writes the file with openat(2) before oldopen reads it.)
        v.add("open(2)", False, _nudges(f.ev)[1] or _MISFILED)


def _judge_processes(f: _Files, v: Verdict, missing: list[str]) -> None:
    """Which process opens which file: each file's rows name the process that opens it."""
    owners = [*((name, f.opener) for name in f.files if name not in missing), (f.legacy, f.oldopen)]
    misattributed = any(f.rows(name) and not any(r.mentions(comm) for r in f.rows(name)) for name, comm in owners)
    if not any(r.mentions(c) for r in f.ev.out.records for c in (f.opener, f.oldopen)):
        v.add(
            "process",
            False,
            "your output shows the files but not which process opens them: add comm to the map "
            "key, @files[comm, str(args->filename)]",
        )
    elif misattributed:
        v.add(
            "process",
            False,
            "your output does not tie every file to the process that opens it: key each file by "
            "comm at the probe that sees the call, in the same map",
        )
    else:
        v.add("process", True, f"{f.opener} opens its {len(f.files)} files, {f.oldopen} opens {f.legacy}")


def _judge_files(ev: Evidence, v: Verdict, by_process: bool) -> None:
    if not traces_anything(ev.probes, v):
        return
    f = _Files(ev)
    missing = _judge_present(f, v)
    _judge_syscalls(f, v, missing, by_process)
    if by_process:
        _judge_processes(f, v, missing)


@OPEN.exercise(
    id="open-1",
    section="1. Which files are opened?",
    question="Show which files are opened, and through which of the two system calls.",
)
def files(ev: Evidence, v: Verdict) -> None:
    _judge_files(ev, v, by_process=False)


@OPEN.exercise(
    id="open-2",
    section="2. Which process opens which file?",
    question="Show which process opens which file.",
)
def by_process(ev: Evidence, v: Verdict) -> None:
    _judge_files(ev, v, by_process=True)


# --- 3. Only the temporary files -----------------------------------------------------------------


def _hex_flags(r: Record) -> list[int]:
    found = []
    for w in r.words():
        if w.strip().lower().startswith("0x"):
            n = number(w)
            if n is not None:
                found.append(int(n))
    return found


def _judge_mkstemp(ev: Evidence, v: Verdict) -> None:
    t = ev.key["open"]["tempfiles"]
    mkstemp = [w.strip(",;:()[]") for r in ev.out.records for w in r.words() if _MKSTEMP_NAME.match(w.strip(",;:()[]"))]
    if ev.ref is not None:
        made = {name for _s, comm, _p, _f, name, _n in ev.ref.opens() if comm == t["comm"]}
        mkstemp = [w for w in mkstemp if w in made] or mkstemp
    if mkstemp:
        v.add("mkstemp", True, f"the mkstemp(3) opens are there (O_RDWR|O_CREAT|O_EXCL, e.g. {mkstemp[0]})")
    else:
        v.add(
            "mkstemp",
            False,
            "no mkstemp(3) opens in your output: mkstemp creates a new file and fails if the name "
            "exists already; test that all the flags that say so are set — see Hint 2",
        )


def _judge_o_tmpfile(ev: Evidence, v: Verdict) -> None:
    t = ev.key["open"]["tempfiles"]
    o_tmpfile = int(t["o_tmpfile"], 16)
    names_tempfiles = any(r.mentions(t["comm"]) for r in ev.out.records)

    def is_tmpfile_row(r: Record) -> bool:
        if re.search(r"tmpfile", r.text(), re.I) or any(n & o_tmpfile == o_tmpfile for n in _hex_flags(r)):
            return True
        # The path alone ('.') says little: any process may open its working directory. When the
        # output names processes, it must be tempfiles's.
        return any(w.strip(",;:()[]") == t["o_tmpfile_path"] for w in r.words()) and (
            r.mentions(t["comm"]) or not names_tempfiles
        )

    if any(is_tmpfile_row(r) for r in ev.out.records):
        v.add(
            "O_TMPFILE",
            True,
            f"the O_TMPFILE opens are there (of '{t['o_tmpfile_path']}', flags {t['o_tmpfile_flags']})",
        )
    else:
        v.add(
            "O_TMPFILE",
            False,
            "no O_TMPFILE opens in your output: O_TMPFILE is more than one bit, so test that all of "
            "its bits are set, (flags & X) == X, with its value on this architecture — see Hint 3",
        )


def _judge_only(ev: Evidence, v: Verdict) -> None:
    o = ev.key["open"]
    o_tmpfile = int(o["tempfiles"]["o_tmpfile"], 16)
    plain = set(_opener_files(ev)) | {o["oldopen"]["file"]}
    workloads = (o["opener"]["comm"], o["oldopen"]["comm"], ev.key["close"]["comm"])
    others = [
        r
        for r in ev.out.records
        if any(r.mentions(c) for c in workloads) or any(r.mentions(f, as_path=True) for f in plain)
    ]
    bad_flags = [n for r in ev.out.records for n in _hex_flags(r) if n & o_tmpfile != o_tmpfile and n & 0xC0 != 0xC0]
    if others:
        v.add(
            "only",
            False,
            "your output shows calls that create no temporary file (they reach files that exist "
            "already, read-only); keep only the calls whose flags have all the bits of O_TMPFILE, "
            "or both O_CREAT and O_EXCL",
        )
    elif bad_flags:
        v.add(
            "only",
            False,
            "your output shows calls whose flags create no temporary file: test that all the "
            "bits are set, (flags & X) == X, not just one of them",
        )
    elif ev.probes is not None and not ev.probes.mentions(r"flags"):
        v.add(
            "only",
            False,
            "your program does not look at the flags argument: a filter on the process name "
            "finds only what you already knew; pick the calls by their flags",
        )
    else:
        v.add("only", True, "nothing but temporary-file opens")


@OPEN.exercise(
    id="open-3",
    section="3. Only the temporary files",
    question="Show only the opens that create temporary files, using the flags argument.",
)
def tempfiles(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    _judge_mkstemp(ev, v)
    _judge_o_tmpfile(ev, v)
    _judge_only(ev, v)


# --- 4. Going further: in which order -----------------------------------------------------------


def _file_of(word: str, files: list[str]) -> str | None:
    """The opener's file a printed word names (as given, or as a path's last part)."""
    base = word.strip().strip("\"',;:()[]").rsplit("/", 1)[-1]
    return base if base in files else None


def _successions(ev: Evidence, files: list[str]) -> dict[str, dict[str, float]]:
    """file -> {file opened right after it: times}, from rows that name two of the files in turn."""
    out: dict[str, dict[str, float]] = {}
    for r in ev.out.records:
        named = [f for f in (_file_of(w, files) for w in r.words()) if f is not None]
        count = r.count()
        if len(named) == 2 and count is not None and count > 0:
            after = out.setdefault(named[0], {})
            after[named[1]] = after.get(named[1], 0) + count
    return out


@OPEN.exercise(
    id="open-4",
    section="4. Going further: in which order?",
    question="In which order does the process that opens several files of its directory open them: "
    "for each of its files, which one does it open next?",
)
def opening_order(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    files = _opener_files(ev)
    after = _successions(ev, files)
    if not after:
        v.add(
            "order",
            False,
            "found no row naming two of that process's files, one opened after the other: remember, "
            "per process, the name it opened last (@last[pid] = str(args->filename)), and count each "
            "open keyed by the previous name and this one",
        )
        return
    nexts = {f: max(a, key=lambda g: a[g]) for f, a in after.items() if a}
    wrong = [f for f, g in nexts.items() if g != files[(files.index(f) + 1) % len(files)]]
    if not wrong and len(nexts) == len(files):
        order = " -> ".join([*files, files[0]])
        v.add("order", True, f"{ev.key['open']['opener']['comm']} opens its files in turn: {order}")
    elif not wrong:
        v.add(
            "order",
            False,
            "your output says what follows only some of that process's files: trace long enough for "
            "every file to be opened several times, and keep every pair",
        )
    else:
        v.add(
            "order",
            False,
            "for some files, the next file your output counts most is not the one the process opens "
            "next: keep the last name per process (pid), not per system, and update it at every open "
            "of that process",
        )
