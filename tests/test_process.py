"""bpfhol.process: one owner for every child process. Real processes, no root needed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bpfhol.process import OUTPUT_LIMIT, OWNER_FILE, Child, owner_mark, tempdir, until
from bpfhol.procfs import proc_stat

ROOT = Path(__file__).resolve().parent.parent


def alive(pid: int) -> bool:
    return proc_stat(pid) is not None


def test_a_marker_line_is_noted_not_kept() -> None:
    with Child(["sh", "-c", "echo one; echo READY; echo two; sleep 30"], markers=("READY",)) as c:
        assert c.wait_for(lambda: "READY" in c.out.seen and len(c.out) == 2, 10)
        assert c.out.text() == "one\ntwo\n"


def test_waiting_for_a_line_ends_at_the_deadline() -> None:
    with Child(["sleep", "30"]) as c:
        t0 = time.monotonic()
        assert c.wait_line("never", 0.5) is None
        assert 0.4 < time.monotonic() - t0 < 3
        assert c.returncode is None


def test_waiting_ends_early_when_the_child_exits() -> None:
    with Child(["sh", "-c", "echo bye >&2; exit 3"]) as c:
        t0 = time.monotonic()
        assert not c.wait_for(lambda: False, 30)
        assert time.monotonic() - t0 < 5
        assert c.wait() == 3
    assert c.err.text() == "bye\n"


_STUBBORN = (
    "import signal, subprocess, time\n"
    "p = subprocess.Popen(['sleep', '30'])\n"  # keeps the default dispositions
    "print(p.pid, flush=True)\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


def test_interrupt_reaches_the_group_then_kill_escalates() -> None:
    """The leader ignores SIGINT and SIGTERM; its child does not."""
    with Child([sys.executable, "-c", _STUBBORN]) as c:
        assert c.wait_line("^ready$", 10) is not None
        child_pid = int(c.out.items[0][1])
        c.interrupt()
        assert until(lambda: not alive(child_pid), 5), "SIGINT should reach the whole group"
        assert c.wait(0.5) is None, "the leader ignores SIGINT"
        t0 = time.monotonic()
        assert c.terminate(grace=0.5) == -signal.SIGKILL
        assert time.monotonic() - t0 < 5


def test_leaving_the_block_kills_the_group() -> None:
    with Child(["bash", "-c", "sleep 30 & echo $!; wait"]) as c:
        found = c.wait_line(r"^\d+$", 10)
        assert found is not None
        grandchild = int(found[1])
    assert c.returncode == -signal.SIGKILL
    assert until(lambda: not alive(grandchild), 5)


def test_a_missing_program_is_an_error_at_once() -> None:
    try:
        Child(["no-such-program-bpfhol"])
    except FileNotFoundError as e:
        assert e.filename == "no-such-program-bpfhol"
    else:
        raise AssertionError("expected FileNotFoundError")


def test_tempdir_names_its_owner_and_goes() -> None:
    with tempdir("bpfhol-test-") as path:
        assert (Path(path) / OWNER_FILE).read_text().strip() == owner_mark()
    assert not os.path.exists(path)


# A bpfhol process that starts a child, a grandchild and a temp dir from a worker thread that then
# ends, and prints their pids: it is SIGKILLed, and all must go.
_OWNER = textwrap.dedent(
    """
    import threading, time
    from bpfhol.process import Child, tempdir
    kept = []
    def start():
        c = Child(["bash", "-c", "(trap '' TERM; sleep 60) & echo $!; wait"])
        kept.append(c)
        found = c.wait_line(r"^[0-9]+$", 10)
        print(c.pid, found[1], flush=True)
    t = threading.Thread(target=start)
    t.start()
    t.join()  # the thread that forked has ended: the child must still live
    d = tempdir("bpfhol-test-")
    print(d.__enter__(), flush=True)
    time.sleep(60)
    """
)


def test_children_die_with_a_killed_owner() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER], cwd=ROOT, stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )
    try:
        assert owner.stdout is not None
        child, grandchild = (int(w) for w in owner.stdout.readline().split())
        path = owner.stdout.readline().strip()
        time.sleep(0.3)
        assert alive(child), "the parent-death signal must follow the process, not the thread that forked"
        assert os.path.isdir(path)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert until(lambda: not alive(child), 2), "PR_SET_PDEATHSIG should end the child"
        # The grandchild ignores SIGTERM: the guard's SIGKILL after its grace ends it.
        assert until(lambda: not alive(grandchild), 10), "the guard should end the grandchild"
        assert until(lambda: not os.path.exists(path), 5), "the guard should remove the temp dir"
    finally:
        owner.kill()
        owner.wait()


def test_a_flood_is_cut_short() -> None:
    with Child(["yes", "a line printed again and again"]) as c:
        assert c.wait_for(lambda: c.returncode is not None, 30)
    assert c.flooded and c.returncode == -signal.SIGKILL
    assert sum(len(line) + 1 for _, line in c.out.items) <= OUTPUT_LIMIT + 100
