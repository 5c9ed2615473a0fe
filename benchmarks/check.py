"""Time to verdict of `bpfhol check`, per exercise, for the course's bpftrace and BCC solutions.

    sudo .venv/bin/python -m benchmarks.check [--seconds N] [--runs K]

Against a running lab (fresh random seed, state directory of its own), each solution is checked
K times (default 3) with an N-second window (default 1), as a learner runs it; the figure is the
wall time of the whole command, from start to verdict. The budget is the window plus 2 s. A last
line times one check that starts and stops its own lab.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bpfhol.config import ROOT
from bpfhol.grading import workload
from bpfhol.grading.exercises import EXERCISES

SOLUTIONS = {
    "mmap-1": "mmap-top-caller",
    "mmap-2": "mmap-sizes",
    "mmap-3": "mmap-shared-ratio",
    "open-1": "open-files",
    "open-2": "open-by-process",
    "open-3": "open-tempfiles",
    "close-1": "close-ebadf",
}
BUDGET = 2.0  # seconds on top of the window


def one(exercise: str, path: str, seconds: float, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "bpfhol", "check", exercise, path, "--seconds", str(seconds), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    wall = time.monotonic() - t0
    try:
        verdict = json.loads(p.stdout)["verdict"]
    except (ValueError, KeyError):
        verdict = f"error: {p.stderr.strip()[:80]}"
    return wall, verdict


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("benchmarks.check: needs root (sudo)", file=sys.stderr)
        return 2
    assert set(SOLUTIONS) == set(EXERCISES)
    worst = 0
    with tempfile.TemporaryDirectory(prefix="bpfhol-bench-state-") as state:
        os.chmod(state, 0o700)
        env = dict(os.environ, BPFHOL_STATE_DIR=state)
        os.environ["BPFHOL_STATE_DIR"] = state
        lab = workload.start("syscalls", workload.fresh_seed())
        try:
            print(
                f"bpfhol check, {args.seconds:g} s window, {args.runs} runs each, against a running lab "
                f"(seed {lab.seed}); budget {args.seconds + BUDGET:g} s"
            )
            print(f"{'EXERCISE':<8} {'SOLUTION':<22} {'VERDICTS':<10} {'MEDIAN':>7} {'MAX':>7}  OVER WINDOW")
            for exercise, base in SOLUTIONS.items():
                for ext in ("bt", "py"):
                    path = str(ROOT / "snippets" / "syscalls" / f"{base}.{ext}")
                    runs = [one(exercise, path, args.seconds, env) for _ in range(args.runs)]
                    walls = [w for w, _ in runs]
                    verdicts = {v for _, v in runs}
                    over = max(walls) - args.seconds
                    if verdicts != {"right"} or over > BUDGET:
                        worst = 1
                    print(
                        f"{exercise:<8} {base + '.' + ext:<22} {','.join(sorted(verdicts)):<10} "
                        f"{statistics.median(walls):>6.2f}s {max(walls):>6.2f}s  +{over:.2f} s",
                        flush=True,
                    )
        finally:
            workload.stop(lab)
        del os.environ["BPFHOL_STATE_DIR"]
        wall, verdict = one("open-1", str(ROOT / "snippets" / "syscalls" / "open-files.bt"), args.seconds, env)
        print(f"one check that starts and stops its own lab: {wall:.2f} s ({verdict})")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
