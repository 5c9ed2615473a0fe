"""Exercises: mmap. Who maps the most, which sizes, how many mappings are shared.

The busiest process is judged against what the machine did in the same window (the reference),
never against the assumption that the lab's process is the busiest. Wrong answers are told
what their output lacks or how their method goes wrong, never which process, sizes or shares
the key holds: "the process that maps the most" stands for the answer of the first question.
"""

from __future__ import annotations

from bpfhol.grading import facts
from bpfhol.grading.evidence import Evidence, ids, labels
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import require
from bpfhol.grading.records import Record, number
from bpfhol.grading.reference import COMPANION_COMM
from bpfhol.grading.verdict import Verdict

MMAP = Family("mmap", page="syscalls/exercises-mmap.md", reference=True)

PCT_TOLERANCE = 2.0  # percentage points, as the pages' examples allow
MIN_TICK_CALLS = 50  # a printing of the reference with fewer calls says little about a mix
_NO_FIGURE = "no shared or private figure"
_BUSIEST = "the process that maps the most"


def _traces_mmap(ev: Evidence, v: Verdict) -> bool:
    return require(ev.probes, v, "mmap", "see Probe naming")


# --- 1. Who maps the most? -----------------------------------------------------------------------


def _counted(ev: Evidence) -> list[tuple[float, Record]]:
    """(count, record) for every row that counts something for a process (by name or pid)."""
    found = []
    for r in ev.out.rows():
        c = r.count()
        if c is not None and (r.keys or r.source != "map") and (labels(r) or ids(r)):
            found.append((c, r))
    return found


def _leaders(by: dict[str, int]) -> set[str]:
    """Who made the most calls, allowing for a near tie (within 10 %) between two processes."""
    most = max(by.values())
    return {k for k, n in by.items() if n >= 0.9 * most}


def _judge_by_pid(ev: Evidence, v: Verdict, top: Record, shown: str) -> None:
    """Counted per process (pid in the key): many short-lived processes of one name (a shell
    loop running sed) may add up to more than the busiest single process."""
    assert ev.ref is not None
    by_pid = {f"{c} (pid {pid})": n for (c, pid), n in ev.ref.get("@calls").items()}
    leaders = _leaders(by_pid)
    if any(f"{c} (pid {p})" in leaders for c in labels(top) for p in ids(top)):
        v.add("answer", True, f"{shown} makes the most mmap(2) calls: your output ranks it first")
    else:
        v.add(
            "answer",
            False,
            f"your top line names {shown}, but another process made more mmap(2) calls in the same "
            "window: count every process's calls, over the whole window, and print them all",
        )


def _judge_by_name(ev: Evidence, v: Verdict, top: Record, shown: str) -> None:
    comm = ev.key["mmap"]["comm"]
    by_comm = ev.ref.calls_by_comm() if ev.ref is not None else {}
    leaders = _leaders(by_comm) if by_comm else {comm}
    leader_pids = set().union(*(ev.pids_of(c) for c in leaders))
    named = [c for c in labels(top) if c in leaders] or [p for p in ids(top) if p in leader_pids]
    if named:
        v.add("answer", True, f"{named[0]} makes the most mmap(2) calls: your output ranks it first")
        _judge_count(v, top, max(by_comm.get(c, 0) for c in leaders) if by_comm else 0)
        return
    mapped = any(c in by_comm for c in labels(top)) or any(p in ev.pids_of(c) for c in by_comm for p in ids(top))
    if by_comm and not mapped:
        v.add(
            "answer",
            False,
            f"your top line names {shown}, which made no mmap(2) calls in the window: are you "
            "counting another system call, munmap(2) perhaps? — see Probe naming",
        )
    else:
        v.add(
            "answer",
            False,
            f"your top line names {shown}, but another process made more mmap(2) calls in the same "
            "window: key the count by process name, @mmaps[comm] = count(), and print every process",
        )


def _judge_count(v: Verdict, top: Record, real: int) -> None:
    """A count far above what the process did counts other calls too (a probe on every syscall)."""
    count = top.count() or 0
    if real and count > 2.0 * real + 20:
        v.add(
            "count",
            False,
            "your top count is more than twice the mmap(2) calls that process made in the window: "
            "are you counting other calls too?",
        )


@MMAP.exercise(
    id="mmap-1",
    section="1. Who maps the most?",
    question="Find the process that makes the most mmap(2) calls.",
)
def top_caller(ev: Evidence, v: Verdict) -> None:
    _traces_mmap(ev, v)
    counted = _counted(ev)
    if not counted:
        v.add(
            "answer",
            False,
            "found no count per process in the output: count the calls in a map keyed by "
            "the process name, @mmaps[comm] = count(), and stop with Ctrl-C to print it",
        )
        return
    _count, top = max(counted, key=lambda cr: cr[0])
    shown = " ".join(labels(top) or ids(top))
    by_pid = ev.ref.get("@calls") if ev.ref is not None else {}
    if by_pid and any(k[1] in ids(top) for k in by_pid if len(k) > 1):
        _judge_by_pid(ev, v, top, shown)
    else:
        _judge_by_name(ev, v, top, shown)


