"""The workload a check runs against: the lab already running, or one started for the check.

This is the only module of the grading package that knows how the lab's supervisor keeps its
state (`bpfhol syscalls` writes the seed and the workloads' pids to its state directory) and
how it is started and stopped (as a command, the way a learner starts it).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from bpfhol import scenario as scen
from bpfhol import syscalls_lab
from bpfhol.errors import UsageError

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


@dataclass
class LabInfo:
    seed: int
    pids: dict[str, int]  # workload comm -> pid
    started_here: bool
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def key(self) -> dict[str, Any]:
        return scen.answer_key(scen.scenario(self.seed))


def running() -> LabInfo | None:
    """The lab `bpfhol status` would show, if its supervisor is alive."""
    sdir = syscalls_lab.state_dir()
    try:
        with open(os.path.join(sdir, syscalls_lab.STATE_NAME)) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    sup = state.get("supervisor") or {}
    st = syscalls_lab.proc_stat(int(sup.get("pid") or 0) or -1)
    if st is None or st.starttime != sup.get("starttime"):
        return None
    pids = {c.get("comm", "?"): int(c.get("pid", 0)) for c in state.get("children") or []}
    return LabInfo(seed=int(state.get("seed", 0)), pids=pids, started_here=False)


def fresh_seed(rng: random.Random | None = None) -> int:
    """A random scenario whose answers differ from the classic one's (seed 0), the one the pages show.

    Sizes must include one the classic scenario lacks (more than 10 pages) and the files
    must differ, so an output copied from a page cannot pass; shared and private must differ
    by more than 20 points, so swapping them is wrong.
    """
    rng = rng or random.SystemRandom()
    classic = scen.scenario(0)
    while True:
        seed = rng.randint(1, scen.SEED_MAX)
        sc = scen.scenario(seed)
        if (max(sc.pages) > max(classic.pages) and set(sc.opener_files) != set(classic.opener_files)
                and abs(sc.shared_percent - 50) > 10):  # an inverted percentage must not pass
            return seed


def start(seed: int) -> LabInfo:
    """`bpfhol syscalls --seed N` in its own session, until it prints `ready`."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bpfhol", "syscalls", "--seed", str(seed)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,  # our Ctrl-C is not its Ctrl-C: we stop it ourselves, in order
    )
    lab = LabInfo(seed=seed, pids={}, started_here=True, proc=proc)
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lab.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(READY_TIMEOUT) or "ready" not in lab.lines:
            err = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
            why = (err.strip().splitlines() or ["no 'ready' in time"])[-1]
            raise UsageError(f"could not start the lab's workload for the check: {why}")
        for line in lab.lines:
            parts = line.split()
            if len(parts) >= 2 and parts[0] in syscalls_lab.COMMS and parts[1].isdigit():
                lab.pids[parts[0]] = int(parts[1])
    except BaseException:
        stop(lab)
        raise
    return lab


def stop(lab: LabInfo) -> None:
    """Stop a lab this check started (SIGTERM: the supervisor stops its workloads and cleans up)."""
    proc = lab.proc
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    lab.proc = None

