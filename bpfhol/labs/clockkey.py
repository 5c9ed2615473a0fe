"""The syscalls lab's clock exercise: which CPU-time clock its process reads through the kernel,
how often, and how the answer key says it.

A random source of its own per seed, so the choice shifts none of the scenario's other choices.
"""

from __future__ import annotations

from typing import Any

from bpfhol.labs.seeded import chooser
from workloads import common, stopwatch


def choice(seed: int) -> tuple[str, int]:
    """The CPU-time clock and its reads per tick for a seed (seed 0: the classic one)."""
    if seed == 0:
        return stopwatch.CLASSIC
    pick = chooser("syscalls-clock", seed)
    return pick(tuple(stopwatch.CPU_CLOCKS)), pick(stopwatch.CPU_READS)


def key(seed: int, comm: str) -> dict[str, Any]:
    """The one clock the process asks the kernel for where the vDSO serves the others (a clock
    source user space can read), and every other clock it reads, a second."""
    clock, per_tick = choice(seed)
    return {
        "comm": comm,
        "clock": clock,
        "clock_id": stopwatch.CPU_CLOCKS[clock],
        "calls_per_second": per_tick * common.TICK_HZ,
        "vdso_reads_per_second": {name: n * common.TICK_HZ for name, n in stopwatch.VDSO_READS.items()},
    }


def rows(k: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The key's part for `--answers`, as (label, text) rows under a heading."""
    vdso = ", ".join(f"{name} {n}" for name, n in k["vdso_reads_per_second"].items())
    told = f"asks the kernel for {k['clock']} (clock id {k['clock_id']}) {k['calls_per_second']} times a second"
    return [("clock_gettime(2)", None), (k["comm"], f"{told}; the vDSO serves its other reads, a second: {vdso}")]
