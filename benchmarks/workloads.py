"""What the labs' workloads cost, and how many events each makes.

    sudo .venv/bin/python -m benchmarks.workloads [--lab NAME ...] [--seed N] [--seconds S] [--trace-seconds T]

Starts every lab (or those named) at once, each with its own state directory (so they can run
beside a learner's),
measures each workload's CPU from /proc/<pid>/stat (utime + stime) over S seconds untraced,
its memory (RSS and PSS), then counts its system calls with bpftrace for T seconds (and the CPU
it uses while traced). Exits 1 if the workloads together use more than 5 % of one core: the
budget holds with every lab running at once.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from bpfhol.bpftrace import trace
from bpfhol.labs import LABS
from bpfhol.labs.process import LabProcess
from bpfhol.procfs import proc_stat

CPU_LIMIT = 5.0  # % of one core, all workloads together
_TICK = os.sysconf("SC_CLK_TCK")
_PROBES = (
    "mmap",
    "munmap",
    "openat",
    "open",
    "close",
    "unlink",
    "write",
    "read",
    "getrandom",
    "timerfd_settime",
    "clock_gettime",
)


def _cpu_ticks(pids: dict[str, int]) -> dict[str, int]:
    out = {}
    for name, pid in pids.items():
        st = proc_stat(pid)
        if st is None:
            raise SystemExit(f"{name} (pid {pid}) is gone")
        out[name] = st.utime + st.stime
    return out


def _cpu_percent(pids: dict[str, int], seconds: float) -> dict[str, float]:
    before, t0 = _cpu_ticks(pids), time.monotonic()
    time.sleep(seconds)
    after, t1 = _cpu_ticks(pids), time.monotonic()
    return {n: 100.0 * (after[n] - before[n]) / _TICK / (t1 - t0) for n in pids}


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB: PSS shares the pages the forked workloads have in common fairly."""
    vals = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                vals[key] = int(rest.split()[0])
    return vals["Rss"], vals["Pss"]


def _count_events(pids: dict[str, int], seconds: float) -> dict[str, dict[str, float]]:
    """System calls a second per workload, from bpftrace (and close's -EBADF returns)."""
    pred = " || ".join(f"pid == {p}" for p in pids.values())
    probes = ",\n".join(f"tracepoint:syscalls:sys_enter_{s}" for s in _PROBES)
    prog = f"""
{probes} /{pred}/ {{ @calls[pid, probe] = count(); }}
tracepoint:syscalls:sys_exit_close /({pred}) && args->ret == -9/ {{ @ebadf[pid] = count(); }}
"""
    try:
        maps = trace(prog, seconds)
    except RuntimeError as e:
        raise SystemExit(str(e)) from None
    by_pid = {pid: name for name, pid in pids.items()}
    rates: dict[str, dict[str, float]] = {name: {} for name in pids}
    for key, n in maps.get("@calls", {}).items():
        pid, probe = key.split(",", 1)
        rates[by_pid[int(pid)]][probe.rsplit("sys_enter_", 1)[1]] = n / seconds
    for pid, n in maps.get("@ebadf", {}).items():
        rates[by_pid[int(pid)]]["close -EBADF"] = n / seconds
    return rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.workloads", description=__doc__.splitlines()[0])
    ap.add_argument("--lab", action="append", choices=list(LABS), help="a lab to start (default: all of them)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10.0, help="untraced CPU measurement (default 10)")
    ap.add_argument("--trace-seconds", type=float, default=5.0, help="traced event count (default 5)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("benchmarks.workloads: counting events loads BPF programs: run it as root", file=sys.stderr)
        return 2
    labs: list[LabProcess] = []
    try:
        for name in args.lab or LABS:
            labs.append(LabProcess(name, args.seed))
        pids = {comm: pid for lab in labs for comm, pid in lab.pids.items()}
        time.sleep(1.0)  # past start-up
        cpu = _cpu_percent(pids, args.seconds)
        mem = {n: _memory_kib(p) for n, p in pids.items()}
        t0 = _cpu_ticks(pids)
        t_start = time.monotonic()
        rates = _count_events(pids, args.trace_seconds)
        traced_wall = time.monotonic() - t_start
        t1 = _cpu_ticks(pids)
        cpu_traced = {n: 100.0 * (t1[n] - t0[n]) / _TICK / traced_wall for n in pids}
        sups = [proc_stat(lab.pid) for lab in labs]
    finally:
        for lab in labs:
            lab.stop()

    total = sum(cpu.values())
    names = ", ".join(lab.spec.name for lab in labs)
    print(
        f"bpfhol workloads of the {names} lab(s) together, seed {args.seed}: kernel {platform.release()}, "
        f"{os.cpu_count()} CPUs, "
        f"CPU over {args.seconds:g} s untraced; events counted with bpftrace over {args.trace_seconds:g} s"
    )
    print(f"{'COMM':<10} {'CPU %':>6} {'traced':>7} {'RSS MiB':>8} {'PSS MiB':>8}  SYSCALLS A SECOND (traced)")
    for name in pids:
        ev = ", ".join(f"{k} {v:.0f}" for k, v in sorted(rates[name].items(), key=lambda kv: -kv[1]))
        rss, pss = mem[name]
        print(f"{name:<10} {cpu[name]:>6.2f} {cpu_traced[name]:>7.2f} {rss / 1024:>8.1f} {pss / 1024:>8.1f}  {ev}")
    print(
        f"{'total':<10} {total:>6.2f} {sum(cpu_traced.values()):>7.2f} "
        f"{sum(m[0] for m in mem.values()) / 1024:>8.1f} {sum(m[1] for m in mem.values()) / 1024:>8.1f}"
    )
    ticks = sum(sup.utime + sup.stime for sup in sups if sup is not None)
    print(f"(the supervisors wait in waitpid(): {ticks} CPU ticks in all, start-up included)")
    verdict = "within" if total <= CPU_LIMIT else "OVER"
    print(f"workloads together: {total:.2f} % of one core untraced, {verdict} the {CPU_LIMIT:g} % budget")
    return 0 if total <= CPU_LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
