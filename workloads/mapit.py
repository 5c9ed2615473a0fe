"""mapit: maps and unmaps anonymous memory, about a thousand mmap(2) calls a second.

Call i maps `pages[i % len(pages)]` pages, MAP_SHARED or MAP_PRIVATE as `pattern[i % len(pattern)]`
says ('S' or 'P'; always | MAP_ANONYMOUS), and each tick unmaps everything it mapped.

Python's `mmap.mmap(-1, ...)` makes exactly one mmap(2) call and `close()` one munmap(2). Nothing
else in the loop may map memory, since the answer key lists the sizes exactly: the garbage
collector is off and the loop allocates only small objects, which reuse pymalloc's arenas.
"""

from __future__ import annotations

import argparse
import gc
import math
import mmap
import sys
from collections.abc import Sequence

from workloads import common

COMM = "mapit"
ABOUT = "allocates and frees memory buffers"
CALLS_PER_SECOND = 1000
CLASSIC_PAGES = tuple(range(1, 11))
CLASSIC_PATTERN = "PSSS"  # call 0 private, calls 1-3 shared: 75 % MAP_SHARED
_PROT = mmap.PROT_READ | mmap.PROT_WRITE


class Mapit:
    comm = COMM
    uses_dir = False

    def __init__(
        self,
        pages: Sequence[int] = CLASSIC_PAGES,
        pattern: str = CLASSIC_PATTERN,
        rate: int = CALLS_PER_SECOND,
        comm: str = COMM,
    ) -> None:
        self.comm = comm
        if not pages or any(not 1 <= p <= 256 for p in pages):
            raise ValueError("pages must be 1..256 each")
        if not pattern or set(pattern) - {"S", "P"}:
            raise ValueError("pattern must be a string of S (shared) and P (private)")
        if rate < common.TICK_HZ:
            raise ValueError(f"rate must be at least {common.TICK_HZ} calls a second")
        flag = {"S": mmap.MAP_SHARED, "P": mmap.MAP_PRIVATE}
        n = len(pages) * len(pattern) // math.gcd(len(pages), len(pattern))
        # The whole (size, flags) cycle is built once: the loop only indexes it.
        self._cycle = [(pages[i % len(pages)] * mmap.PAGESIZE, flag[pattern[i % len(pattern)]]) for i in range(n)]
        self._batch = rate // common.TICK_HZ
        self._maps: list[mmap.mmap | None] = [None] * self._batch
        self._next = 0

    def start(self) -> None:
        gc.disable()
        gc.freeze()

    def tick(self, n: int) -> None:
        cycle, maps, i, period = self._cycle, self._maps, self._next, len(self._cycle)
        for j in range(self._batch):
            size, flags = cycle[i]
            i = i + 1 if i + 1 < period else 0
            try:
                maps[j] = mmap.mmap(-1, size, flags, _PROT)
            except OSError:  # ENOMEM under pressure: the call was made (and traced) all the same
                maps[j] = None
        self._next = i
        self._unmap_all()

    def _unmap_all(self) -> None:
        maps = self._maps
        for j in range(self._batch):
            m = maps[j]
            if m is not None:
                m.close()
                maps[j] = None

    def stop(self) -> None:
        self._unmap_all()


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pages",
        default=",".join(map(str, CLASSIC_PAGES)),
        help="page counts to cycle through, comma-separated (default: 1..10)",
    )
    p.add_argument(
        "--pattern",
        default=CLASSIC_PATTERN,
        help="S (MAP_SHARED) / P (MAP_PRIVATE) per call, repeating (default: PSSS)",
    )
    p.add_argument("--rate", type=int, default=CALLS_PER_SECOND, help="mmap calls a second")


def _make(args: argparse.Namespace) -> Mapit:
    try:
        pages = [int(x) for x in common.csv_list(args.pages)]
    except ValueError:
        raise ValueError(f"--pages {args.pages}: not a comma-separated list of numbers") from None
    return Mapit(pages, args.pattern, args.rate)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, _make, _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
