"""repeater: asks the kernel one thing, over and over.

Each tick makes one system call CALLS_PER_TICK times, through the os function that makes it
and nothing else (checked with raw_syscalls on x86_64: one sys_enter per Python call). Which
call is the scenario's choice; the process does nothing else but its tick's sleep, so that call
dwarfs every other it makes, and the raw-syscalls exercise asks which one it is.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Callable

from workloads import common

COMM = "repeater"
ABOUT = "keeps asking the kernel the same question"
CALLS_PER_TICK = 50  # 500 a second at TICK_HZ, against the tick's 10 sleeps

# The system call each os function makes, as its name in the kernel's table.
CALLS: dict[str, Callable[[], object]] = {
    "getppid": os.getppid,
    "sched_yield": os.sched_yield,
    "uname": os.uname,
    "getcwd": os.getcwd,
    "statfs": lambda: os.statvfs("."),
    "times": os.times,
    "getpriority": lambda: os.getpriority(os.PRIO_PROCESS, 0),
    "getsid": lambda: os.getsid(0),
}


class Repeater:
    comm = COMM
    uses_dir = False

    def __init__(self, syscall: str, comm: str = COMM) -> None:
        if syscall not in CALLS:
            raise ValueError(f"unknown system call {syscall!r}: one of {', '.join(CALLS)}")
        self.comm = comm
        self.syscall = syscall
        self._call = CALLS[syscall]

    def start(self) -> None:
        pass

    def tick(self, n: int) -> None:
        call = self._call
        for _ in range(CALLS_PER_TICK):
            call()

    def stop(self) -> None:
        pass


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--syscall", choices=sorted(CALLS), default="uname", help="the call to repeat")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Repeater(a.syscall), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
