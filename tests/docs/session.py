"""One docs run: the lab's workload, every example run once, and a clean machine after.

The workload (`bpfhol syscalls`) starts once and is awaited by its `ready` line, as a
learner would start it in another terminal.  The examples then run concurrently (each
mostly sleeps while it traces); an `exclusive` example runs with nothing else beside it,
for answers such as "the top mmap caller" that other examples' start-up could disturb.
Before and after, the BPF programs and processes on the machine are compared: anything
a run left behind fails the session.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bpfhol.expect import check, fill
from bpfhol.runner import RunResult, run_program, unignore_sigint
from tests.docs.pages import DocExample
from tests.workload_helpers import Lab, answer_key


class _SharedExclusiveLock:
    """Many shared holders, or one exclusive holder; a waiting exclusive one blocks newcomers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    def acquire(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._waiting += 1
                self._cond.wait_for(lambda: not self._exclusive and self._shared == 0)
                self._waiting -= 1
                self._exclusive = True
            else:
                self._cond.wait_for(lambda: not self._exclusive and self._waiting == 0)
                self._shared += 1

    def release(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._exclusive = False
            else:
                self._shared -= 1
            self._cond.notify_all()


class Workload(Lab):
    """`bpfhol syscalls` for one docs run: its own state directory, and its answer key."""

    def __init__(self, seed: int) -> None:
        self.state_tmp = tempfile.mkdtemp(prefix="bpfhol-docs-state-")
        try:
            super().__init__(Path(self.state_tmp), "--seed", str(seed))
        except BaseException:
            shutil.rmtree(self.state_tmp, ignore_errors=True)
            raise
        self.key = answer_key(seed)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.ctrl_c()
            try:
                self.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.state_tmp, ignore_errors=True)


def _bpf_prog_ids() -> set[int] | None:
    bpftool = shutil.which("bpftool") or ("/usr/sbin/bpftool" if os.path.exists("/usr/sbin/bpftool") else None)
    if bpftool is None:
        return None
    out = subprocess.run([bpftool, "prog", "show", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return {p["id"] for p in json.loads(out.stdout or "[]")}


def _prog_holders() -> dict[int, set[int]]:
    """BPF program id -> pids holding an fd to it (from /proc/*/fdinfo's prog_id lines)."""
    holders: dict[int, set[int]] = {}
    for fdinfo in Path("/proc").glob("[0-9]*/fdinfo/*"):
        try:
            text = fdinfo.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("prog_id:"):
                holders.setdefault(int(line.split()[1]), set()).add(int(fdinfo.parts[2]))
    return holders


def _stat(pid: int | str) -> list[str] | None:
    """/proc/PID/stat's fields from the state on (state is [0], session [3], start time [19])."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _session_processes(sids: dict[int, str], tmpdirs: set[str]) -> dict[int, str]:
    """Live processes in the given sessions (each run and the workload start a session of their own),
    and any process still running one of the runs' temporary program files.

    `sids` maps a session id to its leader's start time.  While any member of a session
    lives, the kernel keeps its id from being reused; once all are gone, a new process may
    get that pid and lead a session of its own: its start time tells it apart.
    """
    reused = {sid for sid, start in sids.items() if (lead := _stat(sid)) is not None and lead[19] != start}
    found = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        fields = _stat(d.name)
        try:
            cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            comm = (d / "comm").read_text().strip()
        except OSError:
            continue
        if fields is None or fields[0] == "Z":
            continue
        sid = int(fields[3])
        if (sid in sids and sid not in reused) or any(t in cmdline for t in tmpdirs):
            found[int(d.name)] = f"{comm}: {cmdline.strip()[:120]}"
    return found


class DocsRun:
    """Runs a set of examples against one workload; results are awaited one by one."""

    def __init__(self, examples: list[DocExample], *, seed: int = 0, jobs: int | None = None) -> None:
        self.examples = examples
        self.seed = seed
        self.jobs = jobs or int(os.environ.get("BPFHOL_DOCS_JOBS", "3"))
        self.futures: dict[str, Future[RunResult]] = {}
        self.workload: Workload | None = None
        self.key: dict[str, Any] | None = None
        self.wall: float = 0.0
        self._lock = _SharedExclusiveLock()
        self._pool: ThreadPoolExecutor | None = None
        self._before_progs: set[int] | None = None
        self._sids: dict[int, str] = {}  # sessions of every run and of the workload -> leader start time
        self._tmpdirs: set[str] = set()  # where each run's program file was

    def start(self) -> None:
        unignore_sigint()
        self._t0 = time.monotonic()
        self._before_progs = _bpf_prog_ids()
        runnable = [ex for ex in self.examples if not ex.problems]
        # BPFHOL_DOCS_WORKLOAD=none runs examples without the lab's workload (and its answer key).
        if runnable and os.environ.get("BPFHOL_DOCS_WORKLOAD") != "none":
            self.workload = Workload(self.seed)
            self.key = self.workload.key
            self._started(self.workload.proc.pid, None)
        self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="example")
        for ex in runnable:
            self.futures[ex.id] = self._pool.submit(self._run, ex)

    def _run(self, ex: DocExample) -> RunResult:
        self._lock.acquire(ex.spec.exclusive)
        try:
            return run_program(ex.kind, ex.source, run=ex.spec.run, timeout=ex.spec.hard_timeout,
                               on_start=self._started)
        finally:
            self._lock.release(ex.spec.exclusive)

    def _started(self, pid: int, tmpdir: str | None) -> None:
        fields = _stat(pid)
        self._sids[pid] = fields[19] if fields else ""
        if tmpdir:
            self._tmpdirs.add(tmpdir)

    def result(self, ex: DocExample) -> RunResult:
        return self.futures[ex.id].result()

    def close(self) -> list[str]:
        """Stop everything; return what was left behind (empty when the machine is clean)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self.workload is not None:
            self.workload.stop()
        self.wall = time.monotonic() - getattr(self, "_t0", time.monotonic())
        leftovers = []
        deadline = time.monotonic() + 5
        while True:  # the kernel frees a closed program's memory after an RCU grace period
            procs = _session_processes(self._sids, self._tmpdirs)
            progs = _bpf_prog_ids()
            new_progs = (progs - self._before_progs) if progs is not None and self._before_progs is not None else set()
            if new_progs:  # programs another live tool holds are not ours to judge
                holders = _prog_holders()
                new_progs = {i for i in new_progs if not holders.get(i) or holders[i] & set(procs)}
            if (not procs and not new_progs) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        leftovers += [f"process {p} left running: {d}" for p, d in sorted(procs.items())]
        for pid in procs:  # reported; now leave the machine clean anyway
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        leftovers += [f"BPF program id {i} still loaded" for i in sorted(new_progs)]
        return leftovers


def judge(ex: DocExample, result: RunResult, key: dict[str, Any] | None, *, shown: bool = True) -> list[str]:
    """Everything wrong with one example's run (and, with `shown`, with the output the page shows)."""
    wrong = []
    if result.timed_out:
        wrong.append(f"timed out after {ex.spec.hard_timeout:.0f} s (timeout:) and was killed")
    elif result.returncode != ex.spec.exit:
        wrong.append(f"exit status {result.returncode}, expected {ex.spec.exit}")
    if ex.spec.run is not None and not result.interrupted and not result.timed_out and result.returncode == 0:
        if not result.stdout:
            wrong.append("printed nothing on stdout, so the traced period never started")
    try:
        wrong += [f"live output: {b}" for b in check(ex.spec, result.stdout, key)]
        if shown:
            if ex.shown is None:
                wrong.append(f"shown output snippets/{ex.shown_name} is missing: run ./dev capture")
            else:
                wrong += [f"shown output: {b}" for b in check(ex.spec, ex.shown, key)]
    except Exception as e:  # a placeholder naming nothing in the answer key
        wrong.append(f"expectation error: {e}")
    return wrong


def expectations(ex: DocExample, key: dict[str, Any] | None) -> list[str]:
    lines = []
    for kind, patterns in (("expect", ex.spec.expect), ("expect-none", ex.spec.expect_none)):
        for p in patterns:
            try:
                lines.append(f"{kind}: {fill(p, key)}")
            except Exception as e:
                lines.append(f"{kind}: {p}  ({e})")
    return lines
