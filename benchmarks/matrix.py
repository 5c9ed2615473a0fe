"""How long the toolchain matrix takes from nothing, and with its chroots cached.

    sudo .venv/bin/python -m benchmarks.matrix [NAME...]

Runs `./dev matrix` twice on a fresh cache directory (BPFHOL_MATRIX_CACHE, removed at the
end): first from nothing (mmdebstrap, packages, the virtualenvs), then again with the
chroots built.  Prints both wall times and verdicts.  Leaves the course's own cache and
its docs/tested-on.json alone (--no-result).  Needs a few GiB of disk and the mirrors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bpfhol.config import ROOT


def one_run(cache: Path, names: list[str]) -> tuple[int, float, str]:
    env = dict(os.environ, BPFHOL_MATRIX_CACHE=str(cache))
    t0 = time.monotonic()
    r = subprocess.run(
        [str(ROOT / "dev"), "matrix", "--no-result", *names], cwd=ROOT, env=env, capture_output=True, text=True
    )
    table = r.stdout.split("\n\n", 1)[-1].rstrip()
    return r.returncode, time.monotonic() - t0, table + ("\n" + r.stderr[-2000:] if r.returncode > 1 else "")


def main(names: list[str]) -> int:
    cache = Path(tempfile.mkdtemp(prefix="bpfhol-matrix-bench-", dir="/var/tmp"))
    worst = 0
    try:
        for label in ("from nothing (chroots built)", "chroots cached"):
            rc, wall, table = one_run(cache, names)
            worst = max(worst, rc)
            print(f"matrix {label}: {wall / 60:.1f} min ({wall:.0f} s), exit {rc}", flush=True)
            print("  " + table.replace("\n", "\n  "), flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return worst


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("benchmarks.matrix: run as root (it builds chroots and loads BPF programs)")
    raise SystemExit(main(sys.argv[1:]))
