"""launcher: starts another program, again and again, each time with the same arguments.

Every SPAWN_EVERY ticks it starts `argv[0]` with `argv` through posix_spawn(3) (glibc: clone3 or
clone with CLONE_VM|CLONE_VFORK, then execve(2) in the child), waits for it and reaps it. The
child starts under the launcher's name (a copy's comm is its parent's) and takes the program's
file name at the execve(2). The program is a small coreutils one that reads nothing, writes
only to /dev/null and ends within a millisecond or two: a few exec(2)s a second cost little.

The child inherits the environment, so it carries bpfhol's mark and dies with a killed lab like
every workload; stop() ends one still running.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from workloads import common

COMM = "launcher"
ABOUT = "runs a small helper program now and then"
SPAWN_EVERY = 4  # ticks: 2.5 starts a second, so any one-second window sees at least two
STARTS_PER_SECOND = common.TICK_HZ / SPAWN_EVERY
# expr prints the length of the match at the token's start, 0, and ends with 1: a null or zero result
CLASSIC_ARGV = ("/usr/bin/expr", "batch-4821", ":", "[0-9]*")
CLASSIC_STATUS = 1


class Launcher:
    comm = COMM
    uses_dir = False

    def __init__(self, argv: Sequence[str] = CLASSIC_ARGV, comm: str = COMM) -> None:
        self.comm = comm
        if not argv or not os.path.isabs(argv[0]):
            raise ValueError("the program must be given by its absolute path")
        if not all(arg and "\n" not in arg and "\0" not in arg for arg in argv):
            raise ValueError("arguments must be non-empty single lines")
        self._argv = list(argv)
        self._child: int | None = None
        self._null = -1
        self._to_null: list[tuple[int, int, int]] = []

    def start(self) -> None:
        if not os.access(self._argv[0], os.X_OK):
            raise OSError(f"{self._argv[0]}: not an executable program")
        # Opened once here (close-on-exec): the child only dup2()s it onto 0, 1 and 2, so it opens
        # no file under the launcher's name before its execve(2).
        self._null = os.open(os.devnull, os.O_RDWR)
        self._to_null = [(os.POSIX_SPAWN_DUP2, self._null, fd) for fd in (0, 1, 2)]

    def tick(self, n: int) -> None:
        if n % SPAWN_EVERY:
            return
        self._child = os.posix_spawn(self._argv[0], self._argv, os.environ, file_actions=self._to_null)
        os.waitpid(self._child, 0)
        self._child = None

    def stop(self) -> None:
        if self._child is not None:  # stopped while waiting: end the program and reap it
            try:
                os.kill(self._child, signal.SIGKILL)
                os.waitpid(self._child, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self._child = None
        if self._null >= 0:
            os.close(self._null)
            self._null = -1


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--argv",
        default=",".join(CLASSIC_ARGV),
        help="the program's path and its arguments, comma-separated (default: %(default)s)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Launcher(common.csv_list(a.argv)), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
