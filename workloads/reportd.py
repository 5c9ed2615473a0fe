"""reportd: the capstone's mystery. It should write a report every second; it writes nothing.

Each tick it tries to open its template (TEMPLATE_DIR/<name>.tmpl, relative to its directory),
which does not exist: openat(2) fails with ENOENT. It then backs off on a timer (a read(2) that
blocks for BACKOFF_MS) and tries again on the next tick, for ever, without a word. The template
name and the back-off come from the seed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from workloads import common

COMM = "reportd"
ABOUT = "writes a report every second (so its users say)"
TEMPLATE_DIR = "templates"
CLASSIC_TEMPLATE = "weekly"
CLASSIC_BACKOFF_MS = 70


def template_path(name: str) -> str:
    return f"{TEMPLATE_DIR}/{name}.tmpl"


class Reportd:
    comm = COMM
    uses_dir = True

    def __init__(
        self, template: str = CLASSIC_TEMPLATE, backoff_ms: int = CLASSIC_BACKOFF_MS, comm: str = COMM
    ) -> None:
        self.comm = comm
        if not template.isalnum():
            raise ValueError("template must be letters and digits")
        if not 1 <= backoff_ms <= 80:
            raise ValueError("backoff_ms must be 1..80 (a tick is 100 ms)")
        self.path = template_path(template)
        self.backoff_ms = backoff_ms
        self._timer: common.OneShotTimer | None = None

    def start(self) -> None:
        os.makedirs(TEMPLATE_DIR, 0o700, exist_ok=True)  # the directory is there; the template is not
        self._timer = common.OneShotTimer()

    def tick(self, n: int) -> None:
        assert self._timer is not None
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._timer.wait(self.backoff_ms)  # quietly, as its author thought polite
            return
        os.close(fd)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.close()
        try:
            os.rmdir(TEMPLATE_DIR)
        except OSError:
            pass


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--template", default=CLASSIC_TEMPLATE)
    p.add_argument("--backoff-ms", type=int, default=CLASSIC_BACKOFF_MS)


def main(argv: Sequence[str] | None = None) -> int:
    return common.main(argv, ABOUT, lambda a: Reportd(a.template, a.backoff_ms), _add_arguments)


if __name__ == "__main__":
    sys.exit(main())
