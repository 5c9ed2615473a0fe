"""One toolchain cell: the course's suite in its chroot, on the host's kernel, as `./dev test` runs it.

Each cell's chroot is built once (devtools.chroot) and reused; the checkout's files are copied in,
and the README's own command runs there as root with CI=true.  Without --full the site's build and
browser tests are left out (they do not depend on the toolchain) and so is Chromium.
"""

from __future__ import annotations

import platform
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bpfhol import config, labs, process
from bpfhol.labs.syscalls import NAME_POOL
from devtools import chroot, source_build
from devtools import report as suite_report
from devtools.chroot import Chroot, say
from devtools.results import CellResult
from devtools.toolchains import toolchain

REPORT = "tmp/matrix-report"  # inside the chroot: REPORT-PART.jsonl for each part of the suite (devtools.report)
# Without --full the suite runs as two pytest processes, one after the other, after one `./dev setup`: the
# examples and the workload tests (which share the machine with the lab's workload), and the
# harness and other tests (which start no workload).  Each part mostly waits on tracing.
PARTS = {
    # These start labs or load the machine (a pip install, killed docs runs): one after another, so no
    # other test's processes take part in a lab's answers.
    "examples": [
        "tests/test_workloads.py",
        "tests/test_check.py",
        "tests/test_killed.py",
        "tests/test_packaging.py",
        "docs",
    ],
    "harness": [
        "tests",
        "--ignore=tests/site",
        *(
            f"--ignore=tests/{name}"
            for name in ("test_workloads.py", "test_check.py", "test_killed.py", "test_packaging.py")
        ),
    ],
}
PYTEST = ".venv/bin/python -m pytest -p no:cacheprovider"  # what `./dev test` runs
STOP_GRACE = 20.0  # seconds the suite gets to clean up after Ctrl-C
SUITE_ENV = {"CI": "true", "BPFHOL_BROWSER": "no"}  # the matrix runs no browser test: no Chromium
# Every name a lab's process may have: the syscalls lab draws its names per seed from a pool.
WORKLOADS = frozenset(NAME_POOL).union(*(lab.comms(0) for lab in labs.LABS.values()))


def other_workloads() -> list[str]:
    """The labs' workload processes already running (another suite on this machine, say)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:
            continue
        if name in WORKLOADS:
            found.append(f"{name} ({comm.parent.name})")
    return found


class NoSources(Exception):
    """A cell built from source whose sources cannot be had: it is skipped, not failed."""


def build_missing(names: list[str], rebuild: bool) -> dict[str, float | Exception]:
    """Build every chroot not built yet, all at once (they share no state): name -> seconds or error."""
    todo = [toolchain(n) for n in names if rebuild or not chroot.is_built(toolchain(n))]
    done: dict[str, float | Exception] = {}
    for ch in list(todo):
        if ch.build and (reason := source_build.unavailable(ch.build)):
            done[ch.name] = NoSources(reason)
            todo.remove(ch)
    chroot.CACHE.mkdir(parents=True, exist_ok=True)

    def one(ch: Chroot) -> float:
        log = chroot.CACHE / f"{ch.name}-build.log"
        log.write_text("")
        built = f"; then {ch.build.distro}'s bpftrace and BCC from source" if ch.build else ""
        say(f"{ch.name}: building a {ch.suite} chroot in {ch.root} (mmdebstrap, minbase{built}; log {log})")
        t = time.monotonic()
        chroot.build(ch, log)
        return time.monotonic() - t

    pool = ThreadPoolExecutor(max_workers=max(1, len(todo)))
    try:
        futures = {ch.name: pool.submit(one, ch) for ch in todo}
        for name, future in futures.items():
            try:
                done[name] = future.result()
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                done[name] = e
    finally:  # on Ctrl-C, the caller kills what the builds run; each thread then removes its target
        pool.shutdown(wait=False)
    return done


def prepare(ch: Chroot) -> None:
    """Bring the checkout in."""
    changed = chroot.sync_checkout(config.ROOT, ch)
    say(f"{ch.name}: checkout copied to /{chroot.CHECKOUT} ({changed} files changed)")


def set_up(ch: Chroot, log: Path) -> int:
    """`./dev setup` in the chroot, its output appended to the log: its exit status."""
    with log.open("a") as out:
        done = chroot.run_in(
            ch,
            ["bash", "-c", f"cd /{chroot.CHECKOUT} && ./dev setup"],
            env=SUITE_ENV,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return done.returncode


def suite_commands(full: bool) -> dict[str, str]:
    """The README's test command as the chroot runs it: part name -> shell command."""
    if full:  # exactly `./dev test`
        return {"full": f"./dev test -p no:cacheprovider {suite_report.option(f'/{REPORT}-full.jsonl')}"}
    return {
        part: f"{PYTEST} {suite_report.option(f'/{REPORT}-{part}.jsonl')} {' '.join(args)}"
        for part, args in PARTS.items()
    }


def run_suite(ch: Chroot, full: bool, log: Path) -> int:
    """The suite in the chroot, its output to `log`; Ctrl-C reaches it and it cleans up first."""
    env = {"CI": "true"} if full else SUITE_ENV
    if not full and (rc := set_up(ch, log)) != 0:  # one set-up before the parts start, not one each
        return rc
    procs = {}
    try:
        for part, cmd in suite_commands(full).items():
            with log.with_name(f"{log.stem}-{part}.log").open("w") as out:
                procs[part] = chroot.popen_in(
                    ch,
                    ["bash", "-c", f"cd /{chroot.CHECKOUT} && exec {cmd}"],
                    env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            # One part at a time: the harness's many short Pythons (Python 3.13 starts with about 280
            # mmap(2) calls) would otherwise take part in the examples' answers.
            procs[part].wait()
        return max(p.wait() or 0 for p in procs.values())
    except BaseException:
        stop(list(procs.values()))
        raise
    finally:
        with log.open("a") as out:
            for part in procs:
                out.write(log.with_name(f"{log.stem}-{part}.log").read_text())


def stop(procs: list[process.Child]) -> None:
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
            part = suite_report.read(f)
        except OSError:
            continue
        merged["tests"] += part["tests"]
        merged["examples"] += part["examples"]
        merged["exitstatus"] = max(merged["exitstatus"], part["exitstatus"] or 0)
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


def run_toolchain(name: str, *, full: bool, built: float | None = None, quiet: float = 0.0) -> CellResult:
    ch = toolchain(name)
    log = chroot.CACHE / f"{name}.log"
    log.write_text("")
    result = CellResult(name, ch.suite, log=str(log))
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
    with chroot.owned(ch):
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
