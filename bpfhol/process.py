"""Every child process bpfhol starts, owned in one place: spawn, read, wait for a line, interrupt, kill.

A `Child` runs in a session (and process group) of its own, so a SIGINT to its group is a
terminal's Ctrl-C and a SIGKILL to its group reaches whatever it started. Threads read its
stdout and stderr line by line; `wait_for` waits, with a deadline, for a line or any condition
on what was read. Leaving its `with` block always kills the group and reaps it.

Children die with their parent, even when bpfhol is SIGKILLed:
- each child gets a parent-death signal (PR_SET_PDEATHSIG, SIGTERM), set by util-linux's
  `setpriv` so that no Python code runs between fork and exec. The kernel sends it when the
  *thread* that forked exits, so every child is forked by one long-lived thread (`_Keeper`).
- a guard process per bpfhol process, in a session of its own, holds the read end of a pipe.
  When bpfhol dies the pipe closes: the guard sends SIGTERM (then SIGKILL) to every process
  that carries bpfhol's mark in its environment (OWNER_ENV, inherited by grandchildren such as
  a lab's workloads or a shell example's bpftrace) and removes the temporary directories bpfhol
  registered (`tempdir`).
What even the guard could not clean (it was killed too) is swept by the next command
(bpfhol.labs.supervisor.sweep).
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import IO, Any

from bpfhol.procfs import proc_stat

OWNER_ENV = "BPFHOL_OWNER"  # pid.starttime of the bpfhol process that owns a child (and its descendants)
OWNER_FILE = ".bpfhol-owner"  # in a registered temporary directory: its owner, for the next command's sweep
TERM_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
# The guard's: longer than a lab supervisor's own SIGTERM-to-SIGKILL grace, so that a supervisor
# it stops has the time to stop its workloads and remove its directory itself.
GUARD_GRACE = 5.0
POLL = 0.02
DRAIN = 1.0  # seconds to read what an exited child printed
OUTPUT_LIMIT = 8 << 20  # characters kept of a stream; a child that prints more is killed (a flood)


def until(predicate: Callable[[], Any], timeout: float, interval: float = POLL) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    return True


def owner_mark(pid: int | None = None) -> str:
    """`pid.starttime`: names one process for good (a pid alone may be reused)."""
    st = proc_stat(pid or os.getpid(), zombies=True)
    return f"{st.pid}.{st.starttime}" if st else f"{pid}.0"


def owner_alive(mark: str) -> bool:
    pid, _, start = mark.partition(".")
    st = proc_stat(int(pid)) if pid.isdigit() else None
    return st is not None and str(st.starttime) == start


def signal_group(pgid: int, sig: int) -> None:
    """Send sig to a process group; one already gone (or not ours) is not an error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def join_group(pid: int, pgid: int) -> None:
    """Put `pid` (0: this process) in process group `pgid` (0: a new group that `pid` leads).
    A forking parent and its child both call it, so the group exists before the next fork
    whichever runs first; the loser's EACCES (the child has exec'd or moved) or ESRCH (it died)
    means the other one did it."""
    try:
        os.setpgid(pid, pgid)
    except OSError as e:
        if pid == 0 or e.errno not in (errno.EACCES, errno.ESRCH):
            raise


# --- the guard ----------------------------------------------------------------------------------------

_GUARD = r"""
import os, shutil, signal, sys, time
mark = sys.argv[1]
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)  # a terminal's Ctrl-C is for bpfhol; we wait for it to end
paths = set()
for line in sys.stdin:
    op, _, path = line.rstrip("\n").partition(" ")
    (paths.add if op == "+" else paths.discard)(path)
needle = ("BPFHOL_OWNER=" + mark).encode()
def marked():
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(name))
        except (OSError, ValueError):
            pass
    return found
def send(sig):
    left = marked()
    for pid in left:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    return left
if send(signal.SIGTERM):
    deadline = time.monotonic() + float(sys.argv[2])
    while marked() and time.monotonic() < deadline:
        time.sleep(0.05)
    while send(signal.SIGKILL) and time.monotonic() < deadline + 5:
        time.sleep(0.05)
for path in paths:
    shutil.rmtree(path, ignore_errors=True)
"""


