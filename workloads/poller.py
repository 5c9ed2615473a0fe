"""poller: checks its directory for work and reads its state file, over and over.

Each tick makes CALLS_PER_TICK openat(2) calls through two C library functions: `os.open` on its
state file (glibc's open64) and `os.listdir` on its directory (glibc's opendir, which opens through
its own internal function). `opens` of every CALLS_PER_TICK are the first kind, spread evenly over
the tick, so any window of calls holds the two in the scenario's proportion; the stacks exercise
asks which C library function makes most of the calls.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence

from workloads import common

COMM = "poller"
ABOUT = "watches its directory and keeps a small state file"
CALLS_PER_TICK = 10  # openat(2) calls a tick: 100 a second at TICK_HZ
FILE = "state"


def pattern(opens: int, total: int = CALLS_PER_TICK) -> str:
    """'O' (os.open) `opens` times among `total` calls, the rest 'L' (os.listdir), evenly spread."""
    if not 0 <= opens <= total:
        raise ValueError(f"opens must be 0..{total}, not {opens}")
    g = math.gcd(opens, total) or total
    k, n = opens // g, total // g
    one = "".join("O" if (i + 1) * k // n > i * k // n else "L" for i in range(n))
    return one * g


class Poller:
    comm = COMM
    uses_dir = True

    def __init__(self, opens: int, comm: str = COMM) -> None:
        self.comm = comm
        self.pattern = pattern(opens)

    def start(self) -> None:
        common.write_file(FILE, "idle\n")

    def tick(self, n: int) -> None:
        for kind in self.pattern:
            if kind == "O":
                os.close(os.open(FILE, os.O_RDONLY))
            else:
                os.listdir(".")

    def stop(self) -> None:
        common.remove_quietly(FILE)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--opens", type=int, default=3, help=f"os.open calls of every {CALLS_PER_TICK} (default: %(default)s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Poller(a.opens), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
