"""The toolchain and kernel matrix: the course's suite on each toolchain, the docs examples on each kernel.

    sudo ./dev matrix [NAME...] [--full] [--rebuild] [--output FILE]
    sudo ./dev matrix --kernel K [-k FILTER] [--capture] [--output FILE]
    ./dev matrix --merge FILE...  [--output FILE]

A toolchain cell is a Debian release's bpftrace, BCC and Python in a chroot on this kernel
(devtools.toolchain_run); a kernel cell is that release's own kernel in a VM (devtools.kernel_run).
Prints a table, and writes the cells that ran into docs/tested-on.json (the *Tested on* page is
generated from it), or with --output into a file of their own, in the same shape; --merge puts
such files together.  Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bpfhol import config
from devtools import chroot, kernels, kvm, results, tables, tested_on, toolchains
from devtools.chroot import say
from devtools.kernel_run import run_kernel
from devtools.results import CellResult
from devtools.toolchain_run import NoSources, build_missing, run_toolchain


class Stopped(Exception):
    """SIGTERM or SIGHUP: leave as Ctrl-C would."""


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="the whole suite, site build and browser tests too")
    p.add_argument("--rebuild", action="store_true", help="build the chroots again from nothing")
    p.add_argument(
        "--wait-quiet", type=float, default=0.0, metavar="S", help="wait up to S seconds for another lab run to end"
    )
    where = results.RESULT.relative_to(config.ROOT)
    p.add_argument("--no-result", action="store_true", help=f"write no result (not {where})")
    p.add_argument("--output", type=Path, metavar="FILE", help=f"write the result to FILE instead of {where}")
    p.add_argument("--merge", nargs="+", type=Path, metavar="FILE", help="merge result files (no run); see --output")
    p.add_argument(
        "--kernel",
        action="append",
        default=[],
        metavar="K",
        help=f"instead: the docs examples in a VM on Debian's kernel K ({', '.join(kernels.KERNELS)} or all;"
        " repeat or comma-separate), with its release's toolchain",
    )
    p.add_argument("-k", dest="only", default="", metavar="FILTER", help="with --kernel: only these examples")
    p.add_argument("--capture", action="store_true", help="with --kernel: re-capture kernel-scoped outputs")
    p.add_argument(
        "--kernel-timeout",
        type=float,
        metavar="S",
        help=f"kill a guest still running after S seconds (default {kernels.GUEST_TIMEOUT:.0f} under TCG,"
        f" {kernels.KVM_GUEST_TIMEOUT:.0f} under KVM)",
    )


def _check(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """One line and exit status 2 for options that do not go together."""
    if args.merge and (args.names or args.kernel or args.full or args.only or args.capture):
        p.error("--merge runs nothing: give it result files only (and --output)")
    if args.kernels and args.names:
        p.error("name toolchains or --kernel, not both: each kernel runs with its own release's toolchain")
    if (args.only or args.capture) and not args.kernels:
        p.error("-k and --capture go with --kernel")
    if args.kernels and args.full:
        p.error("--full is for toolchains: a kernel run runs the docs examples")
    if args.no_result and args.output:
        p.error("--no-result or --output, not both")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./dev matrix", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "names", nargs="*", metavar="NAME", help=f"toolchains (default all: {', '.join(toolchains.TOOLCHAINS)})"
    )
    _options(p)
    args = p.parse_args(argv)
    try:
        args.kernels = kernels.resolve(args.kernel)
    except ValueError as e:
        p.error(str(e))
    _check(p, args)
    if not args.kernels and not args.merge:
        try:
            args.names = toolchains.resolve(args.names)
        except ValueError as e:
            p.error(str(e))
    if args.kernels:
        args.names = list(dict.fromkeys(k.toolchain for k in args.kernels))
    return args


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def _one(
    args: argparse.Namespace, cell: str | kernels.Kernel, built: float | None, accel: kvm.Accel | None
) -> CellResult:
    """One toolchain (a name) or one kernel."""
    if isinstance(cell, str):
        return run_toolchain(cell, full=args.full, built=built, quiet=args.wait_quiet)
    assert accel is not None
    timeout = args.kernel_timeout or (kernels.KVM_GUEST_TIMEOUT if accel.kvm else kernels.GUEST_TIMEOUT)
    return run_kernel(cell, accel, timeout=timeout, built=built, only=args.only, capture=args.capture)


def run(args: argparse.Namespace) -> list[CellResult]:
    """Build what is missing, then each cell, one after another: a run wants a quiet machine."""
    out: list[CellResult] = []
    built = build_missing(args.names, args.rebuild)
    accel = kvm.detect() if args.kernels else None
    if accel:
        say(accel.reason)
    cells: list[str | kernels.Kernel] = list(args.kernels) or list(args.names)
    for cell in cells:
        name, tc = (cell, cell) if isinstance(cell, str) else (cell.result_name, cell.toolchain)
        try:
            if isinstance(b := built.get(tc), Exception):
                raise b
            out.append(_one(args, cell, b, accel))
        except NoSources as e:
            say(f"{name}: skipped: {e}")
            out.append(CellResult(name, toolchains.TOOLCHAINS[tc], skipped=str(e)))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
            say(f"{name}: could not run: {e}")
            out.append(CellResult(name, toolchains.TOOLCHAINS[tc], error=str(e)))
    return out


def write(outcomes: list[CellResult], args: argparse.Namespace) -> None:
    if args.no_result:
        return
    if args.output:  # one job's cells, merged later with the others
        args.output.parent.mkdir(parents=True, exist_ok=True)
        results.write_result(outcomes, args.output, keep=False)
        say(f"result written to {args.output}")
        return
    result = results.write_result(outcomes, results.RESULT)
    tested_on.write(result)
    say(f"result written to {results.RESULT.relative_to(config.ROOT)} and {tested_on.PAGE.relative_to(config.ROOT)}")


def merge(parts: list[Path], output: Path | None) -> int:
    """Result files of cells run apart, in one; exit status 1 on any failed example or test."""
    try:
        result = results.merge(parts)
    except ValueError as e:
        print(f"./dev matrix --merge: {e}", file=sys.stderr)
        return 2
    target = output or results.RESULT
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(results.dumps(result))
        if target == results.RESULT:
            tested_on.write(result)
    except OSError as e:
        print(f"./dev matrix --merge: cannot write {target}: {e.strerror}", file=sys.stderr)
        return 2
    say(f"{len(result['toolchains'])} cells from {len(parts)} files written to {target}")
    bad = results.failures(result)
    for line in bad:
        print(f"  FAILED {line}")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.merge:
        return merge(args.merge, args.output)
    if os.geteuid() != 0:
        print(
            "./dev matrix: run it as root (sudo ./dev matrix): it builds chroots and loads BPF programs",
            file=sys.stderr,
        )
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stopped)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started as `cmd &` (SIGINT ignored)
    t0 = time.monotonic()
    try:
        outcomes = run(args)
    except (KeyboardInterrupt, Stopped) as e:
        for name in args.names:  # a build still running in its thread: stop what runs in its target
            chroot.kill_all_in(chroot.CACHE / f"{name}.new")
        say(f"stopped ({str(e) or 'Ctrl-C'}); nothing left running")
        return 130
    print()
    ran = [r for r in outcomes if not r.skipped]  # a skipped cell said why in its one line
    print(tables.table(ran))
    for r in ran:
        for line in tables.details(r):
            print(line)
    say(f"{len(outcomes)} {'kernels' if args.kernels else 'toolchains'} in {time.monotonic() - t0:.0f} s")
    try:
        write(outcomes, args)
    except OSError as e:
        print(f"./dev matrix: cannot write the result: {e}", file=sys.stderr)
        return 2
    return 0 if all(r.ok for r in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
