"""The exercises and their answer criteria: the one place that says what a right answer is.

`grade(exercise_id, output, key, reference)` judges what a program printed. `bpfhol check`
calls it for a learner's program, and the docs suite can call it for the course's own
solutions, so both are held to the same criteria:

    from bpfhol.grading.exercises import grade
    verdict = grade("mmap-1", result.stdout, key)          # key: the scenario's answer key
    assert verdict.right, verdict.messages()

Without a reference (the docs suite), answers are judged against the answer key alone; with
one (`bpfhol check`), against what the system did in the same window too. With the program's
source, wrong answers get a nudge from what it traces.

Criteria judge the answer, not its spelling: map names, printf formats, extra maps, periodic
printing, units (bytes, KiB, pages), percentages or counts they follow from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from bpfhol.grading import facts, io
from bpfhol.grading.parse import Output, Record, number, parse
from bpfhol.grading.probes import Probes, probes_of, require
from bpfhol.grading.reference import COMPANION_COMM, Reference, program
from bpfhol.grading.verdict import Verdict

PCT_TOLERANCE = 2.0  # percentage points, as the pages' examples allow
_NO_FIGURE = "no shared or private figure"


@dataclass
class Evidence:
    out: Output
    key: dict[str, Any]
    ref: Reference | None
    probes: Probes | None
    source: str
    pids: dict[str, int] = field(default_factory=dict)  # the lab's workloads: comm -> pid

    def pids_of(self, comm: str) -> set[str]:
        found = {str(self.pids[comm])} if comm in self.pids else set()
        if self.ref is not None:
            found |= self.ref.pids_of(comm)
            found |= {k[0] for k in self.ref.ebadf() if k[1] == comm}
        return found

    def our_pid(self, comm: str) -> str | None:
        """The pid of the lab's own process of that name, when the lab is known."""
        return str(self.pids[comm]) if comm in self.pids else None

    def filters_on(self, comm: str) -> bool:
        """Does the source single out this process by name (a /comm == "x"/ filter)?"""
        return re.search(r"[\"']" + re.escape(comm) + r"[\"']", self.source) is not None


@dataclass(frozen=True)
class Exercise:
    id: str
    page: str  # the page, relative to docs/
    section: str
    question: str
    family: str  # which reference program runs alongside: mmap, open, close ("" for none)
    judge: Callable[[Evidence, Verdict], None]
    lab: str = "syscalls"  # the lab whose workload the exercise traces
    subject: str | None = None  # the process a program is given the pid of, as its argument ($1)


# --- shared criteria -----------------------------------------------------------------------------


def _probe_criterion(ev: Evidence, v: Verdict, syscall: str, page_hint: str) -> bool:
    return require(ev.probes, v, syscall, page_hint)


def _ids(r: Record) -> list[str]:
    return [w.strip(",;:()[]") for w in r.words() if number(w.strip(",;:()[]")) is not None]


def _labels(r: Record) -> list[str]:
    return [w.strip(",;:()[]") for w in r.words() if number(w.strip(",;:()[]")) is None and w.strip(",;:()[]")]


# --- mmap ----------------------------------------------------------------------------------------


