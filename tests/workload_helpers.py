"""Running `bpfhol syscalls` and bpftrace from tests, as a learner would from two terminals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bpfhol.runner import bpftrace_command
from bpfhol.syscalls_lab import COMMS, proc_stat

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0


def bpfhol(*args: str, state_dir: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    e = dict(os.environ)
    if state_dir is not None:
        e["BPFHOL_STATE_DIR"] = str(state_dir)
    return subprocess.run([sys.executable, "-m", "bpfhol", *args], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=timeout)


def answer_key(seed: int) -> dict[str, Any]:
    p = bpfhol("syscalls", "--seed", str(seed), "--answers", "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


class Lab:
    """`bpfhol syscalls` in its own session (so a SIGINT to its group is a terminal's Ctrl-C).

    After `ready`: `pids` maps each workload's comm to its pid, `privdir` is its private directory.
    `key` is for the caller to keep the scenario's answer key with it.
    """

    key: dict[str, Any]

    def __init__(self, state_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        e = dict(os.environ if env is None else env, BPFHOL_STATE_DIR=str(state_dir), PYTHONUNBUFFERED="1")
        self.state_dir = state_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bpfhol", "syscalls", *args], cwd=ROOT, env=e, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        self.lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(READY_TIMEOUT) or "ready" not in self.lines:
            self.kill()
            raise AssertionError(f"no 'ready' from bpfhol syscalls: {self.lines} {self.proc.stderr.read()}")
        self.pids: dict[str, int] = {}
        self.privdir = ""
        for line in self.lines:
            m = re.match(r"(\S+)\s+(\d+)\s", line)
            if m and m.group(1) in COMMS:
                self.pids[m.group(1)] = int(m.group(2))
            m = re.search(r" in (/\S+bpfhol-syscalls-\S+)$", line)
            if m:
                self.privdir = m.group(1)
        assert sorted(self.pids) == sorted(COMMS), self.lines
        assert self.privdir, self.lines

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                self._ready.set()
        self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ctrl_c(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)  # what a terminal does: the whole foreground group

    def wait(self, timeout: float = 15) -> tuple[int, str]:
        """Exit status and stderr, once it has ended."""
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        assert self.proc.stderr is not None
        return rc, self.proc.stderr.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def workloads_alive(self) -> list[str]:
        """The workloads still running (zombies count as gone: they run no code)."""
        alive = []
        for comm, pid in self.pids.items():
            st = proc_stat(pid)
            if st is not None and st.comm == comm:
                alive.append(f"{comm} ({pid})")
        return alive

    def wait_workloads_gone(self, timeout: float = 3.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while (alive := self.workloads_alive()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return alive


def trace(program: str, seconds: float) -> dict[str, dict[str, int]]:
    """Run a bpftrace program for `seconds` after it attached; its maps as {"@name": {key: value}}.

    Keys of multi-key maps are bpftrace's JSON form: the parts joined by commas.
    """
    prog = f"{program}\ninterval:ms:{int(seconds * 1000)} {{ exit(); }}"
    p = subprocess.run([*bpftrace_command(), "-f", "json", "-e", prog], capture_output=True, text=True,
                       timeout=seconds + 60)
    assert p.returncode == 0, f"bpftrace failed ({p.returncode}): {p.stderr}\n{prog}"
    maps: dict[str, dict[str, int]] = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            obj = json.loads(line)
            if obj.get("type") == "map":
                maps.update(obj["data"])
    return maps
