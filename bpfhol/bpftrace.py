"""Talking to a bpftrace process, whatever its version (0.17 to 0.27 are tested).

- Attach: with `__BPFTRACE_NOTIFY_PROBES_ATTACHED` in its environment, bpftrace prints the line
  `__BPFTRACE_NOTIFY_PROBES_ATTACHED` once every probe is attached (its own runtime tests wait for
  it; src/bpftrace.cpp, BPFtrace::run). 0.17 prints it on stderr, 0.23 and later on stdout; the
  runner watches both streams and removes the line from what it keeps. The human banner moved
  (0.17-0.23: "Attaching N probes..." on stdout *before* attaching; 0.24+: "Attached N probes" on
  stderr *after*), so it is only a fallback.
- Ctrl-C: bpftrace 0.17 can lose a SIGINT (see `interrupt`).
- Maps: `-f json` prints one JSON object a line; `json_maps` gathers the maps of such output.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import time
from typing import TYPE_CHECKING, Any

from bpfhol import config
from bpfhol.procfs import wchan

if TYPE_CHECKING:
    from bpfhol.process import Child

NOTIFY_ENV = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"
NOTIFY_LINE = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"
BANNER = re.compile(r"^Attach(?:ing|ed) (\d+) probes?(?:\.\.\.)?$")


def is_banner_after_attach(line: str) -> bool:
    """0.24+'s banner comes once the probes are attached; the older one before."""
    return line.startswith("Attached ")


def interrupt(child: Child, deadline: float) -> None:
    """Ctrl-C to the process group, and Ctrl-C again if it was lost; returns when it exited or at `deadline`.

    bpftrace 0.17 checks for SIGINT and then blocks in epoll_wait() with no timeout: a SIGINT
    landing between the two is lost (seen about once in 20 runs of a program that prints nothing
    until exit). A learner would press Ctrl-C again; so does this, but only while bpftrace still
    sits in epoll_wait having printed nothing since, never while it prints its maps.
    """
    child.interrupt()
    before = len(child.out)
    while time.monotonic() < deadline:
        if child.wait(min(0.5, max(0.0, deadline - time.monotonic()))) is not None:
            return
        where = wchan(child.pid)
        if where is None:
            return
        if where == "do_epoll_wait" and len(child.out) == before:
            child.interrupt()


def json_maps(stdout: str) -> dict[str, dict[str, Any]]:
    """The maps in `bpftrace -f json` output: {"@name": {key: value}} (a key-less map: {"": value}).

    Printed values (printf) and bpftrace's own records (attached_probes, time) are left out.
    """
    maps: dict[str, dict[str, Any]] = {}
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        obj = json.loads(line)
        data = obj.get("data")
        # 0.17 types maps as "map", avg/min/max ones as "stats", histograms as "hist"/"lhist".
        if not isinstance(data, dict) or not all(str(k).startswith("@") for k in data):
            continue
        for name, value in data.items():
            maps[name] = value if isinstance(value, dict) else {"": value}
    return maps


def trace(program: str, seconds: float) -> dict[str, dict[str, Any]]:
    """Run a bpftrace program for `seconds` after it attached; return its maps (see json_maps).

    The program ends itself (an interval probe calls exit()), so no signal timing is involved.
    Keys of multi-key maps are as bpftrace's JSON prints them (0.17: the parts joined by commas).
    """
    prog = f"{program}\ninterval:ms:{int(seconds * 1000)} {{ exit(); }}"
    p = subprocess.run(
        [*config.bpftrace_command(), "-f", "json", "-e", prog], capture_output=True, text=True, timeout=seconds + 60
    )
    if p.returncode != 0:
        raise RuntimeError(f"bpftrace failed ({p.returncode}): {p.stderr.strip()}\n{prog}")
    return json_maps(p.stdout)


@functools.cache
def version() -> tuple[int, ...] | None:
    """The configured bpftrace's version, e.g. (0, 17, 0); None when it cannot be run."""
    try:
        out = subprocess.run([*config.bpftrace_command(), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"v?(\d+)\.(\d+)(?:\.(\d+))?", out.stdout + out.stderr)
    return tuple(int(g or 0) for g in m.groups()) if m else None
