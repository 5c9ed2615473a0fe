"""How long the kernel matrix takes per kernel: the boot, the set-up, the docs examples, each example.

    sudo .venv/bin/python -m benchmarks.kernels [-k FILTER] [KERNEL...]     (default: all: 6.1, 6.12, 7.x)

Runs `./dev matrix --kernel K --no-result` for each kernel (a VM under QEMU's TCG, see
devtools/kernels.py), then reads the guest's own report and clock: boot (guest uptime when its
first command ran), `./dev setup`, all docs examples, and each example's run from start to
exit (with two vCPUs three run at once, so their sum exceeds the examples' wall time; with one, as
6.1's guest has, one at a time).
Uses the matrix's cache (chroots, kernels); leaves docs/tested-on.json alone.  The target is
boot plus all examples within 15 minutes per kernel on a 2-core machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bpfhol.config import ROOT
from devtools import kernel_run, kernels, kvm, toolchains

TARGET = 15 * 60


def figures(k: kernels.Kernel, wall: float, rc: int, only: str = "") -> list[str]:
    guest = kernels.read_guest(toolchains.toolchain(k.toolchain))
    times, report = guest["times"], guest["report"] or {}
    lines = [f"kernel {k.series} ({times.get('kernel', '?')}, {k.toolchain}): whole run {wall:.0f} s, exit {rc}"]
    if "booted" not in times:
        return [*lines, "  the guest wrote no times: it did not get to run its script (see the matrix's log)"]
    boot, setup_end, done = float(times["booted"]), float(times["set_up"]), float(times["done"])
    total = done  # guest uptime: from the kernel's start
    runs = [e for e in report.get("examples", []) if "seconds" in e]
    everything = report.get("examples", [])
    missing = sum(1 for e in everything if e["outcome"] == "not run")
    verdict = (
        f"target {TARGET // 60} min: {'met' if total <= TARGET else 'MISSED'}"
        if not (missing or only)
        else f"only {len(everything) - missing} examples ({only or 'the rest did not run'}): target not judged"
    )
    lines.append(
        f"  boot {boot:.0f} s, ./dev setup {setup_end - boot:.0f} s, docs examples {done - setup_end:.0f} s;"
        f" boot + set-up + examples {total:.0f} s ({total / 60:.1f} min, {verdict})"
    )
    accel = kvm.detect()
    lines.append(f"  {accel.reason}")
    if estimate := kernel_run.kvm_estimate(times, accel):
        total_kvm = sum(estimate.values())
        lines.append(
            "  under KVM (an ESTIMATE from the guest's own CPU time, not a measurement):"
            + "".join(f" {name} {v:.0f} s," for name, v in estimate.items())
            + f" {total_kvm:.0f} s ({total_kvm / 60:.1f} min)"
        )
    if runs:
        secs = sorted(e["seconds"] for e in runs)
        lines.append(
            f"  per example ({len(runs)} ran): median {statistics.median(secs):.1f} s,"
            f" mean {statistics.mean(secs):.1f} s, max {secs[-1]:.1f} s"
        )
        by_kind: dict[str, list[float]] = {}
        for e in runs:
            by_kind.setdefault(Path(e["snippet"].split(", ")[0]).suffix or "?", []).append(e["seconds"])
        lines.append(
            "  by kind: "
            + ", ".join(f"{kind} {len(v)} x median {statistics.median(v):.1f} s" for kind, v in sorted(by_kind.items()))
        )
        slowest = sorted(runs, key=lambda e: -e["seconds"])[:5]
        lines.append(
            "  slowest: " + ", ".join(f"{Path(e['snippet'].split(', ')[0]).name} {e['seconds']:.0f} s" for e in slowest)
        )
    return lines


def main(argv: list[str]) -> int:
    only = ""
    if argv[:1] == ["-k"] and len(argv) > 1:  # some examples only (pytest -k), as ./dev matrix -k
        only, argv = argv[1], argv[2:]
    names = argv
    try:
        wanted = kernels.resolve(names or ["all"])
    except ValueError as e:
        sys.exit(f"benchmarks.kernels: {e}")
    worst = 0
    for k in wanted:
        t0 = time.monotonic()
        cmd = [str(ROOT / "dev"), "matrix", "--no-result", "--kernel", k.series, *(["-k", only] if only else [])]
        rc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL).returncode
        worst = max(worst, rc)
        print("\n".join(figures(k, time.monotonic() - t0, rc, only)), flush=True)
    return worst


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("benchmarks.kernels: run as root (it boots VMs and loads BPF programs)")
    raise SystemExit(main(sys.argv[1:]))
