"""ledgerd (this module): asks the kernel for random bytes: calls that are slow because the kernel works.

Each tick calls getrandom(2) for SIZE_KIB kibibytes: the kernel generates them on this CPU
(ChaCha20 in drivers/char/random.c), so the call takes a fraction of a millisecond and never
sleeps. Beside brokerd (pipewait.py) it shows the difference between waiting and working in a syscall.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from workloads import common

COMM = "ledgerd"
ABOUT = "draws random bytes from the kernel"
CLASSIC_SIZE_KIB = 128


class Digest:
    comm = COMM
    uses_dir = False

    def __init__(self, size_kib: int = CLASSIC_SIZE_KIB, comm: str = COMM) -> None:
        self.comm = comm
        if not 1 <= size_kib <= 1024:
            raise ValueError("size_kib must be 1..1024")
        self.size = size_kib * 1024

    def start(self) -> None:
        pass

    def tick(self, n: int) -> None:
        os.getrandom(self.size)

    def stop(self) -> None:
        pass


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size-kib", type=int, default=CLASSIC_SIZE_KIB, help="bytes a call, in KiB (default %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Digest(a.size_kib), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
