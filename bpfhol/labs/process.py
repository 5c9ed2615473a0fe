"""A lab's supervisor started from a program, as a learner starts it in a second terminal.

`LabProcess` runs `bpfhol <lab>` as a bpfhol.process.Child (its own session, so a SIGINT to its
group is a terminal's Ctrl-C; it dies with its owner) with a state directory of its own (so it
can run beside a learner's lab or another test's), registered in the usual state directory so
that `bpfhol status` and `bpfhol stop` see it. It waits for `ready`, then reads the workloads'
pids and private directory from the state file the supervisor wrote, and computes the answer
key in-process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bpfhol import config
from bpfhol.labs import get, supervisor
from bpfhol.labs.supervisor import read_state
from bpfhol.process import Child, tempdir, until
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
        self._owned = contextlib.ExitStack()
        if state_dir is None:
            state_dir = Path(self._owned.enter_context(tempdir("bpfhol-lab-state-")))
            self._owned.enter_context(supervisor.registered(str(state_dir)))
        self.state_dir = state_dir
        e = dict(os.environ if env is None else env, BPFHOL_STATE_DIR=str(self.state_dir), PYTHONUNBUFFERED="1")
        self.pids: dict[str, int] = {}
        self.privdir = ""
        self.key: dict[str, Any] = {}
        try:
            self.child = Child(
                [sys.executable, "-m", "bpfhol", lab, "--seed", str(seed), *args], cwd=config.ROOT, env=e
            )
            self._await_ready()
        except BaseException:
            if hasattr(self, "child"):
                self.kill()
            self.cleanup()  # a lab that never started leaves no state directory either
            raise

    @property
    def lines(self) -> list[str]:
        return [line for _, line in self.child.out.items]

    def _await_ready(self) -> None:
        if not self.child.wait_for(lambda: "ready" in self.lines, READY_TIMEOUT):
            self.kill()
            err = self.child.err.text().strip()
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
    def proc(self) -> subprocess.Popen[str]:
        return self.child.proc

    @property
    def pid(self) -> int:
        return self.child.pid

    def ctrl_c(self) -> None:
        self.child.interrupt()  # what a terminal does: the whole foreground group

    def wait(self, timeout: float = 15) -> tuple[int, str]:
        """Exit status and stderr, once it has ended (TimeoutError if it has not)."""
        rc = self.child.wait(timeout)
        if rc is None:
            raise TimeoutError(f"the {self.spec.name} lab still runs after {timeout:g} s")
        self.child.kill()  # reaped already: this finishes reading what it printed
        return rc, self.child.err.text()

    def kill(self) -> None:
        """SIGTERM (the supervisor then stops its workloads), SIGKILL if it will not go."""
        self.child.terminate(grace=10)
        self.child.kill()

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a learner stops it; then what a stop by force leaves is cleaned up too."""
        rc, err = 0, ""
        if self.child.returncode is None:
            self.ctrl_c()
            try:
                rc, err = self.wait(15)
            except TimeoutError:
                self.kill()
                rc, err = self.child.proc.returncode, "did not stop on Ctrl-C"
        self.cleanup()
        return rc, err

    def cleanup(self) -> None:
        """After a supervisor died without cleaning up (SIGKILL): what it left is removed as `bpfhol stop` would."""
        if read_state(str(self.state_dir), self.spec.name) is not None:
            subprocess.run(
                [sys.executable, "-m", "bpfhol", "stop"],
                cwd=config.ROOT,
                capture_output=True,
                env=dict(os.environ, BPFHOL_STATE_DIR=str(self.state_dir)),
                timeout=60,
            )
        self._owned.close()

    def workloads_alive(self) -> list[str]:
        """The workloads still running (zombies count as gone: they run no code)."""
        alive = []
        for comm, pid in self.pids.items():
            st = proc_stat(pid)
            if st is not None and st.comm == comm:
                alive.append(f"{comm} ({pid})")
        return alive

    def wait_workloads_gone(self, timeout: float = 3.0) -> list[str]:
        until(lambda: not self.workloads_alive(), timeout)
        return self.workloads_alive()
