"""Exercise: clock. Which clock a process asks the kernel for, and how often, where the vDSO
answers its other clock reads in user space.

The lab's process reads several clocks; on a clock source user space can read (tsc, kvm-clock),
only its CPU-time clock (the seed chooses which) reaches clock_gettime(2). Elsewhere (hpet,
acpi_pm) every read of the others reaches it too: the reference trace of the live workload says
which clocks the kernel was asked for in the same window, and each of those must show, by its id
or name, with a count a second near the key's. Without a reference (the docs suite) the key's
one clock must. Wrong answers are told which method is missing, never the process, the clock or
the rate.
"""

from __future__ import annotations

from bpfhol.grading.evidence import Evidence, ids, labels
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.parse import Record, number
from bpfhol.grading.probes import traces_anything
from bpfhol.grading.verdict import Verdict

CLOCK = Family("clock", page="syscalls/probe-naming.md", reference=True)

# A second's count: ten ticks, one more or less, a late one under load. Below, more room: a program
# that counts until the check's Ctrl-C loses the start of its second to its own attach, which a
# loaded machine stretches.
TOLERANCE = 0.2
SHORT_WINDOW = 0.4
MIN_SEEN = 5  # reads of a clock the reference must see to call it asked for (not a stray one)

# include/uapi/linux/time.h: the clock ids clock_gettime(2) takes.
CLOCK_NAMES = {
    0: "CLOCK_REALTIME",
    1: "CLOCK_MONOTONIC",
    2: "CLOCK_PROCESS_CPUTIME_ID",
    3: "CLOCK_THREAD_CPUTIME_ID",
    4: "CLOCK_MONOTONIC_RAW",
    5: "CLOCK_REALTIME_COARSE",
    6: "CLOCK_MONOTONIC_COARSE",
    7: "CLOCK_BOOTTIME",
    8: "CLOCK_REALTIME_ALARM",
    9: "CLOCK_BOOTTIME_ALARM",
    11: "CLOCK_TAI",
}
_BY_NAME = {name: cid for cid, name in CLOCK_NAMES.items()}
_BY_NAME.update({name.removeprefix("CLOCK_"): cid for cid, name in CLOCK_NAMES.items()})
_ENTRY = "tracepoint:syscalls:sys_enter_clock_gettime"


def _clocks(r: Record, pids: set[str]) -> set[int]:
    """The clock ids a record names: a clock's name, or a number that is a clock id and neither the
    record's count nor a pid."""
    found = {_BY_NAME[w.upper()] for w in labels(r) if w.upper() in _BY_NAME}
    count = r.count()
    for w in ids(r):
        v = number(w)
        if v is None or v != int(v) or w in pids or int(v) not in CLOCK_NAMES:
            continue
        if r.value is None and count is not None and v == count:  # a table's or line's count
            continue
        found.add(int(v))
    return found


def _per_second(r: Record, rate: float) -> bool:
    """Does the record carry a count of one second: from (1 - SHORT_WINDOW) to (1 + TOLERANCE) times `rate`?"""
    values = [n for _label, n, pct in r.labelled_numbers() if not pct]
    return any((1 - SHORT_WINDOW) * rate <= n <= (1 + TOLERANCE) * rate for n in values)


def _pids(ev: Evidence, comm: str) -> set[str]:
    found = ev.pids_of(comm)
    if ev.ref is not None:
        found |= {k[1] for k in ev.ref.get("@clock") if len(k) == 3 and k[0] == comm}
    return found


def _asked(ev: Evidence, comm: str) -> dict[int, float]:
    """Clock id -> reads a second the kernel was asked for: the key's clock, and any other clock the
    reference saw the process ask for (a clock source the vDSO cannot read), at the key's rate."""
    k = ev.key["clock"]
    asked: dict[int, float] = {int(k["clock_id"]): float(k["calls_per_second"])}
    if ev.ref is None:
        return asked
    pid = ev.our_pid(comm)
    seen = ev.ref.clock_reads(comm, pid) or ev.ref.clock_reads(comm)
    for cid, n in seen.items():
        if cid not in asked and n >= MIN_SEEN:
            asked[cid] = float(k["vdso_reads_per_second"].get(CLOCK_NAMES.get(cid, ""), 0))
    return asked


