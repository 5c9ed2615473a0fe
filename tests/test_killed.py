"""A command killed with SIGKILL in full flight leaves nothing: no BPF program attached, no lab, no temp dir.

Each command runs as a learner's terminal or a CI job would run it, with a private temp dir
(TMPDIR) and state dir, so what it left is told apart from anything else on the machine. It is
killed once its tracers hold BPF programs; 5 s later the machine must be as before.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bpfhol.examples.leftovers import Baseline, Tracker
from bpfhol.examples.session import DocsRun
from bpfhol.labs.process import LabProcess
from bpfhol.process import OWNER_FILE, until
from bpfhol.procfs import all_pids, cmdline, fd_targets, proc_stat

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets" / "syscalls"
AFTER_KILL = 5.0


def _descendants(pid: int) -> list[int]:
    """Every live process below pid (by parent links)."""
    children: dict[int, list[int]] = {}
    for p in all_pids():
        st = proc_stat(p)
        if st is not None:
            children.setdefault(st.ppid, []).append(p)
    found, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found


def _tracers(pid: int) -> list[int]:
    """Descendants that hold a BPF program or link: attached tracers."""
    return [p for p in _descendants(pid) if any(t.startswith("anon_inode:bpf-") for t in fd_targets(p))]


def _wait_for(what: str, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout:.0f} s")
        time.sleep(0.1)


def _kill_in_flight(argv: list[str], tmp_path: Path, ready) -> tuple[list[str], str]:
    """Start argv, SIGKILL it once `ready(pid)`; after AFTER_KILL s: (what it left, `bpfhol status`)."""
    # Not under tmp_path (mode 0700 above it): a lab's workloads run as another user and make
    # their directory in TMPDIR.
    tmp = Path(tempfile.mkdtemp(prefix="killed-test-", dir="/tmp"))
    os.chmod(tmp, 0o1777)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    env = dict(os.environ, TMPDIR=str(tmp), BPFHOL_STATE_DIR=str(state), PYTHONUNBUFFERED="1")
    before = Baseline.take()
    tracker = Tracker()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for("no tracer attached", lambda: ready(proc.pid), 90)
        for p in _descendants(proc.pid):  # their sessions: whatever runs in them later is theirs
            tracker.started(p)
            if (st := proc_stat(p)) is not None and st.sid not in tracker.sessions:
                tracker.started(st.sid)
        tracker.tmpdirs.add(str(tmp))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(AFTER_KILL)
        left = [f"{p} {cmdline(p)[:100]}" for p in _descendants_in(tracker)]
        left += [f"{p} left in TMPDIR" for p in sorted(os.listdir(tmp))]
        left += [f"BPF {w}" for w in tracker.leftovers(before, settle=0.0) if w.startswith("BPF")]
        status = subprocess.run(
            [sys.executable, "-m", "bpfhol", "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        return left, status.stdout + status.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        tracker.leftovers(before, settle=0.0)  # leave the machine clean whatever happened
        subprocess.run([sys.executable, "-m", "bpfhol", "stop"], cwd=ROOT, env=env, capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def _descendants_in(tracker: Tracker) -> list[int]:
    return sorted(tracker.processes())


def test_a_killed_check_leaves_nothing(tmp_path: Path, needs_bpf: None) -> None:
    """`bpfhol check mmap-1` with its own lab, its reference and the learner's bpftrace attached: kill -9."""
    argv = [
        sys.executable,
        "-m",
        "bpfhol",
        "check",
        "mmap-1",
        str(SNIPPETS / "mmap-top-caller.bt"),
        "--seconds",
        "30",
    ]
    left, status = _kill_in_flight(argv, tmp_path, lambda pid: len(_tracers(pid)) >= 2)
    assert left == [], "\n".join(left)
    assert "no lab workloads running" in status, status


def test_a_killed_docs_run_leaves_nothing(tmp_path: Path, needs_bpf: None) -> None:
    """`pytest docs -k exercises_mmap` with a BCC example attached: kill -9."""
    argv = [sys.executable, "-m", "pytest", "docs", "-k", "exercises_mmap", "-p", "no:cacheprovider", "-q"]

    def bcc_attached(pid: int) -> bool:
        return any(proc_stat(p) is not None and "python" in proc_stat(p).comm for p in _tracers(pid))

    left, status = _kill_in_flight(argv, tmp_path, bcc_attached)
    assert left == [], "\n".join(left)
    assert "no lab workloads running" in status, status


def _lab_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    tmp = Path(tempfile.mkdtemp(prefix="killed-test-", dir="/tmp"))
    os.chmod(tmp, 0o1777)  # the workloads may run as another user
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    return dict(os.environ, TMPDIR=str(tmp), BPFHOL_STATE_DIR=str(state), PYTHONUNBUFFERED="1"), tmp


def test_the_next_command_sweeps_what_a_killed_lab_left(tmp_path: Path) -> None:
    """kill -9 of `bpfhol syscalls`: its workloads die with it; its directory and state go at the next command."""
    env, tmp = _lab_env(tmp_path)
    try:
        lab = subprocess.Popen(
            [sys.executable, "-m", "bpfhol", "syscalls"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        assert lab.stdout is not None
        while (line := lab.stdout.readline()) and line.strip() != "ready":
            pass
        assert line, "the lab did not start"
        workloads = _descendants(lab.pid)
        lab.kill()
        lab.wait()
        assert until(lambda: not any(proc_stat(p) for p in workloads), 3), "workloads outlived their supervisor"
        left = [p.name for p in tmp.iterdir()]
        assert [n for n in left if n.startswith("bpfhol-syscalls-")], left
        status = subprocess.run(
            [sys.executable, "-m", "bpfhol", "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert status.stderr.count("\n") == 1 and "cleaned up after a run that was killed" in status.stderr, status
        assert "no lab workloads running" in status.stdout, status
        assert list(tmp.iterdir()) == []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_status_and_stop_see_a_lab_with_a_private_state_dir(tmp_path: Path) -> None:
    """A lab the docs engine or a check starts keeps its state apart, and is listed in the usual state dir."""
    env, tmp = _lab_env(tmp_path)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        lab = LabProcess("syscalls", 0)  # a private state directory, as the docs engine starts it
        try:
            bpfhol = [sys.executable, "-m", "bpfhol"]
            status = subprocess.run([*bpfhol, "status"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            assert f"syscalls lab running: supervisor pid {lab.pid}" in status.stdout, status
            stop = subprocess.run([*bpfhol, "stop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            assert f"stopped the syscalls lab (pid {lab.pid})" in stop.stdout, stop
            assert lab.wait_workloads_gone(5) == []
        finally:
            lab.stop()
        assert list((tmp_path / "state").glob("private-*")) == [], "the registration goes with the lab"
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_docs_run_sweeps_what_a_killed_run_left() -> None:
    left = Path(tempfile.mkdtemp(prefix="bpfhol-run-"))
    (left / OWNER_FILE).write_text("1.0\n")  # pid 1 did not start at tick 0: an owner that is gone
    try:
        run = DocsRun([], jobs=1)
        with pytest.warns(
            UserWarning, match="cleaned up after a run that was killed: .*removed " + re.escape(str(left))
        ):
            run.start()
        assert run.close() == []
        assert not left.exists()
    finally:
        shutil.rmtree(left, ignore_errors=True)
