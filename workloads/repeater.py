"""repeater: asks the kernel one thing, over and over.

Each tick makes one system call CALLS_PER_TICK times, through the os function that makes it
and nothing else (checked with raw_syscalls on x86_64: one sys_enter per Python call). Which
call is the scenario's choice; the process does nothing else but its tick's sleep, so that call
dwarfs every other it makes, and the raw-syscalls exercise asks which one it is.

Each tick also makes one call that fails, always with the same error, whatever the machine or the
user it runs as (FAILS; the error is the kernel's first check, named beside each). It ignores the
failure, as a program that never looks at its errors would: the next exercise asks which call
fails, and how.
"""

from __future__ import annotations

import argparse
import errno
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


# Calls that fail every time, each through one os function making one system call (strace on
# x86_64 with glibc 2.36 and Python 3.11: one call, no retry), and the error the kernel returns.
_NO_PID = 4194305  # above PID_MAX_LIMIT (include/linux/threads.h): no process can have it
FAILS: dict[str, tuple[str, int, Callable[[int], object]]] = {
    # name: (system call, errno, the call given the process's own pid)
    "kill-esrch": ("kill", errno.ESRCH, lambda me: os.kill(_NO_PID, 0)),  # kill_something_info()
    "kill-einval": ("kill", errno.EINVAL, lambda me: os.kill(me, 1000)),  # valid_signal() fails
    "getpgid-esrch": ("getpgid", errno.ESRCH, lambda me: os.getpgid(_NO_PID)),
    "chdir-enotdir": ("chdir", errno.ENOTDIR, lambda me: os.chdir("/dev/null")),
    "chdir-enoent": ("chdir", errno.ENOENT, lambda me: os.chdir("")),  # an empty path
    "truncate-eisdir": ("truncate", errno.EISDIR, lambda me: os.truncate("/", 0)),  # vfs_truncate()
}


class Repeater:
    comm = COMM
    uses_dir = False

    def __init__(self, syscall: str, fail: str = "kill-esrch", comm: str = COMM) -> None:
        if syscall not in CALLS:
            raise ValueError(f"unknown system call {syscall!r}: one of {', '.join(CALLS)}")
        if fail not in FAILS:
            raise ValueError(f"unknown failing call {fail!r}: one of {', '.join(FAILS)}")
        self.comm = comm
        self.syscall = syscall
        self._call = CALLS[syscall]
        self.fail = fail
        self._fail = FAILS[fail][2]
        self._me = 0

    def start(self) -> None:
        self._me = os.getpid()  # here, in the process that ticks (a lab forks it after building it)

    def tick(self, n: int) -> None:
        call = self._call
        for _ in range(CALLS_PER_TICK):
            call()
        try:
            self._fail(self._me)
        except OSError:
            pass

    def stop(self) -> None:
        pass


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--syscall", choices=sorted(CALLS), default="uname", help="the call to repeat")
    p.add_argument("--fail", choices=sorted(FAILS), default="kill-esrch", help="the call that fails, and how")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Repeater(a.syscall, a.fail), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
