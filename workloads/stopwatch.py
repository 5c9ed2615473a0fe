"""stopwatch: times its own work, reading several clocks many times a second.

Each tick reads the wall clock, the monotonic clock and the boot-time clock through
time.clock_gettime_ns(), VDSO_READS times each, and one CPU-time clock (the scenario's choice:
CLOCK_PROCESS_CPUTIME_ID or CLOCK_THREAD_CPUTIME_ID) `cpu_reads` times. glibc sends every read
to the vDSO first; the vDSO answers the first three in user space wherever the clock source is
one user space can read (lib/vdso/gettimeofday.c, __cvdso_clock_gettime_common(): their ids are
in VDSO_HRES), and hands a CPU-time clock, which only the kernel's task accounting knows, to the
clock_gettime(2) system call. So on such a machine that clock is the one a tracer of system
calls sees, and the clock-1 exercise asks which, and how often (checked with bpftrace on x86_64,
Linux 6.18, clocksource tsc: one sys_enter_clock_gettime per CPU-time read, none for the others).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from workloads import common

COMM = "stopwatch"
ABOUT = "times its own work with several clocks"

# The CPU-time clocks (include/uapi/linux/time.h), which the vDSO never serves.
CPU_CLOCKS = {
    "CLOCK_PROCESS_CPUTIME_ID": time.CLOCK_PROCESS_CPUTIME_ID,
    "CLOCK_THREAD_CPUTIME_ID": time.CLOCK_THREAD_CPUTIME_ID,
}
# Reads per tick of the clocks the vDSO serves (VDSO_HRES), by name.
VDSO_READS = {"CLOCK_REALTIME": 10, "CLOCK_MONOTONIC": 25, "CLOCK_BOOTTIME": 5}
CLOCK_IDS = {
    "CLOCK_REALTIME": time.CLOCK_REALTIME,
    "CLOCK_MONOTONIC": time.CLOCK_MONOTONIC,
    "CLOCK_BOOTTIME": time.CLOCK_BOOTTIME,
}
CLOCK_IDS.update(CPU_CLOCKS)
CPU_READS = (2, 4, 7, 12)  # per tick, a scenario's choice: 20, 40, 70 or 120 a second
CLASSIC = ("CLOCK_PROCESS_CPUTIME_ID", 4)


class Stopwatch:
    comm = COMM
    uses_dir = False

    def __init__(self, cpu_clock: str = CLASSIC[0], cpu_reads: int = CLASSIC[1], comm: str = COMM) -> None:
        if cpu_clock not in CPU_CLOCKS:
            raise ValueError(f"unknown CPU-time clock {cpu_clock!r}: one of {', '.join(CPU_CLOCKS)}")
        if cpu_reads < 1:
            raise ValueError("cpu_reads must be at least 1")
        self.comm = comm
        self._cpu = CPU_CLOCKS[cpu_clock]
        self._cpu_reads = cpu_reads
        self._reads = [(CLOCK_IDS[name], n) for name, n in VDSO_READS.items()]

    def start(self) -> None:
        pass

    def tick(self, n: int) -> None:
        read = time.clock_gettime_ns
        for clock, times in self._reads:
            for _ in range(times):
                read(clock)
        for _ in range(self._cpu_reads):
            read(self._cpu)

    def stop(self) -> None:
        pass


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--clock", choices=sorted(CPU_CLOCKS), default=CLASSIC[0], help="the CPU-time clock it reads")
    p.add_argument("--reads", type=int, default=CLASSIC[1], help="reads of that clock per tick (10 ticks a second)")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Stopwatch(a.clock, a.reads), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
