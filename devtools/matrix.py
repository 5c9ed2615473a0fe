"""The toolchain matrix: the course's suite in minimal Debian chroots, one toolchain after another.

    sudo ./dev matrix [NAME...] [--full] [--rebuild] [--no-result]

Each toolchain is a Debian release whose bpftrace, BCC and Python the course runs with, on
the host's kernel.  Its chroot is built once (devtools.chroot) and reused; the checkout's
files are copied in, and the README's own command runs there: `./dev test` (machine set-up,
then pytest), as root with CI=true.  Without --full the site's build and browser tests are
left out (they do not depend on the toolchain) and so is Chromium.

Prints a table per toolchain, and writes the result to docs/tested-on.json (the site's
*Tested on* page is made from it).  Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfhol import process
from devtools import chroot, kernel_sources, kernels
from devtools.chroot import Chroot, say

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "docs" / "tested-on.json"
TOOLCHAINS = {"debian12": "bookworm", "debian13": "trixie", "unstable": "sid"}
REFERENCE = "debian12"  # where the pages' outputs are captured
REPORT = "tmp/matrix-report"  # inside the chroot: REPORT-PART.json for each part of the suite
# Without --full the suite runs as two pytest processes at once, after one `./dev setup`: the
# examples and the workload tests (which share the machine with the lab's workload), and the
# harness and other tests (which start no workload).  Each part mostly waits on tracing.
PARTS = {
    "examples": ["tests/test_workloads.py", "tests/test_check.py", "docs"],  # these start labs: one after another
    "harness": ["tests", "--ignore=tests/site", "--ignore=tests/test_workloads.py", "--ignore=tests/test_check.py"],
}
PYTEST = ".venv/bin/python -m pytest -p devtools.report -p no:cacheprovider"  # what `./dev test` runs
STOP_GRACE = 20.0  # seconds the suite gets to clean up after Ctrl-C
# Warnings the pages explain (System calls, "couldn't set RLIMIT_MEMLOCK" and "On a newer bpftrace"):
# about the machine, or bpftrace 0.27's false alarms on portable code.
EXPLAINED_WARNINGS = re.compile(
    r"RLIMIT_MEMLOCK|available_filter_functions|WARNING: (Addrspace mismatch|Return value discarded|expanded from)"
)


class Stopped(Exception):
    """SIGTERM or SIGHUP: leave as Ctrl-C would."""


@dataclass
class Outcome:
    name: str
    suite: str
    versions: dict[str, str] = field(default_factory=dict)
    tests: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    exitstatus: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    log: str = ""
    error: str = ""  # why the suite could not run at all
    vm: str = ""  # for a kernel run: the kernel series it booted (6.1, ...); empty on the host's kernel
    sources: dict[str, Any] = field(default_factory=dict)  # for a kernel run: devtools.kernel_sources' verdict
    partial: bool = False  # only some examples ran (-k): they update the last full run's results

    def count(self, outcome: str) -> int:
        same = {"failed": ("failed", "error")}.get(outcome, (outcome,))
        return sum(1 for t in self.tests if t["outcome"] in same)

    def warnings(self) -> list[tuple[str, str]]:
        return [(e["snippet"], w) for e in self.examples for w in e["warnings"] if not EXPLAINED_WARNINGS.search(w)]

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and self.exitstatus == 0
            and self.count("failed") == 0
            and not self.warnings()
            and not self.sources.get("wrong")
        )


WORKLOADS = ("mapit", "opener", "oldopen", "tempfiles", "closeall")  # the syscalls lab's processes


def other_workloads() -> list[str]:
    """The lab's workload processes already running (another suite on this machine, say)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in WORKLOADS:
                found.append(f"{comm.read_text().strip()} ({comm.parent.name})")
        except OSError:
            continue
    return found


# --- one toolchain ---------------------------------------------------------------------------------------


def toolchain(name: str) -> Chroot:
    return Chroot(name, TOOLCHAINS[name], chroot.host_mirror())


