"""What tracing system calls costs, measured on this machine with bpftrace.

    sudo .venv/bin/python -m benchmarks.syscall_overhead [--calls N] [--repeats R] [--no-attach]

Part 1, the cost per system call: a tight loop of getppid(2) calls (hand-assembled x86_64
machine code in an executable page, so the loop adds almost nothing to the syscall) is timed
untraced and while bpftrace counts
  - raw_syscalls:sys_enter: one BPF program runs on every system call of the machine;
  - raw_syscalls:sys_enter with a filter that rejects every event: on the pid (an integer,
    /pid == 0/: the idle task makes no system calls) and on the process name (a string);
  - syscalls:sys_enter_getppid: the per-syscall event of the very syscall in the loop;
  - syscalls:sys_enter_openat: an unrelated syscall's event; getppid runs no BPF program but
    still takes the slow path through the raw tracepoint and its per-syscall bitmap check.
Each configuration is timed R times over N calls; the fastest run and the median are shown.

Part 2, attaching and detaching: how long bpftrace takes to attach one per-syscall probe and
every `tracepoint:syscalls:sys_enter_*` probe, and to detach them after Ctrl-C (SIGINT).

Part 3, A/B with the kernel's own accounting: R rounds; in each, every configuration is
attached in turn, and the loop is timed untraced right before attaching (A) and traced (B), so
that a slow spell of the machine hits both sides of a pair.  While it is attached, the loop runs
once more with kernel.bpf_stats_enabled=1, and the BPF programs' run_time_ns / run_cnt (the
figures `bpftool prog show` prints, read here from /proc/PID/fdinfo of bpftrace's program fds)
give what one run of the program itself costs, apart from the tracepoint machinery around it.
The sysctl is restored afterwards.  Medians over the rounds, and the range, are printed.

Part 3's figures are also written to docs/figures/data/syscall-overhead.json (--data), and the
deep dive's cost chart is redrawn from that file (devtools/figures.py).

Needs root. The loop is x86_64 code; elsewhere a Python loop of os.getppid() is timed instead
(its figures include the interpreter's own cost per call).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import mmap
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bpfhol import bpftrace
from bpfhol.config import bpftrace_command
from bpfhol.process import Child

# getppid() N times, N in rdi:  mov r8, rdi;  1: mov eax, 110; syscall; dec r8; jnz 1b;  ret
# (r8 survives `syscall`, which clobbers rcx and r11; 110 is getppid in syscall_64.tbl)
_LOOP_X86_64 = bytes([0x49, 0x89, 0xF8, 0xB8, 110, 0, 0, 0, 0x0F, 0x05, 0x49, 0xFF, 0xC8, 0x75, 0xF4, 0xC3])

CONFIGS = (
    ("raw_syscalls:sys_enter, count every event", "tracepoint:raw_syscalls:sys_enter { @ = count(); }"),
    ("raw_syscalls:sys_enter, /pid == 0/ rejects all", "tracepoint:raw_syscalls:sys_enter /pid == 0/ { @ = count(); }"),
    (
        'raw_syscalls:sys_enter, /comm == "..."/ rejects all',
        'tracepoint:raw_syscalls:sys_enter /comm == "no-such-comm"/ { @ = count(); }',
    ),
    ("syscalls:sys_enter_getppid (the looping call), count", "tracepoint:syscalls:sys_enter_getppid { @ = count(); }"),
    ("syscalls:sys_enter_openat (another call), count", "tracepoint:syscalls:sys_enter_openat { @ = count(); }"),
)

ATTACH_PROBES = ("tracepoint:syscalls:sys_enter_getppid", "tracepoint:syscalls:sys_enter_*")

_ATTACHING = re.compile(r"Attaching (\d+) probes?")
WAIT = 120.0  # seconds any bpftrace step may take before the benchmark gives up


class BenchError(Exception):
    pass


def make_loop() -> tuple[Callable[[int], None], str, Callable[[], None]]:
    """A function making N getppid() calls, what it is, and how to free it."""
    if platform.machine() != "x86_64":

        def py_loop(n: int) -> None:
            getppid = os.getppid
            for _ in range(n):
                getppid()

        return py_loop, "Python loop of os.getppid() (includes the interpreter's cost)", lambda: None
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(_LOOP_X86_64)
    anchor = ctypes.c_char.from_buffer(page)
    fn = ctypes.CFUNCTYPE(None, ctypes.c_uint64)(ctypes.addressof(anchor))

    def free() -> None:
        nonlocal anchor
        del anchor  # the buffer export must go before the page can be unmapped
        page.close()

    return fn, "machine-code loop of getppid() (x86_64)", free


def ns_per_call(loop: Callable[[int], None], calls: int, repeats: int) -> tuple[float, float]:
    """(fastest, median) nanoseconds per call over `repeats` timed runs.

    The fastest run is the one other processes disturbed least: on a busy machine it is the
    figure to compare; the median shows how much the disturbance was.
    """
    loop(calls // 10)  # warm up
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        loop(calls)
        samples.append((time.perf_counter_ns() - t0) / calls)
    return min(samples), statistics.median(samples)


class Tracer:
    """One bpftrace run (a bpfhol.process.Child: its own process group, its lines read as they come)."""

    def __init__(self, program: str) -> None:
        env = dict(os.environ, **{bpftrace.NOTIFY_ENV: "1"})
        self.child = Child([*bpftrace_command(), "-e", program], env=env, markers=(bpftrace.NOTIFY_LINE,))
        self.proc = self.child.proc

    def _gone(self) -> BenchError:
        why = self.child.err.text().strip().splitlines()
        return BenchError(f"bpftrace exited ({self.proc.returncode}): {why[-1] if why else 'no message'}")

    def wait_line(self, pattern: str) -> tuple[float, str]:
        """The first stdout line matching `pattern`: (when it came, the line)."""
        found = self.child.wait_line(pattern, WAIT)
        if found is None:
            if self.child.returncode is not None:
                raise self._gone()
            raise BenchError(f"bpftrace printed no line matching {pattern!r} in {WAIT:.0f} s")
        return found

    def wait_attached(self) -> float:
        """When bpftrace said every probe was attached (its attach notification)."""
        seen = (self.child.out.seen, self.child.err.seen)
        if not self.child.wait_for(lambda: any(bpftrace.NOTIFY_LINE in s for s in seen), WAIT):
            raise self._gone() if self.child.returncode is not None else BenchError(f"not attached in {WAIT:.0f} s")
        return min(s[bpftrace.NOTIFY_LINE] for s in seen if bpftrace.NOTIFY_LINE in s)

    def interrupt(self) -> float:
        """Ctrl-C (SIGINT) to the group, again if bpftrace 0.17 lost it; seconds until bpftrace has exited."""
        t0 = time.monotonic()
        bpftrace.interrupt(self.child, t0 + WAIT)
        if self.child.returncode is None:
            raise BenchError(f"bpftrace still running {WAIT:.0f} s after Ctrl-C")
        return time.monotonic() - t0

    def kill(self) -> None:
        self.child.kill()


@contextmanager
def tracing(program: str) -> Iterator[Tracer]:
    """bpftrace running `program` with every probe attached; stopped (and reaped) afterwards."""
    tracer = Tracer(program)
    try:
        tracer.wait_attached()
        yield tracer
    finally:
        tracer.kill()


def part_overhead(calls: int, repeats: int) -> None:
    loop, what, free = make_loop()
    try:
        print(
            f"Cost per system call: {what}, {calls} calls a run, {repeats} runs;"
            " ns/call of the fastest run (median in brackets)",
            flush=True,
        )
        base, base_med = ns_per_call(loop, calls, repeats)
        print(f"  {'untraced':58} {base:7.1f}  ({base_med:.1f})", flush=True)
        for label, program in CONFIGS:
            with tracing(program):
                fast, med = ns_per_call(loop, calls, repeats)
            print(f"  {label:58} {fast:7.1f}  ({med:.1f})  {fast - base:+7.1f} ns/call", flush=True)
        again, again_med = ns_per_call(loop, calls, repeats)
        print(
            f"  {'untraced again (how steady this machine is)':58} {again:7.1f}  ({again_med:.1f})"
            f"  {again - base:+7.1f} ns/call",
            flush=True,
        )
    finally:
        free()


BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled"
BPF_PROG_TYPE_TRACEPOINT = 5


def prog_stats(pid: int) -> tuple[int, int]:
    """Sum of (run_time_ns, run_cnt) over the tracepoint programs process `pid` holds open."""
    run_ns = runs = 0
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{fd}") != "anon_inode:bpf-prog":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
        except OSError:
            continue
        if int(info.get("prog_type", "-1")) != BPF_PROG_TYPE_TRACEPOINT:
            continue
        run_ns += int(info.get("run_time_ns", "0"))
        runs += int(info.get("run_cnt", "0"))
    return run_ns, runs


@contextmanager
def bpf_stats() -> Iterator[None]:
    """kernel.bpf_stats_enabled=1 for the duration; the previous value afterwards."""
    with open(BPF_STATS) as f:
        before = f.read().strip()
    with open(BPF_STATS, "w") as f:
        f.write("1")
    try:
        yield
    finally:
        with open(BPF_STATS, "w") as f:
            f.write(before)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):+7.1f}  [{min(values):+.1f} .. {max(values):+.1f}]"


def part_ab(calls: int, rounds: int) -> dict[str, Any]:
    loop, what, free = make_loop()
    deltas: dict[str, list[float]] = {label: [] for label, _ in CONFIGS}
    per_run: dict[str, list[float]] = {label: [] for label, _ in CONFIGS}
    runs_per_call: dict[str, list[float]] = {label: [] for label, _ in CONFIGS}
    base: list[float] = []
    try:
        print(
            f"A/B, {rounds} rounds: {what}, {calls} calls a timing, median of 3 timings per side;"
            f" program cost from bpf_stats",
            flush=True,
        )
        for r in range(rounds):
            for label, program in CONFIGS:
                _, untraced = ns_per_call(loop, calls, 3)
                base.append(untraced)
                with tracing(program) as tracer:
                    _, traced = ns_per_call(loop, calls, 3)
                    with bpf_stats():
                        ns0, n0 = prog_stats(tracer.proc.pid)
                        loop(calls)
                        ns1, n1 = prog_stats(tracer.proc.pid)
                deltas[label].append(traced - untraced)
                if n1 > n0:
                    per_run[label].append((ns1 - ns0) / (n1 - n0))
                runs_per_call[label].append((n1 - n0) / calls)
            print(f"  round {r + 1}/{rounds} done", flush=True)
        print(
            f"  {'untraced (all A sides)':58} {statistics.median(base):7.1f} ns/call"
            f"  [{min(base):.1f} .. {max(base):.1f}]"
        )
        print(f"  {'':58} {'traced - untraced':>24}   {'one program run (bpf_stats)':>30}  runs/call")
        for label, _ in CONFIGS:
            prog = _spread(per_run[label]) if per_run[label] else "   (no runs)"
            print(
                f"  {label:58} {_spread(deltas[label]):>24}   {prog:>30}"
                f"  {statistics.median(runs_per_call[label]):5.2f}",
                flush=True,
            )
    finally:
        free()
    return {
        "loop": what,
        "calls": calls,
        "rounds": rounds,
        "untraced_ns": base,
        "configs": [
            {
                "label": label,
                "program": program,
                "traced_minus_untraced_ns": deltas[label],
                "program_run_ns": per_run[label],
                "runs_per_call": runs_per_call[label],
            }
            for label, program in CONFIGS
        ],
    }


DATA = Path(__file__).resolve().parent.parent / "docs" / "figures" / "data" / "syscall-overhead.json"


def bpftrace_version() -> str:
    out = subprocess.run([*bpftrace_command(), "--version"], capture_output=True, text=True, timeout=WAIT, check=False)
    return out.stdout.strip() or "unknown"


def write_data(path: Path, ab: dict[str, Any], bpftrace: str) -> None:
    """Part 3's figures as JSON, with the machine they were measured on (the chart's input)."""
    record = {
        "machine": {
            "kernel": platform.release(),
            "arch": platform.machine(),
            "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d"),
            "bpftrace": bpftrace,
        },
        **ab,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def part_attach() -> None:
    print("Attaching and detaching with bpftrace (count() on each probe)", flush=True)
    for probes in ATTACH_PROBES:
        tracer = Tracer(probes + " { @ = count(); }")
        try:
            t_start, line = tracer.wait_line(_ATTACHING.pattern)
            t_attached = tracer.wait_attached()
            time.sleep(1.0)  # trace for a second, as a learner would before pressing Ctrl-C
            detach = tracer.interrupt()
        finally:
            tracer.kill()
        # "Attaching N probes..." comes before the attaching (0.17 to 0.23).
        n = int(_ATTACHING.search(line).group(1))  # type: ignore[union-attr]
        print(
            f"  {probes:40} {n:>4} probe{'s' if n != 1 else ' '}: attach {t_attached - t_start:5.2f} s,"
            f" exit after Ctrl-C {detach:6.2f} s",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks.syscall_overhead", description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=1_000_000, help="getppid() calls per timed run")
    ap.add_argument("--repeats", type=int, default=7, help="timed runs per configuration (the median is shown)")
    ap.add_argument("--no-attach", action="store_true", help="skip part 2 (it takes about a minute here)")
    ap.add_argument("--ab-rounds", type=int, default=5, help="rounds of part 3 (0 skips it)")
    ap.add_argument("--only-ab", action="store_true", help="run part 3 only")
    ap.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="where part 3's figures go as JSON, and the chart is redrawn from (default: %(default)s)",
    )
    ap.add_argument("--no-data", action="store_true", help="write no data file and leave the chart alone")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("benchmarks.syscall_overhead: bpftrace loads BPF programs: run it as root", file=sys.stderr)
        return 2
    if args.calls < 1000 or args.repeats < 1:
        print("benchmarks.syscall_overhead: --calls must be at least 1000 and --repeats at least 1", file=sys.stderr)
        return 2
    print(
        f"Linux {platform.release()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d')}, bpftrace: {' '.join(bpftrace_command())}",
        flush=True,
    )
    try:
        if not args.only_ab:
            part_overhead(args.calls, args.repeats)
            if not args.no_attach:
                part_attach()
        if args.ab_rounds > 0:
            ab = part_ab(args.calls, args.ab_rounds)
            if not args.no_data:
                write_data(args.data, ab, bpftrace_version())
                print(f"part 3's figures written to {args.data}", flush=True)
                if args.data.resolve() == DATA:
                    from devtools import figures

                    figures.main([])
    except (BenchError, FileNotFoundError, subprocess.TimeoutExpired) as e:
        print(f"benchmarks.syscall_overhead: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