def judge_top_caller(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["mmap"]["comm"]
    _probe_criterion(ev, v, "mmap", "see Probe naming")
    counted: list[tuple[float, Record]] = []
    for r in ev.out.rows():
        c = r.count()
        if c is not None and (r.keys or r.source != "map") and (_labels(r) or _ids(r)):
            counted.append((c, r))
    if not counted:
        v.add(
            "answer",
            False,
            "found no count per process in the output: count the calls in a map keyed by "
            "the process name, @mmaps[comm] = count(), and stop with Ctrl-C to print it",
        )
        return
    count, top = max(counted, key=lambda cr: cr[0])
    shown = " ".join(_labels(top) or _ids(top))
    by_pid = ev.ref.get("@calls") if ev.ref is not None else {}
    if by_pid and any(k[1] in _ids(top) for k in by_pid if len(k) > 1):
        # Counted per process (pid in the key): many short-lived processes of one name (a shell
        # loop running sed) may add up to more than the busiest single process.
        by_comm = {}
        for (c, pid), n in by_pid.items():
            by_comm[f"{c} (pid {pid})"] = n
        most = max(by_comm.values())
        leaders_pid = {k for k, n in by_comm.items() if n >= 0.9 * most}
        leader = max(by_comm, key=lambda k: by_comm[k])
        if any(f"{c} (pid {p})" in leaders_pid for c in _labels(top) for p in _ids(top)):
            v.add(
                "answer",
                True,
                f"{shown} makes the most mmap(2) calls: your count is {count:g} (the reference "
                f"trace of the same window counted {most} for {leader}, the most)",
            )
        else:
            label = next(
                (f"{c} (pid {p})" for c in _labels(top) for p in _ids(top) if f"{c} (pid {p})" in by_comm), shown
            )
            v.add(
                "answer",
                False,
                f"your top line names {shown} ({count:g}), but {leader} made the most mmap(2) "
                f"calls: {most} against {by_comm.get(label, 0)} in the same window",
            )
        return
    if ev.ref is not None and ev.ref.calls_by_comm():
        by_comm = ev.ref.calls_by_comm()
        most = max(by_comm.values())
        leaders = {c for c, n in by_comm.items() if n >= 0.9 * most}
        leader = max(by_comm, key=lambda c: by_comm[c])
    else:
        by_comm, leaders, leader, most = {}, {comm}, comm, 0
    leader_pids = set().union(*(ev.pids_of(c) for c in leaders))
    named = [c for c in _labels(top) if c in leaders] or [p for p in _ids(top) if p in leader_pids]
    if named:
        shown = named[0]
        seen = (
            f" (the reference trace of the same window counted {by_comm[leader]} for {leader}, the most)"
            if by_comm
            else ""
        )
        v.add("answer", True, f"{shown} makes the most mmap(2) calls: your count is {count:g}{seen}")
    else:
        label = next(iter(_labels(top)), shown)
        if by_comm and label not in by_comm and not any(p in ev.pids_of(c) for c in by_comm for p in _ids(top)):
            v.add(
                "answer",
                False,
                f"your top line names {shown}, which made no mmap(2) calls in the window "
                f"({leader} made {most}): are you counting another system call, munmap(2) "
                "perhaps? — see Probe naming",
            )
        elif by_comm:
            v.add(
                "answer",
                False,
                f"your top line names {shown} ({count:g}), but {leader} made the most mmap(2) "
                f"calls: {most} against {by_comm.get(label, 0)} in the same window",
            )
        else:
            v.add("answer", False, f"your top line names {shown}, but {comm} makes the most mmap(2) calls")
        return
    if by_comm:
        real = by_comm.get(leader, 0)
        if real and count > 2.0 * real + 20:
            v.add(
                "count",
                False,
                f"your count for {shown}, {count:g}, is more than twice the {real} mmap(2) calls "
                "it made in the window: are you counting other calls too?",
            )


def _mapit_sizes(ev: Evidence) -> tuple[list[int], list[int]]:
    """(sizes the lab's mapit maps, sizes any process of that name mapped in the window).

    Another lab's mapit may run beside this one, or start and stop during the window: what it
    maps may show in an output keyed by name, but is never required.
    """
    comm = ev.key["mmap"]["comm"]
    ours = list(ev.key["mmap"]["sizes_bytes"])
    if ev.ref is None:
        return ours, ours
    pid = ev.our_pid(comm)
    if pid is not None and ev.ref.sizes(comm, pid):
        ours = sorted(ev.ref.sizes(comm, pid))
    elif pid is None and ev.ref.sizes(comm):
        ours = sorted(ev.ref.sizes(comm))
    return ours, sorted(set(ours) | set(ev.ref.sizes(comm)))


def judge_sizes(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["mmap"]["comm"]
    page = int(ev.key["page_size"])
    if not _probe_criterion(ev, v, "mmap", "see Probe naming"):
        return
    sizes, allowed = _mapit_sizes(ev)
    records = facts.about(ev.out, comm)
    if not records and ev.filters_on(comm):
        records = list(ev.out.records)  # filtered by name: everything printed is the process's
    if not records:
        v.add(
            "sizes",
            False,
            f"{comm}'s sizes are not in the output: key the histogram by process name "
            f"(@bytes[comm] = lhist(args->len, ...)) so {comm}'s calls land in a histogram "
            "of their own",
        )
        return
    groups: list[facts.Intervals] = []
    pow2 = False
    pids = ev.pids_of(comm)
    for r in records:
        if r.source == "hist" and r.buckets:
            g = facts.hist_intervals(r)
            # A histogram of one process (keyed by pid too) shows that process's sizes only.
            pid = next((k for k in r.keys if k in pids), None)
            if pid is not None and ev.ref is not None and ev.ref.sizes(comm, pid):
                g.sizes = sorted(ev.ref.sizes(comm, pid))
            groups.append(g)
            pow2 = pow2 or facts.is_power_of_two_hist(r.buckets)
    by_map: dict[str, list[float]] = {}
    columns: dict[int, list[float]] = {}
    for r in records:
        if r.source == "map":
            nums = [k for k in _ids(r) if k not in pids]
            if len(nums) == 1 and (r.count() or 0) > 0:
                by_map.setdefault(r.name, []).append(float(number(nums[0]) or 0))
        elif r.source in ("table", "line"):
            for i, c in enumerate(r.cells):
                n = number(c)
                if n is not None and c.strip() not in pids:
                    columns.setdefault(i, []).append(n)
    groups += [facts.point_intervals(name, vals) for name, vals in by_map.items()]
    groups += [facts.point_intervals(f"column {i + 1}", vals) for i, vals in columns.items()]
    if not groups:
        v.add("sizes", False, f"found no sizes for {comm}: show args->len in a histogram (lhist) or as a map key")
        return
    results = [(facts.match_sizes(g, g.sizes or sizes, page, None if g.sizes else allowed), g) for g in groups]
    right = [(r, g) for r, g in results if r[0]]
    want = ", ".join(f"{s // 1024} KiB" for s in sizes)
    if right:
        (ok, unit, _), g = right[0]
        v.add("sizes", True, f"{comm} maps {len(sizes)} sizes ({want}): your output shows exactly those, in {unit}")
        return
    (ok, unit, why), g = min(results, key=lambda rg: len(rg[0][2]))
    if pow2:
        v.add(
            "sizes",
            False,
            f"{comm} maps {want}; hist() makes power-of-two buckets that hold several of "
            "these sizes each: lhist(args->len, 0, 65536, 4096) gives each page count its own",
        )
        return
    values = [lo for lo, _ in g.spans if lo is not None]
    for f in (1, 1024, page):
        factor = facts.scale_off([x * f for x in values], sizes)
        if factor is not None and abs(factor - 1) > 0.01:
            v.add(
                "sizes",
                False,
                f"{comm} maps {want}; your sizes are those times {factor:g} whatever the unit: "
                f"args->len is in bytes and a page is {page} bytes",
            )
            return
    v.add("sizes", False, f"{comm} maps {want}; your output ({g.where}) does not match: {why}")


def _shared_pct(types: dict[int, int]) -> float | None:
    total = sum(types.values())
    return 100.0 * (types.get(1, 0) + types.get(3, 0)) / total if total else None


MIN_TICK_CALLS = 50  # a printing of the reference with fewer calls says little about a mix


def _expected_shared(ev: Evidence, comm: str) -> tuple[list[float], tuple[float, float] | None]:
    """The shared percentages a right answer may show for a process name (the expected one first),
    and the range a mix may fall in.

    Expected is what the lab's own process did. When other processes of that name mapped in
    the window (another lab's mapit), an output keyed by name shows their mix; as labs start and
    stop the mix changes, and whatever part of the window a program saw, its figure is an
    average of the reference's printings, so it lies between their lowest and highest.
    """
    ours: float | None = None
    if comm == ev.key["mmap"]["comm"]:
        ours = float(ev.key["mmap"]["shared_percent"])
    mix: float | None = None
    span: tuple[float, float] | None = None
    if ev.ref is not None:
        pid = ev.our_pid(comm)
        mine = _shared_pct(ev.ref.types(comm, pid)) if pid is not None else None
        ours = mine if mine is not None else ours
        mix = _shared_pct(ev.ref.types(comm))
        if len(ev.ref.pids_of(comm, "@type")) > 1:
            mixes = [
                _shared_pct(t)
                for t in (ev.ref.types(comm, tick=i) for i in range(len(ev.ref.ticks)))
                if sum(t.values()) >= MIN_TICK_CALLS
            ]
            found = [x for x in mixes if x is not None] + ([ours] if ours is not None else [])
            if found:
                span = (min(found), max(found))
    targets = [t for t in (ours, mix) if t is not None]
    return [t for i, t in enumerate(targets) if t not in targets[:i]], span


def _judge_shares(
    comm: str, sh: facts.Shares, targets: list[float], span: tuple[float, float] | None = None
) -> tuple[bool, str]:
    """(right, what is wrong) for one process's shared/private figures."""
    expected = targets[0]
    exp_p = 100.0 - expected
    got_s = list(sh.shared_pct)
    got_p = list(sh.private_pct)
    if sh.shared_n is not None and sh.private_n is not None and sh.shared_n + sh.private_n > 0:
        got_s.append(100 * sh.shared_n / (sh.shared_n + sh.private_n))
    elif sh.shared_n is not None and sh.total_n:
        got_s.append(100 * sh.shared_n / sh.total_n)
    elif sh.private_n is not None and sh.total_n:
        got_p.append(100 * sh.private_n / sh.total_n)
    if not got_s and not got_p:
        return False, _NO_FIGURE
    for t in targets:
        if all(abs(x - t) <= PCT_TOLERANCE for x in got_s) and all(abs(x - (100 - t)) <= PCT_TOLERANCE for x in got_p):
            return True, ""
    if span is not None:
        lo, hi = span[0] - PCT_TOLERANCE, span[1] + PCT_TOLERANCE
        if all(lo <= x <= hi for x in got_s) and all(100 - hi <= x <= 100 - lo for x in got_p):
            return True, ""
    inverted = any(
        all(abs(x - (100 - t)) <= PCT_TOLERANCE for x in got_s) and all(abs(x - t) <= PCT_TOLERANCE for x in got_p)
        for t in targets
    )
    shown = ", ".join([f"shared {x:.0f}%" for x in got_s] + [f"private {x:.0f}%" for x in got_p])
    if inverted:
        return (
            False,
            f"inverted: your output says {shown}, but {comm} maps {expected:.0f}% shared and "
            f"{exp_p:.0f}% private (MAP_SHARED is 0x01, MAP_PRIVATE 0x02)",
        )
    return False, f"your output says {shown}; {comm} maps {expected:.0f}% shared and {exp_p:.0f}% private"


def judge_shared_ratio(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["mmap"]["comm"]
    if not _probe_criterion(ev, v, "mmap", "see Probe naming"):
        return
    targets, span = _expected_shared(ev, comm)
    expected = targets[0]
    records = facts.about(ev.out, comm)
    if not records and ev.filters_on(comm):
        records = list(ev.out.records)
    sh = facts.shares(records, comm)
    if not records or sh.empty():
        v.add(
            "ratio",
            False,
            f"found no shared/private figures for {comm}: compute the percentage of its calls "
            "whose flags & MAP_TYPE (0x0f) is MAP_SHARED (0x01) or MAP_SHARED_VALIDATE (0x03), "
            "keyed by comm",
        )
        return
    ok, why = _judge_shares(comm, sh, targets, span)
    if ok and span is not None:  # (a span only when several processes had the name)
        v.notes.append(
            f"other processes named {comm} (another lab's?) mapped in the window too: a figure "
            f"for the name is their mix, between {span[0]:.0f}% and {span[1]:.0f}% shared"
        )
    if ok:
        v.add("ratio", True, f"{comm}: {expected:.0f}% shared, {100 - expected:.0f}% private, as your output says")
    else:
        v.add("ratio", False, why)
    comp = facts.about(ev.out, COMPANION_COMM)
    comp_targets, comp_span = _expected_shared(ev, COMPANION_COMM)
    if comp and comp_targets:
        csh = facts.shares(comp, COMPANION_COMM)
        cok, cwhy = _judge_shares(COMPANION_COMM, csh, comp_targets, comp_span)
        if not csh.empty() and cwhy != _NO_FIGURE:
            if cok:
                v.add(
                    "validate",
                    True,
                    f"{COMPANION_COMM} (run by the check) maps with MAP_SHARED_VALIDATE (0x03): "
                    "your program counts it as shared",
                )
            else:
                v.add(
                    "validate",
                    False,
                    f"{COMPANION_COMM} (run by the check) maps only with MAP_SHARED_VALIDATE "
                    "(0x03), which is shared; your program miscounts it: a one-bit test of "
                    "the flags misreads 0x03 — compare flags & MAP_TYPE (0x0f) with each type",
                )


# --- open ----------------------------------------------------------------------------------------

_OPENAT = re.compile(r"openat", re.I)
_OPEN = re.compile(r"(?<![a-z])open(?!at|er)(?![a-z])|sys_enter_open\b|\bopen\(2\)", re.I)


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


def _open_nudges(ev: Evidence) -> tuple[str, str]:
    """Why files are missing, from the probes: (openat missing, open missing)."""
    p = ev.probes
    no_at = no_open = ""
    if p is not None and p.sees("openat") is False:
        no_at = (
            "your program only sees open(2); most programs open files with openat(2) (glibc's open() "
            "calls it) — see Probe naming"
        )
    if p is not None and p.sees("open") is False:
        no_open = (
            "your program only sees openat(2); oldopen makes the open(2) system call itself — see "
            "Two system calls, not one"
        )
    return no_at, no_open


def _judge_files(ev: Evidence, v: Verdict, by_process: bool) -> None:
    o = ev.key["open"]
    files = _opener_files(ev)
    legacy, old_sys = o["oldopen"]["file"], o["oldopen"]["syscall"]
    opener, oldopen = o["opener"]["comm"], o["oldopen"]["comm"]
    skip = set(files) | {legacy, opener, oldopen, o["tempfiles"]["comm"], ev.key["close"]["comm"]}
    no_at, no_open = _open_nudges(ev)
    if ev.probes is not None and not ev.probes.traces:
        _probe_criterion(ev, v, "openat", "")
        return

    def rows_naming(name: str) -> list[Record]:
        return [r for r in ev.out.records if r.mentions(name, as_path=True)]

    missing = [f for f in files if not rows_naming(f)]
    if missing:
        v.add(
            "files",
            False,
            f"{opener} opens {', '.join(files)}; missing from your output: "
            f"{', '.join(missing)}" + (f" — {no_at}" if no_at else ""),
        )
    else:
        v.add("files", True, f"{opener}'s files are all there: {', '.join(files)}")
    if not rows_naming(legacy):
        v.add("open(2)", False, f"{legacy} is missing: {no_open or f'{oldopen} opens it with {old_sys}(2)'}")
    else:
        v.add("open(2)", True, f"{legacy} is there (opened by {oldopen} with {old_sys}(2))")
    # Through which call: each file's rows must say it, and say it right.
    if not missing:
        wrong = [
            f
            for f in files
            if any(_syscall_of(r, skip) == "open" for r in rows_naming(f))
            and not any(_syscall_of(r, skip) == "openat" for r in rows_naming(f))
        ]
        silent = [f for f in files if all(_syscall_of(r, skip) is None for r in rows_naming(f))]
        if not by_process or not silent:
            if silent:
                v.add(
                    "syscall",
                    False,
                    "your output says which files are opened but not through which system call: "
                    "give each probe a map of its own (@open[...], @openat[...])",
                )
            elif wrong:
                v.add("syscall", False, f"{', '.join(wrong)} came through openat(2), but your output says open(2)")
            else:
                v.add("syscall", True, f"{opener}'s files are shown as opened with openat(2)")
    if rows_naming(legacy):
        calls = {_syscall_of(r, skip) for r in rows_naming(legacy)} - {None}
        if calls and old_sys not in calls:
            # (A lab starting in the window writes the file with openat(2) before oldopen reads it.)
            v.add(
                "open(2)",
                False,
                no_open
                or f"{legacy} came through {old_sys}(2), but your output says "
                f"{', '.join(sorted(c for c in calls if c))}(2)",
            )
    if by_process:

        def attributed(name: str, comm: str) -> tuple[bool, list[str]]:
            rows = rows_naming(name)
            mine = [r for r in rows if r.mentions(comm)]
            others = sorted({w for r in rows for w in _labels(r) if w in {c for c in ev.pids} and w != comm})
            return bool(mine), others

        bad = []
        for name, comm in [*((f, opener) for f in files if f not in missing), (legacy, oldopen)]:
            if not rows_naming(name):
                continue
            ok, others = attributed(name, comm)
            if not ok:
                bad.append(
                    f"{name} is opened by {comm}"
                    + (f", not {', '.join(others)}" if others else ", and your output does not say so")
                )
        shows_any = any(r.mentions(c) for r in ev.out.records for c in (opener, oldopen))
        if not shows_any:
            v.add(
                "process",
                False,
                "your output shows the files but not which process opens them: add comm to "
                "the map key, @openat[comm, str(args->filename)]",
            )
        elif bad:
            v.add("process", False, "; ".join(bad))
        else:
            v.add("process", True, f"{opener} opens its {len(files)} files, {oldopen} opens {legacy}")


def judge_open_files(ev: Evidence, v: Verdict) -> None:
    _judge_files(ev, v, by_process=False)


def judge_open_by_process(ev: Evidence, v: Verdict) -> None:
    _judge_files(ev, v, by_process=True)


_MKSTEMP_NAME = re.compile(r"^tmp[A-Za-z0-9]{6}$")


def judge_tempfiles(ev: Evidence, v: Verdict) -> None:
    o = ev.key["open"]
    t = o["tempfiles"]
    o_tmpfile = int(t["o_tmpfile"], 16)
    if ev.probes is not None and not ev.probes.traces:
        _probe_criterion(ev, v, "openat", "")
        return
    words = [(w.strip(",;:()[]"), r) for r in ev.out.records for w in r.words()]
    mkstemp = [w for w, _ in words if _MKSTEMP_NAME.match(w)]
    if ev.ref is not None:
        made = {name for _s, comm, _p, _f, name, _n in ev.ref.opens() if comm == t["comm"]}
        mkstemp = [w for w in mkstemp if w in made] or mkstemp
    if mkstemp:
        v.add("mkstemp", True, f"the mkstemp(3) opens are there (O_RDWR|O_CREAT|O_EXCL, e.g. {mkstemp[0]})")
    else:
        v.add(
            "mkstemp",
            False,
            f"no mkstemp(3) opens ({t['mkstemp_names']} files, flags O_RDWR|O_CREAT|O_EXCL): "
            "test that both bits are set, (flags & (O_CREAT|O_EXCL)) == (O_CREAT|O_EXCL)",
        )

    names_tempfiles = any(r.mentions(t["comm"]) for r in ev.out.records)

    def is_tmpfile_row(r: Record) -> bool:
        text = r.text()
        if re.search(r"tmpfile", text, re.I):
            return True
        for w in r.words():
            n = number(w) if w.strip().lower().startswith("0x") else None
            if n is not None and int(n) & o_tmpfile == o_tmpfile:
                return True
        # The path alone ('.') says little: any process may open its working directory. When the
        # output names processes, it must be tempfiles's.
        return any(w.strip(",;:()[]") == t["o_tmpfile_path"] for w in r.words()) and (
            r.mentions(t["comm"]) or not names_tempfiles
        )

    def names_other_workloads(r: Record) -> bool:
        return any(r.mentions(c) for c in (o["opener"]["comm"], o["oldopen"]["comm"], ev.key["close"]["comm"]))

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
            f"no O_TMPFILE opens: {t['comm']} opens '{t['o_tmpfile_path']}' with flags "
            f"{t['o_tmpfile_flags']}; test that all of O_TMPFILE's bits are set, "
            f"(flags & {t['o_tmpfile']}) == {t['o_tmpfile']}",
        )
    others = [r for r in ev.out.records if names_other_workloads(r)]
    plain_files = set(_opener_files(ev)) | {o["oldopen"]["file"]}
    others += [r for r in ev.out.records if any(r.mentions(f, as_path=True) for f in plain_files) and r not in others]
    bad_flags = []
    for r in ev.out.records:
        for w in r.words():
            if w.strip().lower().startswith("0x"):
                n = number(w)
                if n is not None and int(n) & o_tmpfile != o_tmpfile and int(n) & 0xC0 != 0xC0:
                    bad_flags.append(w.strip())
    if others:
        v.add(
            "only",
            False,
            f"your output shows opens that create no temporary file ({others[0].line.strip()}): "
            "those open existing files read-only; keep only the opens whose flags have all the "
            "bits of O_TMPFILE, or both O_CREAT and O_EXCL",
        )
    elif bad_flags:
        v.add(
            "only",
            False,
            f"your output shows opens with flags {bad_flags[0]}, which create no temporary file: "
            "test that all the bits are set, (flags & X) == X, not just one of them",
        )
    elif ev.probes is not None and not ev.probes.mentions(r"flags"):
        v.add(
            "only",
            False,
            "your program does not look at the flags argument: a filter on the process name "
            "finds only what you already knew; pick the opens by their flags",
        )
    else:
        v.add("only", True, "nothing but temporary-file opens")


# --- close ---------------------------------------------------------------------------------------


def judge_bad_closes(ev: Evidence, v: Verdict) -> None:
    c = ev.key["close"]
    comm = c["comm"]
    never = set(c["never_opened_fds"])
    if ev.probes is not None and not ev.probes.traces:
        _probe_criterion(ev, v, "close", "")
        return
    records = facts.about(ev.out, comm)
    if not records and ev.filters_on(comm):
        records = list(ev.out.records)
    pids = ev.pids_of(comm)
    hint_exit = ""
    if ev.probes is not None and ev.probes.sees("close", "exit") is False:
        hint_exit = " — whether a close failed is known only at its exit probe, sys_exit_close (args->ret == -9)"
    if not records:
        v.add(
            "process",
            False,
            f"{comm} is not in your output: it closes descriptors that are not open, about "
            f"twenty times a second{hint_exit}",
        )
        return
    rows = facts.pid_fd_rows(records, pids)
    if pids:
        has_pid = any(p in pids for p, _fd, _n in rows) or any(r.mentions(p) for r in records for p in pids)
    else:  # no lab to ask (the docs suite): a number beside the name and descriptor will do
        has_pid = any(p is not None for p, _fd, _n in rows)
    if has_pid:
        v.add("process", True, f"{comm} is named, with its pid")
    else:
        v.add(
            "process",
            False,
            f"your output names {comm} but not its pid: report the pid too (several processes can share a name)",
        )
    fds: dict[int, float] = {}
    for _pid, fd, n in rows:
        fds[fd] = fds.get(fd, 0) + n
    if ev.ref is not None:
        failed = {fd for (_p, cm, fd) in ev.ref.ebadf() if cm == comm}
        doubles = {fd for fd in failed if fd not in never}
    else:
        failed, doubles = set(), set()
    got_never = sorted(fd for fd in fds if fd in never)
    if got_never:
        v.add("never opened", True, f"closes of descriptors {comm} never opened: {', '.join(map(str, got_never))}")
    else:
        v.add(
            "never opened",
            False,
            f"missing: {comm} closes descriptors it never opened "
            f"({min(never)}-{max(never)}), each failing with EBADF{hint_exit}",
        )
    small = {fd for fd in fds if fd not in never}
    if doubles:
        got_double = sorted(small & doubles)
    else:
        got_double = sorted(fd for fd in small if fd > 0)
    if got_double:
        v.add("double close", True, f"the double close: descriptor {got_double[0]}, closed once too often")
    else:
        v.add(
            "double close",
            False,
            f"missing: {comm} closes its {c['file']} descriptor twice, and the second close fails with EBADF",
        )
    if 0 in fds and (not failed or 0 not in failed):
        v.add(
            "only failures",
            False,
            f"your output has {comm} closing descriptor 0, which it never does: your exit "
            "probe ran for a call whose entry it did not see, and a missing map key "
            "reads as 0 — record which threads' entries you saw (@seen[tid])",
        )
        return
    wrong = sorted(fd for fd in fds if failed and fd not in failed and fd != 0)
    if wrong:
        v.add(
            "only failures",
            False,
            f"{comm}'s close of descriptor {wrong[0]} did not fail in the window: keep "
            "only the calls that return -9 (EBADF), at sys_exit_close",
        )
        return
    if got_double and got_never and ev.ref is not None:
        ref = ev.ref.ebadf()
        ref_double = sum(n for (_p, cm, fd), n in ref.items() if cm == comm and fd in doubles)
        ref_never = sum(n for (_p, cm, fd), n in ref.items() if cm == comm and fd in never)
        mine_double = sum(fds[fd] for fd in got_double)
        mine_never = sum(fds[fd] for fd in got_never)
        if ref_double and ref_never and mine_never:
            if (mine_double / mine_never) > 1.6 * (ref_double / ref_never) and mine_double >= 4:
                v.add(
                    "only failures",
                    False,
                    f"you count descriptor {got_double[0]} about twice as often as it "
                    "fails: its first close succeeds; keep only the calls that return "
                    "-9 (EBADF)",
                )
                return
    v.add("only failures", True, "only failing closes")


EXERCISES: dict[str, Exercise] = {
    e.id: e
    for e in (
        Exercise(
            "mmap-1",
            "syscalls/exercises-mmap.md",
            "1. Who maps the most?",
            "Find the process that makes the most mmap(2) calls.",
            "mmap",
            judge_top_caller,
        ),
        Exercise(
            "mmap-2",
            "syscalls/exercises-mmap.md",
            "2. How big are the mappings?",
            "What sizes does that process map? Show them as a histogram.",
            "mmap",
            judge_sizes,
        ),
        Exercise(
            "mmap-3",
            "syscalls/exercises-mmap.md",
            "3. Shared or private?",
            "What percentage of the mappings that process creates are shared, and what percentage private?",
            "mmap",
            judge_shared_ratio,
        ),
        Exercise(
            "open-1",
            "syscalls/exercises-open.md",
            "1. Which files are opened?",
            "Show which files are opened, and through which of the two system calls.",
            "open",
            judge_open_files,
        ),
        Exercise(
            "open-2",
            "syscalls/exercises-open.md",
            "2. Which process opens which file?",
            "Show which process opens which file.",
            "open",
            judge_open_by_process,
        ),
        Exercise(
            "open-3",
            "syscalls/exercises-open.md",
            "3. Only the temporary files",
            "Show only the opens that create temporary files, using the flags argument.",
            "open",
            judge_tempfiles,
        ),
        Exercise(
            "close-1",
            "syscalls/exercises-close.md",
            "Find the bad closes",
            "Find every close(2) call on an invalid file descriptor: the process (pid and name) and the descriptor.",
            "close",
            judge_bad_closes,
        ),
        Exercise(
            "latency-1",
            "syscalls/latency.md",
            "1. How slow are the reads?",
            "How long does each of brokerd's read(2) calls take? Show the distribution.",
            "",
            io.judge_read_latency,
            lab="io",
        ),
        Exercise(
            "latency-2",
            "syscalls/latency.md",
            "2. Waiting or working?",
            "Which of brokerd's reads and ledgerd's getrandom(2) calls wait, and which work?",
            "",
            io.judge_asleep,
            lab="io",
        ),
        Exercise(
            "latency-3",
            "syscalls/latency.md",
            "3. Where does a process spend its time in the kernel?",
            "Rank brokerd's system calls by the total time it spends in each.",
            "",
            io.judge_top_total,
            lab="io",
            subject="brokerd",
        ),
        Exercise(
            "payloads-1",
            "syscalls/payloads.md",
            "1. What does gatewayd log?",
            "What is the session token gatewayd writes to its standard error?",
            "",
            io.judge_token,
            lab="io",
            subject="gatewayd",
        ),
        Exercise(
            "payloads-2",
            "syscalls/payloads.md",
            "2. What does gatewayd read?",
            "In which mode does gatewayd run (what does it read from its settings file)?",
            "",
            io.judge_mode,
            lab="io",
            subject="gatewayd",
        ),
    )
}


def known() -> str:
    return ", ".join(EXERCISES)


def reference_program(exercise_id: str, key: dict[str, Any]) -> str | None:
    """The bpftrace program whose output, run alongside, is `grade()`'s `reference` (None: none needed)."""
    family = EXERCISES[exercise_id].family
    return program(family, key) if family else None


def grade(
    exercise_id: str,
    output: str,
    key: dict[str, Any],
    reference: Reference | None = None,
    *,
    source: str | None = None,
    kind: str | None = None,
    pids: dict[str, int] | None = None,
) -> Verdict:
    """Judge what a program printed for an exercise.

    `key` is the scenario's answer key (`bpfhol syscalls --seed N --answers --json`);
    `reference`, what the system did in the same window; `source` and `kind` ("bpftrace" or
    "python"), the program, for feedback on what it traces; `pids`, the lab's workloads.
    """
    ex = EXERCISES[exercise_id]
    probes = probes_of(kind, source) if source is not None and kind is not None else None
    ev = Evidence(parse(output), key, reference, probes, source or "", dict(pids or {}))
    v = Verdict(ex.id)
    ex.judge(ev, v)
    if ev.out.truncated:
        v.notes.append(f"your program printed {ev.out.lines} lines; judged on the last {len(ev.out.records)} records")
    return v