# --- 2. How big are the mappings? ----------------------------------------------------------------


def _mapit_sizes(ev: Evidence) -> tuple[list[int], list[int]]:
    """(sizes the lab's process maps, sizes any process of that name mapped in the window).

    Another lab's process of that name may run beside this one, or start and stop during the
    window: what it maps may show in an output keyed by name, but is never required.
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


def _size_groups(ev: Evidence, records: list[Record]) -> tuple[list[facts.Intervals], bool]:
    """The sizes each part of the output shows (a histogram, a map's keys, a column), and whether
    a histogram has power-of-two buckets."""
    comm = ev.key["mmap"]["comm"]
    groups: list[facts.Intervals] = []
    pow2 = False
    pids = ev.pids_of(comm)
    by_map: dict[str, list[float]] = {}
    columns: dict[int, list[float]] = {}
    for r in records:
        if r.source == "hist" and r.buckets:
            g = facts.hist_intervals(r)
            # A histogram of one process (keyed by pid too) shows that process's sizes only.
            pid = next((k for k in r.keys if k in pids), None)
            if pid is not None and ev.ref is not None and ev.ref.sizes(comm, pid):
                g.sizes = sorted(ev.ref.sizes(comm, pid))
            groups.append(g)
            pow2 = pow2 or facts.is_power_of_two_hist(r.buckets)
        elif r.source == "map":
            nums = [k for k in ids(r) if k not in pids]
            if len(nums) == 1 and (r.count() or 0) > 0:
                by_map.setdefault(r.name, []).append(float(number(nums[0]) or 0))
        elif r.source in ("table", "line"):
            for i, c in enumerate(r.cells):
                n = number(c)
                if n is not None and c.strip() not in pids:
                    columns.setdefault(i, []).append(n)
    groups += [facts.point_intervals(name, vals) for name, vals in by_map.items()]
    groups += [facts.point_intervals(f"the {_ordinal(i)} column", vals) for i, vals in columns.items()]
    return groups, pow2


def _ordinal(i: int) -> str:
    """A column's place in words: feedback that shows no numbers cannot be read as sizes."""
    words = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
    return words[i] if i < len(words) else "last"


def _scaled(g: facts.Intervals, sizes: list[int], page: int) -> float | None:
    """The factor a unit mix-up multiplied every size by, if that is what went wrong."""
    values = [lo for lo, _ in g.spans if lo is not None]
    for f in (1, 1024, page):
        factor = facts.scale_off([x * f for x in values], sizes)
        if factor is not None and abs(factor - 1) > 0.01:
            return factor
    return None


@MMAP.exercise(
    id="mmap-2",
    section="2. How big are the mappings?",
    question="What sizes does that process map? Show them as a histogram.",
)
def sizes(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["mmap"]["comm"]
    page = int(ev.key["page_size"])
    if not _traces_mmap(ev, v):
        return
    wanted, allowed = _mapit_sizes(ev)
    records = ev.records_of(comm)
    if not records:
        v.add(
            "sizes",
            False,
            f"the sizes of {_BUSIEST} are not in your output: key the histogram by process name "
            "(@bytes[comm] = lhist(args->len, ...)) so each process's calls land in a histogram of "
            "their own",
        )
        return
    groups, pow2 = _size_groups(ev, records)
    if not groups:
        v.add("sizes", False, f"found no sizes for {_BUSIEST}: show args->len in a histogram (lhist) or as a map key")
        return
    results = [(facts.match_sizes(g, g.sizes or wanted, page, None if g.sizes else allowed), g) for g in groups]
    right = [(r, g) for r, g in results if r[0]]
    if right:
        (_ok, unit, _why), _g = right[0]
        shown = ", ".join(f"{s // 1024} KiB" for s in wanted)
        v.add("sizes", True, f"{comm} maps {len(wanted)} sizes ({shown}): your output shows exactly those, in {unit}")
        return
    (_ok, _unit, why), g = min(results, key=lambda rg: len(rg[0][2]))
    factor = _scaled(g, wanted, page)
    if pow2:
        why = (
            "hist() makes power-of-two buckets, each wide enough to hold several sizes: a linear "
            "histogram, lhist(), with buckets one page wide gives each page count its own"
        )
    elif factor is not None:
        why = f"your sizes are the real ones times {factor:g} whatever the unit: args->len is in bytes"
    v.add("sizes", False, f"the sizes in your output ({g.where}) are not those of {_BUSIEST}'s calls: {why}")


# --- 3. Shared or private? -----------------------------------------------------------------------


def _shared_pct(types: dict[int, int]) -> float | None:
    total = sum(types.values())
    return 100.0 * (types.get(1, 0) + types.get(3, 0)) / total if total else None


def _expected_shared(ev: Evidence, comm: str) -> tuple[list[float], tuple[float, float] | None]:
    """The shared percentages a right answer may show for a process name (the expected one first),
    and the range a mix may fall in.

    Expected is what the lab's own process did. When other processes of that name mapped in
    the window (another lab's), an output keyed by name shows their mix; as labs start and
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


def _figures(sh: facts.Shares) -> tuple[list[float], list[float]]:
    """(shared percentages, private percentages) the output gives, from percentages or counts."""
    got_s, got_p = list(sh.shared_pct), list(sh.private_pct)
    if sh.shared_n is not None and sh.private_n is not None and sh.shared_n + sh.private_n > 0:
        got_s.append(100 * sh.shared_n / (sh.shared_n + sh.private_n))
    elif sh.shared_n is not None and sh.total_n:
        got_s.append(100 * sh.shared_n / sh.total_n)
    elif sh.private_n is not None and sh.total_n:
        got_p.append(100 * sh.private_n / sh.total_n)
    return got_s, got_p


def _near(got_s: list[float], got_p: list[float], shared: float) -> bool:
    return all(abs(x - shared) <= PCT_TOLERANCE for x in got_s) and all(
        abs(x - (100 - shared)) <= PCT_TOLERANCE for x in got_p
    )


def _judge_shares(sh: facts.Shares, targets: list[float], span: tuple[float, float] | None = None) -> tuple[bool, str]:
    """(right, what is wrong) for one process's shared/private figures."""
    got_s, got_p = _figures(sh)
    if not got_s and not got_p:
        return False, _NO_FIGURE
    if any(_near(got_s, got_p, t) for t in targets):
        return True, ""
    if span is not None:
        lo, hi = span[0] - PCT_TOLERANCE, span[1] + PCT_TOLERANCE
        if all(lo <= x <= hi for x in got_s) and all(100 - hi <= x <= 100 - lo for x in got_p):
            return True, ""
    if any(_near(got_s, got_p, 100 - t) for t in targets):
        return False, (
            "inverted: your shared figure is the private one and the reverse: MAP_SHARED is 0x01, "
            "MAP_PRIVATE 0x02, and flags & MAP_TYPE (0x0f) says which a call asked for"
        )
    return False, (
        f"your shared and private figures are not those of {_BUSIEST}'s calls in the window: test "
        "flags & MAP_TYPE (0x0f) against each type and count every call once"
    )


def _judge_companion(ev: Evidence, v: Verdict) -> None:
    """mapcheck (run by the check) maps only with MAP_SHARED_VALIDATE: a one-bit test misreads it."""
    comp = facts.about(ev.out, COMPANION_COMM)
    targets, span = _expected_shared(ev, COMPANION_COMM)
    if not comp or not targets:
        return
    csh = facts.shares(comp, COMPANION_COMM)
    ok, why = _judge_shares(csh, targets, span)
    if csh.empty() or why == _NO_FIGURE:
        return
    if ok:
        v.add(
            "validate",
            True,
            f"{COMPANION_COMM} (run by the check) maps with MAP_SHARED_VALIDATE (0x03): your program "
            "counts it as shared",
        )
    else:
        v.add(
            "validate",
            False,
            f"{COMPANION_COMM} (run by the check) maps only with MAP_SHARED_VALIDATE (0x03), which is "
            "shared; your program miscounts it: a one-bit test of the flags misreads 0x03 — compare "
            "flags & MAP_TYPE (0x0f) with each type",
        )


@MMAP.exercise(
    id="mmap-3",
    section="3. Shared or private?",
    question="What percentage of the mappings that process creates are shared, and what percentage private?",
)
def shared_ratio(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["mmap"]["comm"]
    if not _traces_mmap(ev, v):
        return
    targets, span = _expected_shared(ev, comm)
    records = ev.records_of(comm)
    sh = facts.shares(records, comm)
    if not records or sh.empty():
        v.add(
            "ratio",
            False,
            f"found no shared/private figures for {_BUSIEST}: compute the percentage of its calls "
            "whose flags & MAP_TYPE (0x0f) is MAP_SHARED (0x01) or MAP_SHARED_VALIDATE (0x03), "
            "keyed by comm",
        )
        return
    ok, why = _judge_shares(sh, targets, span)
    if ok and span is not None:  # (a span only when several processes had the name)
        v.notes.append(
            f"other processes named {comm} (another lab's?) mapped in the window too: a figure "
            f"for the name is their mix, between {span[0]:.0f}% and {span[1]:.0f}% shared"
        )
    if ok:
        v.add("ratio", True, f"{comm}: {targets[0]:.0f}% shared, {100 - targets[0]:.0f}% private, as your output says")
    else:
        v.add("ratio", False, why)
    _judge_companion(ev, v)


# --- 4. Going further: which sizes of which type ------------------------------------------------
