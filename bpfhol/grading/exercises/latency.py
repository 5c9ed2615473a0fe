"""Exercises: Syscall latency. How slow brokerd's reads are, who waits and who works, where the time goes,
and how much work ledgerd asks of the kernel each second.

These answers depend on one process each, not on the whole machine, so they are judged against
the answer key alone: no reference program runs beside them. Wrong answers are told how to
measure, never the durations, shares or system calls the key holds.
"""

from __future__ import annotations

import re

from bpfhol.grading import facts
from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import require
from bpfhol.grading.records import Record
from bpfhol.grading.verdict import Verdict

LATENCY = Family("latency", page="syscalls/latency.md", lab="io")

# A duration printed in a unit we do not know: each of these scales makes milliseconds of it.
_MS_PER_UNIT = {"ns": 1e-6, "us": 1e-3, "ms": 1.0}


def _traces(ev: Evidence, v: Verdict, syscall: str) -> bool:
    return require(ev.probes, v, syscall, "see Syscall latency", either_side=True)


@LATENCY.exercise(
    id="latency-1",
    section="1. How slow are the reads?",
    question="How long does each of brokerd's read(2) calls take? Show the distribution.",
)
def read_latency(ev: Evidence, v: Verdict) -> None:
    slow = ev.key["latency"]["slow"]
    comm, wait = slow["comm"], float(slow["wait_ms"])
    if not _traces(ev, v, "read"):
        return
    records = ev.records_of(comm)
    hists = [r for r in records if r.buckets]
    if hists:
        rec = max(hists, key=lambda r: sum(b.count for b in r.buckets))
        mode = max(rec.buckets, key=lambda b: b.count)
        for unit, ms in _MS_PER_UNIT.items():
            lo = mode.lo * ms if mode.lo is not None else 0.0
            hi = mode.hi * ms if mode.hi is not None else float("inf")
            if lo <= wait < hi * 1.05:
                v.add(
                    "latency",
                    True,
                    f"{comm}'s reads take about {wait:g} ms: your histogram's busiest bucket, "
                    f"{mode.lo:g} to {mode.hi:g} ({unit}), holds them",
                )
                return
        v.add(
            "latency",
            False,
            f"the busiest bucket of your histogram of {comm}'s reads holds no duration they take, in "
            "ns, us or ms: time each read from its entry to its exit, per thread (@start[tid]), "
            "and skip exits whose entry you did not see",
        )
        return
    values = [n for r in records for _label, n, pct in r.labelled_numbers() if not pct]
    for unit, ms in _MS_PER_UNIT.items():
        if any(abs(n * ms - wait) <= 0.15 * wait for n in values):
            v.add("latency", True, f"{comm}'s reads take about {wait:g} ms: your output says so (in {unit})")
            return
    v.add(
        "latency",
        False,
        f"no duration of {comm}'s reads in your output comes near what they take: time "
        "each read from entry to exit; a hist() of the durations shows the distribution",
    )


def _asleep_share(records: list[Record]) -> float | None:
    """A percentage the records give, or one that follows from a pair of counts (calls, slept)."""
    for r in records:
        pcts = [n for _label, n, pct in r.labelled_numbers() if pct]
        if pcts:
            return pcts[-1]
        nums = [n for _label, n, _pct in r.labelled_numbers()]
        if r.value is not None and nums and nums[-1] <= 100:
            return nums[-1]  # avg(... ? 100 : 0): a percentage without a % sign
        if len(nums) >= 2 and nums[-2] > 0 and nums[-1] <= nums[-2]:
            return 100.0 * nums[-1] / nums[-2]
    return None


