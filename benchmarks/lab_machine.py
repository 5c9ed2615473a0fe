"""What a lab machine needs: memory while a learner works, disk for what `./dev setup` installs.

    sudo .venv/bin/python -m benchmarks.lab_machine [--seconds S]

Starts the syscalls lab (its own state directory, so it runs beside a learner's), then runs a
course program as a learner does (`bpfhol run`), first bpftrace's, then BCC's (whose clang
compile is the largest moment), each for S seconds. Every 0.1 s it sums the RSS and PSS of every
process of the lab and of the program (and their children); it prints the peaks of each phase. Disk: the
Installed-Size of the Debian packages setup installs with everything they depend on (an upper
bound: a fresh image already holds part of it), the venv and the checkout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bpfhol import config
from bpfhol.labs.process import LabProcess
from bpfhol.process import Child

PROGRAMS = ("syscalls/mmap-top-caller.bt", "syscalls/mmap-top-caller.py")
# What ./dev setup asks apt for (its setup_packages, and the headers of the running kernel).
PACKAGES = ("bpftrace", "bpfcc-tools", "python3-bpfcc", "bpftool", "strace", "linux-libc-dev", "python3-venv")


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _tree(roots: set[int]) -> list[int]:
    """The roots and all their descendants (a program runs in a session of its own: follow parents)."""
    parent = {pid: _parent_of(pid) for pid in (int(p) for p in os.listdir("/proc") if p.isdigit())}
    found = []
    for pid in parent:
        p: int | None = pid
        while p and p not in roots:
            p = parent.get(p)
        if p:
            found.append(pid)
    return found


def _hwm_kib(pid: int) -> int:
    """The process's own peak RSS (VmHWM): catches a spike between two samples."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


def _memory_kib(pid: int) -> tuple[int, int]:
    vals = {"Rss": 0, "Pss": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in vals:
                    vals[key] = int(rest.split()[0])
    except OSError:
        pass  # gone between the listing and the read
    return vals["Rss"], vals["Pss"]


class Peak:
    """Samples the summed RSS and PSS of the given processes and their descendants until stopped."""

    def __init__(self, roots: set[int]) -> None:
        self.roots = roots
        self.rss = self.pss = self.processes = self.hwm = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            mine = _tree(self.roots)
            mem = [_memory_kib(p) for p in mine]
            self.rss = max(self.rss, sum(r for r, _ in mem))
            self.pss = max(self.pss, sum(p for _, p in mem))
            self.processes = max(self.processes, len(mine))
            self.hwm = max([self.hwm, *(_hwm_kib(p) for p in mine)])
            self._stop.wait(0.1)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _installed_kib(packages: tuple[str, ...]) -> tuple[int, int]:
    """(KiB, package count) of the installed packages and everything they depend on."""
    out = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests", "--no-conflicts",
         "--no-breaks", "--no-replaces", "--no-enhances", *packages],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    names = {line.strip() for line in out.splitlines() if line and not line.startswith(" ") and "<" not in line}
    sizes = subprocess.run(
        ["dpkg-query", "-Wf", "${db:Status-Abbrev}\t${Installed-Size}\n", *sorted(names)],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    kib = [int(s) for st, s in (line.split("\t") for line in sizes.splitlines()) if st.startswith("ii") and s]
    return sum(kib), len(kib)


def _headers_package() -> str:
    """The running kernel's headers package, or the generic one setup falls back to."""
    own = f"linux-headers-{os.uname().release}"
    found = subprocess.run(["apt-cache", "show", own], capture_output=True).returncode == 0
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    return own if found else f"linux-headers-{arch}"


def _du_kib(path: Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0, help="how long each program traces (default 5)")
    args = p.parse_args()
    if os.geteuid() != 0:
        print("benchmarks.lab_machine: loads BPF programs: run it as root", file=sys.stderr)
        return 2
    lab = LabProcess("syscalls")
    try:
        with Peak({lab.proc.pid}) as idle:
            time.sleep(args.seconds)
        print(f"lab alone (syscalls, {idle.processes} processes): peak RSS {idle.rss // 1024} MiB, "
              f"PSS {idle.pss // 1024} MiB; largest process {idle.hwm // 1024} MiB")  # fmt: skip
        for program in PROGRAMS:
            argv = [sys.executable, "-m", "bpfhol", "run", program, "--duration", str(args.seconds)]
            with Child(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as run:
                with Peak({lab.proc.pid, run.pid}) as traced:
                    rc = run.wait(timeout=args.seconds + 120)
            print(f"lab + bpfhol run {program} (exit {rc}, {traced.processes} processes at most): "
                  f"peak RSS {traced.rss // 1024} MiB, PSS {traced.pss // 1024} MiB; "
                  f"largest process {traced.hwm // 1024} MiB")  # fmt: skip
    finally:
        lab.stop()
        lab.cleanup()
    kib, count = _installed_kib((*PACKAGES, _headers_package()))
    print(f"disk: {count} installed packages (setup's and all they depend on): {kib // 1024} MiB at most")
    venv = config.ROOT / ".venv"
    if venv.is_dir():
        print(f"disk: the venv {_du_kib(venv) // 1024} MiB; the checkout without it "
              f"{(_du_kib(config.ROOT) - _du_kib(venv)) // 1024} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