class _Guard:
    """The guard process of this bpfhol process (started on first use, one per process)."""

    _lock = threading.Lock()
    _pipe: int | None = None
    _for_pid = 0

    @classmethod
    def send(cls, line: str) -> None:
        with cls._lock:
            if cls._pipe is None or cls._for_pid != os.getpid():
                cls._start()
            assert cls._pipe is not None
            os.write(cls._pipe, (line + "\n").encode())

    @classmethod
    def _start(cls) -> None:
        r, w = os.pipe2(os.O_CLOEXEC)
        subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _GUARD, owner_mark(), str(GUARD_GRACE)],
            stdin=r,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not in bpfhol's group: a kill of the group leaves it to clean up
        )
        os.close(r)
        cls._pipe, cls._for_pid = w, os.getpid()


@contextlib.contextmanager
def tempdir(prefix: str) -> Iterator[str]:
    """A temporary directory removed on exit, or by the guard (or the next command) if bpfhol is killed."""
    path = tempfile.mkdtemp(prefix=prefix)
    try:
        with open(os.path.join(path, OWNER_FILE), "w") as f:
            f.write(owner_mark() + "\n")
        _Guard.send(f"+ {path}")
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        _Guard.send(f"- {path}")


# --- spawning from one long-lived thread ------------------------------------------------------------


class _Keeper:
    """The thread that forks every child: the parent-death signal fires when it exits, i.e. with us."""

    _queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
    _thread: threading.Thread | None = None
    _lock = threading.Lock()

    @classmethod
    def run(cls, fn: Callable[[], Any]) -> Any:
        with cls._lock:
            if cls._thread is None or not cls._thread.is_alive():
                cls._thread = threading.Thread(target=cls._loop, name="bpfhol-spawner", daemon=True)
                cls._thread.start()
        done: Future[Any] = Future()
        cls._queue.put((fn, done))
        return done.result()

    @classmethod
    def _loop(cls) -> None:
        while True:
            fn, done = cls._queue.get()
            try:
                done.set_result(fn())
            except BaseException as e:  # handed to the caller
                done.set_exception(e)


def _setpriv() -> list[str]:
    tool = shutil.which("setpriv") or next((p for p in ("/usr/bin/setpriv", "/bin/setpriv") if os.path.exists(p)), None)
    return [tool, "--pdeathsig", "TERM", "--"] if tool else []


# --- a child ---------------------------------------------------------------------------------------------


class Lines:
    """What a child printed on one stream: (arrival time, line without its newline), as it comes."""

    def __init__(self, cond: threading.Condition, markers: frozenset[str], on_full: Callable[[], None]) -> None:
        self.items: list[tuple[float, str]] = []
        self.markers = markers
        self.seen: dict[str, float] = {}  # marker line -> when it came (never kept in items)
        self.size = 0  # characters kept
        self._cond = cond
        self._on_full = on_full

    def text(self) -> str:
        return "".join(line + "\n" for _, line in self.items)

    def __len__(self) -> int:
        return len(self.items)

    def feed(self, stream: IO[str]) -> None:
        for raw in iter(stream.readline, ""):
            line = raw.rstrip("\n")
            with self._cond:
                if line.strip() in self.markers:
                    self.seen[line.strip()] = time.monotonic()
                else:
                    self.items.append((time.monotonic(), line))
                    self.size += len(raw)
                    if self.size > OUTPUT_LIMIT:
                        self._on_full()
                        return
                self._cond.notify_all()


