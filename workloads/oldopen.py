"""oldopen: opens its config file with the open(2) system call itself.

glibc's open() makes the openat(2) system call, so tracepoint:syscalls:sys_enter_open sees
nothing from ordinary programs; this one calls syscall(SYS_open, ...) directly. Architectures
that never had open(2) (arm64, riscv64, loongarch64) get openat(2), and the answer key says so.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Sequence

from workloads import common

COMM = "oldopen"
ABOUT = "reads a legacy config file, as an old program would"
FILE = "legacy.conf"

# open(2)'s number where the architecture has it (asm/unistd*.h).
SYS_OPEN = {"x86_64": 2, "i386": 5, "i686": 5, "armv7l": 5, "armv6l": 5, "ppc64le": 5, "ppc64": 5, "s390x": 5}


def open_syscall_number(machine: str | None = None) -> int | None:
    return SYS_OPEN.get(machine or platform.machine())


class Oldopen:
    comm = COMM
    uses_dir = True

    def __init__(self, comm: str = COMM) -> None:
        self.comm = comm
        self._nr = open_syscall_number()
        self._syscall = common.LIBC.syscall
        self._syscall.restype = ctypes.c_long
        # Built once: the loop passes the same argument objects every time.
        self._args = (ctypes.c_long(self._nr or 0), ctypes.c_char_p(FILE.encode()), ctypes.c_int(os.O_RDONLY))

    def start(self) -> None:
        common.write_file(FILE, "# legacy.conf: read with open(2)\nmode = legacy\n")

    def tick(self, n: int) -> None:
        if self._nr is None:
            fd = os.open(FILE, os.O_RDONLY)
        else:
            fd = self._syscall(*self._args)
        if fd >= 0:
            os.close(fd)

    def stop(self) -> None:
        common.remove_quietly(FILE)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Oldopen())


if __name__ == "__main__":
    sys.exit(main())
