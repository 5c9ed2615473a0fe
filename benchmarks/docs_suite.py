"""How long the docs suite takes, and whether it holds up beside a CPU hog.

    sudo .venv/bin/python -m benchmarks.docs_suite [--runs N] [--hogs K]

Runs the docs suite (every example of every page, real kernel, real workload) N times
in a row (default 1), with K busy-looping processes beside it (default none), and
prints each run's wall time and verdict, then the figures the README quotes.  The soak
the README reports is `--runs 10 --hogs 2`: a hog per core.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time

from bpfhol.config import ROOT

_HOG = "while True: pass"


def one_run() -> tuple[bool, float, str]:
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "docs", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - t0
    summary = next((ln for ln in r.stdout.splitlines() if re.match(r"\d+ examples: ", ln)), "no docs summary")
    if r.returncode != 0:  # the failure messages, not the timing table
        failures = r.stdout.split("= FAILURES =", 1)[-1].split("= docs examples =", 1)[0]
        summary += "\n" + failures[-6000:]
    return r.returncode == 0, wall, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.docs_suite", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--hogs", type=int, default=0, help="busy-looping processes beside the suite (default 0)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("benchmarks.docs_suite: the examples load BPF programs: run it as root", file=sys.stderr)
        return 2
    hogs = [subprocess.Popen([sys.executable, "-c", _HOG]) for _ in range(args.hogs)]
    walls, passed = [], 0
    try:
        for i in range(1, args.runs + 1):
            ok, wall, detail = one_run()
            walls.append(wall)
            passed += ok
            print(f"docs suite run {i}/{args.runs}: {'pass' if ok else 'FAIL'} in {wall:.1f} s  ({detail})", flush=True)
    finally:
        for h in hogs:
            h.send_signal(signal.SIGKILL)
            h.wait()
    print(
        f"docs suite: {passed}/{args.runs} runs passed with {len(hogs)} CPU hog(s) beside it on {os.cpu_count()} cores;"
        f" wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s"
    )
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
