"""tempfiles: creates temporary files in its directory and removes them straight away.

Two kinds, one per tick, alternating: an unnamed file opened with O_TMPFILE (as glibc's tmpfile() does) and a
named `tmpXXXXXX` file opened with O_RDWR|O_CREAT|O_EXCL, mode 0600 (as mkstemp(3) does),
unlinked right after closing. The opens go through libc's open() so the flags the kernel sees
are exactly those (os.open would add O_CLOEXEC).
"""

from __future__ import annotations

import ctypes
import os
import random
import string
import sys
from collections.abc import Sequence

from workloads import common

COMM = "tempfiles"
ABOUT = "uses scratch files"
O_TMPFILE_FLAGS = os.O_TMPFILE | os.O_RDWR
MKSTEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL
MKSTEMP_PREFIX = "tmp"
_NAME_CHARS = string.ascii_letters + string.digits
_DATA = b"scratch data\n"


class Tempfiles:
    comm = COMM
    uses_dir = True

    def __init__(self, comm: str = COMM) -> None:
        self.comm = comm
        self._open = common.LIBC.open
        self._open.restype = ctypes.c_int
        self._open.argtypes = (ctypes.c_char_p, ctypes.c_int, ctypes.c_uint)
        self._rng = random.Random(os.urandom(16))
        self._made: str | None = None

    def start(self) -> None:
        fd = self._open(b".", O_TMPFILE_FLAGS, 0o600)
        if fd < 0:
            err = ctypes.get_errno()
            print(f"{self.comm}: O_TMPFILE fails here ({os.strerror(err)}); the opens are still made", file=sys.stderr)
        else:
            os.close(fd)

    def _tmpfile(self) -> None:
        fd = self._open(b".", O_TMPFILE_FLAGS, 0o600)
        if fd >= 0:
            os.write(fd, _DATA)
            os.close(fd)  # an O_TMPFILE file without a name vanishes on close

    def _mkstemp(self) -> None:
        for _ in range(10):  # a name clash (EEXIST) picks another name, like mkstemp
            name = MKSTEMP_PREFIX + "".join(self._rng.choice(_NAME_CHARS) for _ in range(6))
            self._made = name
            fd = self._open(name.encode(), MKSTEMP_FLAGS, 0o600)
            if fd >= 0:
                os.write(fd, _DATA)
                os.close(fd)
                os.unlink(name)
                break
        self._made = None

    def tick(self, n: int) -> None:
        if n % 2 == 0:
            self._tmpfile()
        else:
            self._mkstemp()

    def stop(self) -> None:
        if self._made is not None:  # stopped between open and unlink
            common.remove_quietly(self._made)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Tempfiles())


if __name__ == "__main__":
    sys.exit(main())