def build_missing(names: list[str], rebuild: bool) -> dict[str, float | Exception]:
    """debootstrap every chroot not built yet, all at once (they share no state): name -> seconds or error.

    Only the bootstrap overlaps; the suites still run one after another.
    """
    todo = [toolchain(n) for n in names if rebuild or not chroot.is_built(toolchain(n))]
    chroot.CACHE.mkdir(parents=True, exist_ok=True)

    def one(ch: Chroot) -> float:
        log = chroot.CACHE / f"{ch.name}-build.log"
        log.write_text("")
        say(f"{ch.name}: building a {ch.suite} chroot in {ch.root} (debootstrap, minbase; log {log})")
        t = time.monotonic()
        chroot.build(ch, log)
        return time.monotonic() - t

    done: dict[str, float | Exception] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, len(todo)))
    try:
        futures = {ch.name: pool.submit(one, ch) for ch in todo}
        for name, future in futures.items():
            try:
                done[name] = future.result()
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                done[name] = e
    finally:  # on Ctrl-C, main() stops what the bootstraps run; each thread then cleans up its target
        pool.shutdown(wait=False)
    return done


def prepare(ch: Chroot) -> None:
    """Bring the host's network files and the checkout in (the chroot mounted: apt may run)."""
    chroot.configure(ch)
    changed = chroot.sync_checkout(ROOT, ch)
    say(f"{ch.name}: checkout copied to /{chroot.CHECKOUT} ({changed} files changed)")


def suite_commands(full: bool) -> dict[str, str]:
    """The README's test command as the chroot runs it: part name -> shell command."""
    if full:  # exactly `./dev test`
        return {"full": "./dev test -p devtools.report -p no:cacheprovider"}
    return {part: f"{PYTEST} {' '.join(args)}" for part, args in PARTS.items()}


