"""closeall: keeps a journal file, with a "double close" bug.

Each tick opens the journal, closes it (ret 0), closes the same descriptor again (ret -EBADF,
-9) and closes a descriptor it never opened (BAD_FD_BASE + n % BAD_FDS, also -9). The valid
closes are there on purpose: finding the bug takes a filter on the return value.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence

from workloads import common

COMM = "closeall"
ABOUT = "keeps a journal file (it has a bug)"
FILE = "journal.log"
BAD_FD_BASE = 1000
BAD_FDS = 8


class Closeall:
    comm = COMM
    uses_dir = True

    def __init__(self, comm: str = COMM) -> None:
        self.comm = comm
        # libc's close() returns -1 and sets errno instead of raising: the bug stays quiet.
        self._close = common.LIBC.close
        self._close.restype = ctypes.c_int
        self._close.argtypes = (ctypes.c_int,)

    def start(self) -> None:
        common.write_file(FILE, "journal\n")

    def tick(self, n: int) -> None:
        close = self._close
        fd = os.open(FILE, os.O_RDONLY)
        close(fd)
        close(fd)  # the bug: closed already
        close(BAD_FD_BASE + n % BAD_FDS)  # never opened

    def stop(self) -> None:
        common.remove_quietly(FILE)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Closeall())


if __name__ == "__main__":
    sys.exit(main())
