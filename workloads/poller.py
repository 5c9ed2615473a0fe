"""poller: checks a directory for work and reads its state file, over and over.

Each tick makes CALLS_PER_TICK openat(2) calls through two C library functions: `os.open` on its
state file (glibc's open64) and `os.listdir` on the subdirectory it creates at start (glibc's
opendir, which opens through its own internal function). `opens` of every CALLS_PER_TICK are the
first kind, spread evenly over the tick, so any window of calls holds the two in the scenario's
proportion; the stacks exercises ask which C library function makes most of the calls, and which
path each one opens (both names relative, as the calls pass them).
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
LISTED = "inbox"
# The names a scenario draws its state file's and its listed directory's from (neutral: neither
# says which call opens it).
FILES = ("state", "status", "ledger", "marker", "cursor")
DIRS = ("inbox", "spool", "queue", "outbox", "work")


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

    def __init__(self, opens: int, comm: str = COMM, file: str = FILE, listed: str = LISTED) -> None:
        if file == listed or "/" in file + listed:
            raise ValueError(f"the state file and the listed directory need two plain names, not {file!r}, {listed!r}")
        self.comm = comm
        self.pattern = pattern(opens)
        self.file = file
        self.listed = listed

    def start(self) -> None:
        common.write_file(self.file, "idle\n")
        try:
            os.mkdir(self.listed, 0o700)
        except FileExistsError:
            pass

    def tick(self, n: int) -> None:
        for kind in self.pattern:
            if kind == "O":
                os.close(os.open(self.file, os.O_RDONLY))
            else:
                os.listdir(self.listed)

    def stop(self) -> None:
        common.remove_quietly(self.file)
        try:
            os.rmdir(self.listed)
        except OSError:
            pass


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--opens", type=int, default=3, help=f"os.open calls of every {CALLS_PER_TICK} (default: %(default)s)"
    )
    p.add_argument("--file", default=FILE, help="the state file it opens (default: %(default)s)")
    p.add_argument("--listed", default=LISTED, help="the directory it lists (default: %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Poller(a.opens, file=a.file, listed=a.listed), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