def run_suite(ch: Chroot, full: bool, log: Path) -> int:
    """The suite in the chroot, its output to `log`; Ctrl-C reaches it and it cleans up first."""
    env = {"CI": "true"} if full else {"CI": "true", "BPFHOL_BROWSER": "no"}
    cd = f"cd /{chroot.CHECKOUT} && "
    if not full:  # one set-up before the parts start (each would otherwise run it at once)
        with log.open("a") as out:
            setup = chroot.run_in(
                ch,
                ["bash", "-c", cd + "./dev setup"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if setup.returncode != 0:
            return setup.returncode
    procs = {}
    try:
        for part, cmd in suite_commands(full).items():
            out = log.with_name(f"{log.stem}-{part}.log").open("w")
            procs[part] = chroot.popen_in(
                ch,
                ["bash", "-c", cd + "exec " + cmd],
                {**env, "BPFHOL_REPORT": f"/{REPORT}-{part}.json"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            out.close()
        return max(p.wait() or 0 for p in procs.values())
    except BaseException:
        _stop(list(procs.values()))
        raise
    finally:
        with log.open("a") as out:
            for part in procs:
                out.write(log.with_name(f"{log.stem}-{part}.log").read_text())


def _stop(procs: list[process.Child]) -> None:
    """Ctrl-C to each part's process group, then time to clean up (it stops its workload, its tracers)."""
    for proc in procs:
        proc.interrupt()
    deadline = time.monotonic() + STOP_GRACE
    for proc in procs:
        proc.wait(max(0.0, deadline - time.monotonic()))


def _capture(ch: Chroot, argv: list[str]) -> str:
    done = chroot.run_in(ch, argv, capture_output=True, text=True)
    return (done.stdout or done.stderr).strip()


def versions(ch: Chroot) -> dict[str, str]:
    bpftrace = _capture(ch, ["bpftrace", "--version"])
    return {
        "debian": _capture(ch, ["cat", "/etc/debian_version"]),
        "bpftrace": re.sub(r"^bpftrace v?", "", bpftrace),
        "bcc": _capture(ch, ["dpkg-query", "-W", "-f", "${Version}", "python3-bpfcc"]).split("+")[0],
        "python": _capture(ch, ["python3", "-c", "import platform; print(platform.python_version())"]),
        "kernel": platform.release(),
        "arch": platform.machine(),
    }


def read_report(ch: Chroot) -> dict[str, Any]:
    """The parts' reports merged: every test, the examples, the worst exit status."""
    merged: dict[str, Any] = {"tests": [], "examples": [], "exitstatus": 0}
    for f in sorted((ch.root / REPORT).parent.glob(Path(REPORT).name + "-*")):
        try:
            part = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        merged["tests"] += part["tests"]
        merged["examples"] += part["examples"]
        merged["exitstatus"] = max(merged["exitstatus"], part["exitstatus"])
    return merged


def wait_quiet(name: str, seconds: float) -> list[str]:
    """Wait up to `seconds` for another run's workload to end; what still runs."""
    deadline = time.monotonic() + seconds
    if (busy := other_workloads()) and seconds > 0:
        say(f"{name}: waiting up to {seconds:.0f} s for the lab's workload already running to end")
    while busy and time.monotonic() < deadline:
        time.sleep(1)
        busy = other_workloads()
    return busy


def run_toolchain(name: str, *, full: bool, built: float | None = None, quiet: float = 0.0) -> Outcome:
    ch = toolchain(name)
    log = chroot.CACHE / f"{name}.log"
    log.write_text("")
    result = Outcome(name, ch.suite, log=str(log))
    t0 = time.monotonic()
    if built is not None:
        result.timings["build"] = built
    if not chroot.is_built(ch):
        raise RuntimeError(f"no {ch.suite} chroot in {ch.root}; see {log.with_name(name + '-build.log')}")
    if busy := wait_quiet(name, quiet):
        say(
            f"{name}: WARNING: the lab's workload already runs here ({', '.join(busy)}): the examples that"
            " name the busiest process may fail"
        )
    for old in (ch.root / REPORT).parent.glob(Path(REPORT).name + "-*"):
        old.unlink()
    with chroot.mounted(ch):
        prepare(ch)
        say(f"{name}: ./dev test in the chroot (log {log})")
        t = time.monotonic()
        result.exitstatus = run_suite(ch, full, log)
        result.timings["suite"] = time.monotonic() - t
        result.versions = versions(ch)
    report = read_report(ch)
    result.tests, result.examples = report.get("tests", []), report.get("examples", [])
    result.timings["wall"] = time.monotonic() - t0 + (built or 0.0)
    return result


def run_kernel(
    k: kernels.Kernel, *, timeout: float, built: float | None = None, only: str = "", capture: bool = False
) -> Outcome:
    """The docs examples in a VM booted with Debian's kernel of that series, the toolchain's chroot as root."""
    ch = toolchain(k.toolchain)
    log = chroot.CACHE / f"{k.result_name}.log"
    log.write_text("")
    result = Outcome(k.result_name, ch.suite, log=str(log), vm=k.series, partial=bool(only))
    t0 = time.monotonic()
    if not chroot.is_built(ch):
        raise RuntimeError(f"no {ch.suite} chroot in {ch.root}; see {log.with_name(k.toolchain + '-build.log')}")
    with chroot.mounted(ch):  # on the host's kernel: the checkout, its venv, the guest kernel's files
        prepare(ch)
        with log.open("a") as out:
            setup = chroot.run_in(
                ch,
                ["bash", "-c", f"cd /{chroot.CHECKOUT} && ./dev setup"],
                env={"CI": "true", "BPFHOL_BROWSER": "no"},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if setup.returncode != 0:
            raise RuntimeError(f"./dev setup failed in the chroot; see {log}")
        release = kernels.prepare_kernel(ch)
        result.versions = versions(ch)
        try:  # the deep dive's table of kernel functions and files, against this kernel's own source
            result.sources = kernel_sources.verify(ch, release)
        except (ValueError, OSError, subprocess.CalledProcessError) as e:
            result.sources = {"wrong": [f"could not check the deep dive's kernel sources: {e}"]}
    kernels.clear_guest(ch)
    cmd = kernels.vng_command(
        kernels.KERNELS_DIR / release, release, ch, k, capture=capture, only=only, timeout=timeout
    )
    say(
        f"{result.name}: booting Linux {release} under QEMU (TCG, {k.cpus} vCPU, {k.jobs} example(s) at once)"
        f" with the {ch.suite} chroot as root"
        f" (log {log}, at most {timeout:.0f} s)"
    )
    rc, wall = kernels.boot(cmd, log, timeout)
    guest = kernels.read_guest(ch)
    if capture:
        for path in kernels.captured(ch, ROOT):
            say(f"{result.name}: re-captured {path.relative_to(ROOT)}")
    times = guest["times"]
    result.versions["kernel"] = times.get("kernel", release)
    report = guest["report"] or {}
    result.tests, result.examples = report.get("tests", []), report.get("examples", [])
    result.exitstatus = rc if rc is not None else None
    if rc is None:
        result.error = f"the guest ran past {timeout:.0f} s and was killed; see {log}"
    elif not report:
        result.error = f"the guest wrote no report (exit status {rc}); see {log}"
    if "booted" in times:
        result.timings["boot"] = float(times["booted"])
        result.timings["setup"] = float(times["set_up"]) - float(times["booted"])
        result.timings["examples"] = float(times["done"]) - float(times["set_up"])
    result.timings["vm"] = wall
    result.timings["wall"] = time.monotonic() - t0 + (built or 0.0)
    return result


# --- output ---------------------------------------------------------------------------------------------


def table(results: list[Outcome]) -> str:
    head = ("toolchain", "Debian", "bpftrace", "BCC", "Python", "passed", "failed", "skipped", "wall")
    rows = [head]
    for r in results:
        v = r.versions
        rows.append(
            (
                r.name,
                v.get("debian", "?"),
                v.get("bpftrace", "?"),
                v.get("bcc", "?"),
                v.get("python", "?"),
                str(r.count("passed")),
                str(r.count("failed")),
                str(r.count("skipped")),
                f"{r.timings.get('wall', 0):.0f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def details(r: Outcome) -> list[str]:
    lines = []
    for t in r.tests:
        if t["outcome"] in ("failed", "error"):
            lines.append(f"  {r.name}: FAILED {t['id']}")
    for t in r.tests:
        if t["outcome"] == "skipped":
            lines.append(f"  {r.name}: skipped {t['id']}: {t.get('reason', '')}")
    for snippet, w in r.warnings():
        lines.append(f"  {r.name}: WARNING in {snippet}: {w}")
    if r.sources:
        wrong = r.sources.get("wrong", [])
        lines.append(
            f"  {r.name}: deep dive's kernel sources ({r.sources.get('source', '?')}):"
            f" {r.sources.get('checked', 0) - len(wrong)} of {r.sources.get('checked', 0)} as the page says"
        )
        lines += [f"  {r.name}: WRONG: {w}" for w in wrong]
    if r.error:
        lines.append(f"  {r.name}: could not run: {r.error}")
    elif r.exitstatus not in (0, 1) or not r.tests:
        lines.append(f"  {r.name}: the suite ended with exit status {r.exitstatus}; see {r.log}")
    elif not r.ok:
        lines.append(f"  {r.name}: details in {r.log}")
    if phases := ", ".join(f"{k} {v:.0f} s" for k, v in r.timings.items() if k != "wall"):
        lines.append(f"  {r.name}: {phases}")
    return lines


def as_json(r: Outcome, commit: str) -> dict[str, Any]:
    return {
        "name": r.name,
        "suite": r.suite,
        **r.versions,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "commit": commit,
        "passed": r.count("passed"),
        "failed": r.count("failed"),
        "skipped": r.count("skipped"),
        "wall_seconds": round(r.timings.get("wall", 0.0), 1),
        **(
            {"vm": r.vm, "timings": {k: round(v, 1) for k, v in r.timings.items()}, "sources": r.sources}
            if r.vm
            else {}
        ),
        "examples": [
            {
                k: e[k]
                for k in ("page", "line", "snippet", "outcome", "reason", *(("seconds",) if r.vm else ()))
                if k in e
            }
            for e in r.examples
        ],
        "failures": [t["id"] for t in r.tests if t["outcome"] in ("failed", "error")],
        "skips": [{"test": t["id"], "reason": t.get("reason", "")} for t in r.tests if t["outcome"] == "skipped"],
    }


def realign(examples: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Examples recorded at older line numbers, moved to the lines the same examples have now.

    A page edit shifts lines but keeps the examples of a snippet in order, so the n-th recorded
    example of a (page, snippet) is the n-th current one.  Where a re-run left more records than
    the page has examples, the latest ones count; one that no longer exists is dropped.
    """
    now: dict[tuple[str, str], list[int]] = {}
    for e in sorted(current, key=lambda e: e["line"]):
        now.setdefault((e["page"], e["snippet"]), []).append(e["line"])
    recorded: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in examples:  # in the order written: a later run's result comes after the one it replaces
        recorded.setdefault((e["page"], e["snippet"]), []).append(e)
    moved = []
    for key, found in recorded.items():
        lines = now.get(key, [])
        latest = found[max(0, len(found) - len(lines)) :]
        moved += [{**e, "line": line} for e, line in zip(sorted(latest, key=lambda e: e["line"]), lines)]
    order = {(e["page"], e["line"]): i for i, e in enumerate(current)}
    return sorted(moved, key=lambda e: order.get((e["page"], e["line"]), len(order)))


def write_result(results: list[Outcome], path: Path) -> None:
    """Replace the toolchains that ran in the result file; keep the others, in matrix order."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    try:
        kept = {t["name"]: t for t in json.loads(path.read_text())["toolchains"]}
    except (OSError, ValueError, KeyError):
        kept = {}
    for r in results:
        if r.error:
            continue
        new = as_json(r, commit)
        old = kept.get(r.name)
        if r.partial and old:  # the examples that ran replace theirs; the others keep the last run's outcome
            ran = {(e["page"], e["line"]): {**e, "date": new["date"], "commit": commit} for e in new["examples"]}
            new["examples"] = [ran.pop((e["page"], e["line"]), e) for e in old["examples"]] + list(ran.values())
            # The row's date, commit and times stay the last whole run's: a re-run example carries its own.
            new.update({k: old[k] for k in ("date", "commit", "wall_seconds", "timings") if k in old})
        kept[r.name] = new
    runs = [*TOOLCHAINS, *(k.result_name for k in kernels.KERNELS.values())]
    ordered = [kept[n] for n in runs if n in kept]
    for entry in ordered:
        if not entry.get("vm"):
            continue
        if REFERENCE in kept:  # kernel entries built up from -k runs: follow the reference's lines
            entry["examples"] = realign(entry["examples"], kept[REFERENCE]["examples"])
        # A kernel run runs the docs examples only: count those (an error counts as a failure).
        for outcome, counted in (("passed", ("passed",)), ("failed", ("failed", "error")), ("skipped", ("skipped",))):
            entry[outcome] = sum(1 for e in entry["examples"] if e["outcome"] in counted)
    path.write_text(json.dumps({"reference": REFERENCE, "toolchains": ordered}, indent=1) + "\n")


# --- command line -----------------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./dev matrix", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "names", nargs="*", metavar="NAME", help=f"toolchains to run (default: all: {', '.join(TOOLCHAINS)})"
    )
    p.add_argument("--full", action="store_true", help="the whole suite, site build and browser tests too")
    p.add_argument("--rebuild", action="store_true", help="build the chroots again from nothing")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="wait up to S seconds for another run of the lab's workload to end first",
    )
    p.add_argument("--no-result", action="store_true", help=f"do not write {RESULT.relative_to(ROOT)}")
    p.add_argument(
        "--kernel",
        action="append",
        default=[],
        metavar="K",
        help=f"instead: the docs examples in a VM on Debian's kernel K ({', '.join(kernels.KERNELS)} or"
        " all; repeat or comma-separate), with its release's toolchain (devtools/kernels.py)",
    )
    p.add_argument(
        "-k",
        dest="only",
        default="",
        metavar="FILTER",
        help="with --kernel: only the examples pytest -k FILTER selects (they update the last results)",
    )
    p.add_argument(
        "--capture",
        action="store_true",
        help="with --kernel: also re-capture the shown outputs of kernel-scoped examples that pass",
    )
    p.add_argument(
        "--kernel-timeout",
        type=float,
        default=kernels.GUEST_TIMEOUT,
        metavar="S",
        help=f"kill a guest still running after S seconds (default {kernels.GUEST_TIMEOUT:.0f})",
    )
    args = p.parse_args(argv)
    try:
        args.kernels = kernels.resolve(args.kernel)
    except ValueError as e:
        p.error(str(e))
    if args.kernels and args.names:
        p.error("name toolchains or --kernel, not both: each kernel runs with its own release's toolchain")
    if (args.only or args.capture) and not args.kernels:
        p.error("-k and --capture go with --kernel")
    if args.kernels and args.full:
        p.error("--full is for toolchains: a kernel run runs the docs examples")
    if args.kernels:
        args.names = list(dict.fromkeys(k.toolchain for k in args.kernels))
        return args
    aliases = {**{n: n for n in TOOLCHAINS}, **{s: n for n, s in TOOLCHAINS.items()}, "sid": "unstable"}
    unknown = [n for n in args.names if n not in aliases]
    if unknown:
        p.error(f"no toolchain {', '.join(unknown)} (there are: {', '.join(TOOLCHAINS)})")
    args.names = [aliases[n] for n in args.names] or list(TOOLCHAINS)
    return args


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def main(argv: list[str]) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        print(
            "./dev matrix: run it as root (sudo ./dev matrix): it builds chroots and loads BPF programs",
            file=sys.stderr,
        )
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stopped)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started as `cmd &` (SIGINT ignored)
    results: list[Outcome] = []
    t0 = time.monotonic()
    try:
        built = build_missing(args.names, args.rebuild)
        for k in args.kernels:  # one VM after another: two would share two cores
            b = built.get(k.toolchain)
            try:
                if isinstance(b, Exception):
                    raise b
                results.append(
                    run_kernel(k, timeout=args.kernel_timeout, built=b, only=args.only, capture=args.capture)
                )
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                say(f"{k.result_name}: could not run: {e}")
                results.append(Outcome(k.result_name, TOOLCHAINS[k.toolchain], error=str(e)))
        for name in [] if args.kernels else args.names:  # one after another: examples that want a quiet machine get one
            b = built.get(name)
            try:
                if isinstance(b, Exception):
                    raise b
                results.append(run_toolchain(name, full=args.full, built=b, quiet=args.wait_quiet))
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                say(f"{name}: could not run: {e}")
                results.append(Outcome(name, TOOLCHAINS[name], error=str(e)))
    except (KeyboardInterrupt, Stopped) as e:
        for name in args.names:  # a bootstrap still running in its thread: stop what runs in its target
            chroot.kill_all_in(chroot.CACHE / f"{name}.new")
        say(f"stopped ({str(e) or 'Ctrl-C'}); mounts undone, nothing left running")
        return 130
    print()
    print(table(results))
    for r in results:
        for line in details(r):
            print(line)
    say(f"{len(results)} {'kernels' if args.kernels else 'toolchains'} in {time.monotonic() - t0:.0f} s")
    if not args.no_result:
        write_result(results, RESULT)
        say(f"result written to {RESULT.relative_to(ROOT)}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
