"""brokerd (this module): waits on a timer in every read(2): slow calls that use no CPU.

Each tick arms a one-shot timerfd for WAIT_MS milliseconds and reads it: the read blocks until
the kernel's timer fires, so each read(2) takes about WAIT_MS, asleep. The latency exercises
time these calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from workloads import common

COMM = "brokerd"
ABOUT = "waits for a timer in each read"
CLASSIC_WAIT_MS = 20


class Pipewait:
    comm = COMM
    uses_dir = False

    def __init__(self, wait_ms: int = CLASSIC_WAIT_MS, comm: str = COMM) -> None:
        self.comm = comm
        if not 1 <= wait_ms <= 80:
            raise ValueError("wait_ms must be 1..80 (a tick is 100 ms)")
        self.wait_ms = wait_ms
        self._timer: common.OneShotTimer | None = None

    def start(self) -> None:
        self._timer = common.OneShotTimer()

    def tick(self, n: int) -> None:
        assert self._timer is not None
        self._timer.wait(self.wait_ms)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.close()


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--wait-ms", type=int, default=CLASSIC_WAIT_MS, help="each read's wait (default %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Pipewait(a.wait_ms), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