class Child:
    """One child process in its own session; see the module's docstring. Use it as a context manager."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stdout: int | IO[Any] | None = subprocess.PIPE,
        stderr: int | IO[Any] | None = subprocess.PIPE,
        markers: tuple[str, ...] = (),
        copy_to: IO[bytes] | None = None,
    ) -> None:
        """`markers`: lines noted in `seen` rather than kept; `copy_to`: stdout copied there as it comes."""
        if shutil.which(argv[0], path=(env or os.environ).get("PATH")) is None and not os.path.isfile(argv[0]):
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        full_env = dict(os.environ if env is None else env)
        full_env[OWNER_ENV] = owner_mark()
        _Guard.send("")  # the guard is up before any child exists
        self.argv = argv
        self._cond = threading.Condition()
        self.flooded = False  # killed for printing more than OUTPUT_LIMIT on a stream
        self.out = Lines(self._cond, frozenset(markers), self._flood)
        self.err = Lines(self._cond, frozenset(markers), self._flood)
        text = copy_to is None
        self.proc: subprocess.Popen[Any] = _Keeper.run(
            lambda: subprocess.Popen(
                [*_setpriv(), *argv],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                text=text,
                errors="replace" if text else None,
                cwd=cwd,
                env=full_env,
                start_new_session=True,
            )
        )
        self.started = time.monotonic()
        self._exited: float | None = None  # when wait_for first saw it gone
        self._readers: list[threading.Thread] = []
        if copy_to is not None and self.proc.stdout is not None:
            self._reader(_copy, self.proc.stdout, copy_to)
        else:
            for lines, stream in ((self.out, self.proc.stdout), (self.err, self.proc.stderr)):
                if stream is not None:
                    self._reader(lines.feed, stream)

    def _flood(self) -> None:
        self.flooded = True
        self.signal(signal.SIGKILL)  # nothing more is kept: do not let it run on unread

    def _reader(self, target: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._cond:
                    self._cond.notify_all()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        self._readers.append(t)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def reading(self) -> bool:
        """True while a stream is still open (the child, or something it started, may print more)."""
        return any(t.is_alive() for t in self._readers)

    def wait_for(self, predicate: Callable[[], Any], timeout: float) -> bool:
        """Wait until predicate() holds (True), or the timeout, or the child is gone and read (False).

        Once the child has exited, what it printed is read within DRAIN seconds; a process it left
        behind (in a group of its own) may hold its pipes open for good.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                now = time.monotonic()
                if self.proc.poll() is not None:
                    if not self.reading():
                        return bool(predicate())
                    self._exited = self._exited or now
                    deadline = min(deadline, self._exited + DRAIN)
                if now >= deadline:
                    return bool(predicate())
                self._cond.wait(min(deadline - now, 0.1))  # 0.1: also notice an exit that closes no stream
        return True

    def wait_line(self, pattern: str, timeout: float) -> tuple[float, str] | None:
        """The first stdout line matching the regex: (when it came, the line), or None."""
        rx = re.compile(pattern)

        def first() -> tuple[float, str] | None:
            return next(((t, ln) for t, ln in self.out.items if rx.search(ln)), None)

        self.wait_for(first, timeout)
        return first()

    def wait(self, timeout: float | None = None) -> int | None:
        """Exit status, or None if still running after `timeout` seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, sig: int) -> None:
        """Send sig to the child's whole group (SIGINT: what a terminal's Ctrl-C does)."""
        if self.proc.returncode is None:  # not yet reaped: its pid is still its group id
            signal_group(self.proc.pid, sig)

    def interrupt(self) -> None:
        self.signal(signal.SIGINT)

    def terminate(self, grace: float = TERM_GRACE) -> int:
        """SIGTERM to the group, SIGKILL if it has not ended after `grace` seconds; the exit status."""
        self.signal(signal.SIGTERM)
        if self.wait(grace) is None:
            self.kill()
        return self.proc.wait()

    def kill(self) -> None:
        """SIGKILL the whole group, reap the child and finish reading what it printed."""
        self.signal(signal.SIGKILL)
        self.proc.wait()
        until(lambda: not self.reading(), DRAIN)
        if not self.reading():  # else a process it left holds a pipe: closing would wait for it
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def _copy(src: IO[bytes], dst: IO[bytes]) -> None:
    """Raw output into a file as it comes (a child that hangs still shows how far it got)."""
    with contextlib.suppress(OSError, ValueError):
        for chunk in iter(lambda: src.read1(65536), b""):  # type: ignore[attr-defined]
            dst.write(chunk)
            dst.flush()
