"""A lab's supervisor started from a program, as a learner starts it in a second terminal.

`LabProcess` runs `bpfhol <lab>` in its own session (so a SIGINT to its group is a terminal's
Ctrl-C) with a state directory of its own (so it can run beside a learner's lab or another test's),
waits for `ready`, then reads the workloads' pids and private directory from the state file the
supervisor wrote, and computes the answer key in-process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bpfhol import config
from bpfhol.labs import get
from bpfhol.labs.supervisor import read_state
from bpfhol.procfs import proc_stat

READY_TIMEOUT = 30.0


class LabError(RuntimeError):
    """The lab did not start: one message saying why."""


class LabProcess:
    """`bpfhol <lab> --seed N`, started and awaited. After start: `pids`, `privdir`, `key`."""

    def __init__(
        self, lab: str, seed: int = 0, *args: str, state_dir: Path | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.spec = get(lab)
        self.seed = seed
        self._own_state = state_dir is None
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="bpfhol-lab-state-"))
        e = dict(os.environ if env is None else env, BPFHOL_STATE_DIR=str(self.state_dir), PYTHONUNBUFFERED="1")
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bpfhol", lab, "--seed", str(seed), *args],
            cwd=config.ROOT,
            env=e,
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.pids: dict[str, int] = {}
        self.privdir = ""
        self.key: dict[str, Any] = {}
        try:
            self._await_ready()
        except BaseException:
            self.kill()
            self.cleanup()  # a lab that never started leaves no state directory either
            raise

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                self._ready.set()
        self._ready.set()

    def _await_ready(self) -> None:
        if not self._ready.wait(READY_TIMEOUT) or "ready" not in self.lines:
            self.kill()
            err = (self.proc.stderr.read() if self.proc.stderr else "").strip()
            raise LabError(
                f"'bpfhol {self.spec.name} --seed {self.seed}' did not report ready within "
                f"{READY_TIMEOUT:.0f} s: {err or self.lines or 'no output'}"
            )
        state = read_state(str(self.state_dir), self.spec.name) or {}
        self.pids = {c["comm"]: c["pid"] for c in state.get("children", [])}
        self.privdir = state.get("privdir") or ""
        if sorted(self.pids) != sorted(self.spec.comms(self.seed)) or not self.privdir:
            raise LabError(f"the {self.spec.name} lab's state does not list its workloads: {state}")
        self.key = self.spec.answer_key(self.seed)

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
        """SIGTERM (the supervisor then stops its workloads), SIGKILL if it will not go."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a learner stops it; then what a stop by force leaves is cleaned up too."""
        rc, err = 0, ""
        if self.proc.poll() is None:
            self.ctrl_c()
            try:
                rc, err = self.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
                rc, err = self.proc.returncode, "did not stop on Ctrl-C"
        self.cleanup()
        return rc, err

    def cleanup(self) -> None:
        """After a supervisor died without cleaning up (SIGKILL): `bpfhol stop` on its state removes what it left."""
        if read_state(str(self.state_dir), self.spec.name) is not None:
            subprocess.run(
                [sys.executable, "-m", "bpfhol", "stop"],
                cwd=config.ROOT,
                capture_output=True,
                env=dict(os.environ, BPFHOL_STATE_DIR=str(self.state_dir)),
                timeout=60,
            )
        if self._own_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

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