def _no_process(ev: Evidence, v: Verdict) -> None:
    counted = [r for r in ev.out.records if r.count() is not None]
    if counted and all(not labels(r) or all(w.upper() in _BY_NAME for w in labels(r)) for r in counted):
        why = (
            "your output counts clock reads but does not say which process makes them: key the count by "
            "the process's name (comm) as well as the clock"
        )
    else:
        why = (
            "your output shows no count for the process that asks the kernel for a clock: count every "
            f"process's clock_gettime(2) calls at {_ENTRY}, keyed by process name (comm) and clock"
        )
    v.add("process", False, why)


def _judge_clocks(ev: Evidence, v: Verdict, comm: str, named: list[tuple[Record, set[int]]]) -> None:
    """Each clock the kernel was asked for, shown with its count a second; the key's clock first."""
    asked = _asked(ev, comm)
    left_out = [cid for cid in list(asked)[1:] if not any(cid in clocks for _r, clocks in named)]
    for n, (cid, rate) in enumerate(asked.items()):
        mine = [r for r, clocks in named if cid in clocks]
        if not mine:
            if n == 0:
                v.add(
                    "clock",
                    False,
                    "the clocks your output shows are not the one that process asks the kernel for: count "
                    f"its calls at {_ENTRY}, keyed by args->which_clock (not by the clock_gettime(2) "
                    "call's other arguments or its result)",
                )
            continue
        if not rate or any(_per_second(r, rate) for r in mine):
            told = f"{CLOCK_NAMES.get(cid, 'clock')} (clock id {cid})" + (f", {rate:g} times a second" if rate else "")
            v.add("clock", True, f"{comm} asks the kernel for {told}")
        else:
            v.add(
                "rate",
                False,
                "your output names the clock, but its count is not the calls of one second: count for "
                "exactly one second (an interval:s:1 probe that calls exit()), or print and clear the "
                "map every second",
            )
    if left_out:
        v.add(
            "clocks",
            False,
            "your output leaves out clocks that process asked the kernel for in the same window (on this "
            "machine the vDSO cannot read the clock source, so those reads reach the kernel too): show "
            "every clock it asks for",
        )


@CLOCK.exercise(
    id="clock-1",
    section="Exercise: which clock reaches the kernel?",
    question="A process of the lab reads the time in its loop, from several clocks. Which process is it, "
    "which clock does it ask the kernel for (the clock's id), and how many times a second?",
)
def kernel_clock(ev: Evidence, v: Verdict) -> None:
    if not traces_anything(ev.probes, v):
        return
    if ev.sees("clock_gettime") is False and ev.sees("clock_gettime", "exit") is False:
        v.add(
            "probes",
            False,
            f"your program has no probe on clock_gettime(2): a clock read that reaches the kernel fires {_ENTRY}",
        )
        return
    k = ev.key["clock"]
    comm = k["comm"]
    pids = _pids(ev, comm)
    records = [r for r in ev.records_of(comm) if r.count() is not None]
    records += [r for r in ev.out.records if r not in records and r.count() is not None and set(ids(r)) & pids]
    if not records:
        _no_process(ev, v)
        return
    v.add("process", True, f"{comm} asks the kernel for a clock: your output counts its calls")
    named = [(r, _clocks(r, pids)) for r in records]
    if not any(clocks for _r, clocks in named):
        v.add(
            "clock",
            False,
            "your output counts that process's calls but does not say which clock each asks for: it is "
            f"clock_gettime(2)'s first argument, args->which_clock at {_ENTRY}; add it to the map's key",
        )
        return
    _judge_clocks(ev, v, comm, named)