@LATENCY.exercise(
    id="latency-2",
    section="2. Waiting or working?",
    question="Which of brokerd's reads and ledgerd's getrandom(2) calls wait, and which work?",
)
def asleep(ev: Evidence, v: Verdict) -> None:
    lat = ev.key["latency"]
    slow, busy = lat["slow"], lat["busy"]
    if not _traces(ev, v, slow["syscall"]):
        return
    if ev.probes is not None and not ev.probes.mentions(r"sched_switch|prev_state"):
        v.add(
            "sleeps",
            False,
            "your program does not watch the scheduler: a call waits when its thread sleeps inside "
            "it, which sched_switch shows as the thread leaves the CPU (prev_state 1 or 2)",
        )
        return
    for who, sleeps in ((slow, True), (busy, False)):
        records = [
            r
            for r in facts.about(ev.out, who["comm"])
            if r.mentions(who["syscall"])
            or r.mentions(f"tracepoint:syscalls:sys_exit_{who['syscall']}")
            or not any(r.mentions(x) for x in ("read", "getrandom"))
        ]
        share = _asleep_share(records)
        what = "waits (sleeps in every call)" if sleeps else "works (never sleeps in a call)"
        if share is None:
            v.add(
                who["comm"],
                False,
                f"your output gives no share of {who['comm']}'s {who['syscall']}(2) calls "
                "that slept: mark the thread at entry, note sched_switch with prev_state 1 "
                "or 2 while marked, and count at exit",
            )
        elif (share >= 80) == sleeps and (share <= 20) != sleeps:
            v.add(who["comm"], True, f"{who['comm']} {what}: your output says {share:g} % of its calls slept")
        else:
            v.add(
                who["comm"],
                False,
                f"your output's share of {who['comm']}'s calls that slept is not what its calls did: "
                "count only sleeps (prev_state 1 or 2), not preemption, and only while the thread "
                "is inside the call",
            )


@LATENCY.exercise(
    id="latency-3",
    section="3. Where does a process spend its time in the kernel?",
    question="Rank brokerd's system calls by the total time it spends in each.",
    subject="brokerd",
)
def top_total(ev: Evidence, v: Verdict) -> None:
    lat = ev.key["latency"]
    top, slow = lat["top"], lat["slow"]
    names = {top["syscall"], str(top["nr"])}

    def what(r: Record, label: str) -> str:  # a map's name, or a table's column: not its keys
        return (r.name if r.value is not None else label).lower()

    totals = [
        (n, r)
        for r in ev.out.records
        for label, n, pct in r.labelled_numbers()
        if not pct
        and any(w in what(r, label) for w in ("total", "time", "sum", "us", "ns", "ms"))
        and not any(w in what(r, label) for w in ("avg", "mean", "calls", "count"))
    ]
    if not totals:
        v.add(
            "ranking",
            False,
            "your output has no total time per syscall: sum() each call's duration, keyed by "
            "the syscall (raw_syscalls' args->id, or the probe)",
        )
        return
    _n, best = max(totals, key=lambda t: t[0])
    by_probe = re.search(rf"sys_(?:enter|exit)_{top['syscall']}\b", best.text())
    if by_probe or any(best.mentions(w) for w in names):
        v.add("ranking", True, f"{slow['comm']} spends the most time in {top['syscall']}(2): your largest total")
    else:
        v.add(
            "ranking",
            False,
            f"your largest total is not the system call {slow['comm']} spends the most time in: "
            "filter on its pid ($1), time each call from its entry to its exit on the same thread, "
            "and sum() the durations per system call",
        )


# A rate printed in a unit we do not know: each of these scales makes bytes of it.
_BYTES_PER_UNIT = {"B": 1, "KiB": 1024, "MiB": 1024 * 1024}


@LATENCY.exercise(
    id="latency-4",
    section="4. Going further: how much work does ledgerd ask for?",
    question="How many bytes of random data do ledgerd's getrandom(2) calls get from the kernel each second?",
    subject="ledgerd",
)
def random_rate(ev: Evidence, v: Verdict) -> None:
    busy = ev.key["latency"]["busy"]
    comm, rate = busy["comm"], float(busy["bytes_per_second"])
    if not _traces(ev, v, busy["syscall"]):
        return
    records = ev.records_of(comm) or list(ev.out.records)  # a program given the pid need not name it
    values = [n for r in records for _label, n, pct in r.labelled_numbers() if not pct]
    for unit, scale in _BYTES_PER_UNIT.items():
        if any(abs(n * scale - rate) <= 0.15 * rate for n in values):
            v.add(
                "rate",
                True,
                f"the kernel makes {rate / 1024:g} KiB of random data a second for {comm}: "
                f"your output says so (in {unit})",
            )
            return
    v.add(
        "rate",
        False,
        f"no number in your output comes near the bytes {comm}'s getrandom(2) calls return in a second: "
        "sum what each call returns (args->ret at sys_exit_getrandom), for its pid ($1), and print "
        "and clear the sum every second (interval:s:1)",
    )
