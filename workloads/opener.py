"""opener: opens a rotating set of named files in its directory, and closes them.

Each tick opens every file once (openat(2) through os.open, O_RDONLY), starting one further
along the list each time, so "which process opens which file" has a clear answer.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from workloads import common

COMM = "opener"
ABOUT = "reads a few files in its directory"
CLASSIC_FILES = ("config.ini", "data.db", "cache.bin", "notes.txt")


class Opener:
    comm = COMM
    uses_dir = True

    def __init__(self, files: Sequence[str] = CLASSIC_FILES, comm: str = COMM) -> None:
        self.comm = comm
        if not files or len(set(files)) != len(files):
            raise ValueError("files must be distinct names")
        for name in files:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"file name {name!r} must be a plain name")
        self._files = list(files)

    def start(self) -> None:
        for name in self._files:
            common.write_file(name, f"{name}: a file the opener opens\n")

    def tick(self, n: int) -> None:
        files = self._files
        first = n % len(files)
        for name in files[first:] + files[:first]:
            os.close(os.open(name, os.O_RDONLY))

    def stop(self) -> None:
        for name in self._files:
            common.remove_quietly(name)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--files", default=",".join(CLASSIC_FILES), help="file names, comma-separated (default: %(default)s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Opener(common.csv_list(a.files)), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
