"""What every workload shares: its process name, its tie to the supervisor, its pace and how it stops.

A workload is an object with `start()` (make its files, in its working directory), `tick(n)` (one
batch of work, called TICK_HZ times a second) and `stop()` (remove its files). `run()` drives one;
`main()` is the standalone command line (`python -m workloads.<name> --dir D`).

Everything a workload needs is imported when its module is: the supervisor forks the workloads
and drops their privileges, after which the code on disk may no longer be readable.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import os
import signal
import time
from collections.abc import Iterator, Sequence
from typing import Callable, Protocol

# One wake-up per 100 ms: each answer shows within a second of tracing, and batching the work
# per wake-up keeps the cost of waking five interpreters small.
TICK_HZ = 10

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_COMM_MAX = 15  # TASK_COMM_LEN - 1

LIBC = ctypes.CDLL(None, use_errno=True)
_prctl = LIBC.prctl
_prctl.restype = ctypes.c_int
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


class Workload(Protocol):
    comm: str
    uses_dir: bool  # works in its own subdirectory <dir>/<comm>

    def start(self) -> None: ...

    def tick(self, n: int) -> None: ...

    def stop(self) -> None: ...


class Stopped(Exception):
    """Raised by the signal handlers: unwinds the loop so the workload removes its files."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def set_comm(name: str) -> None:
    """Set the process name (comm) that tracing shows: what the learner looks for."""
    raw = name.encode()
    if not raw or len(raw) > _COMM_MAX:
        raise ValueError(f"comm {name!r} must be 1..{_COMM_MAX} bytes")
    buf = ctypes.create_string_buffer(raw)
    _check(_prctl(_PR_SET_NAME, ctypes.addressof(buf), 0, 0, 0), "prctl(PR_SET_NAME)")


def tie_to_parent(parent_pid: int) -> None:
    """Die with the supervisor, even when it is SIGKILLed.

    Call after any credential change: changing the uid or gid clears the parent-death signal.
    Then check the parent is still the one expected: had it died before prctl(), the signal
    would never come and this process would run on as an orphan.
    """
    _check(_prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent_pid:
        raise SystemExit(1)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _raise_stopped(signum: int, frame: object) -> None:
    for sig in _STOP_SIGNALS:  # once is enough: let stop() finish its cleanup
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signum)


def handle_stop_signals() -> None:
    """SIGTERM, SIGINT and SIGHUP end the loop cleanly; unblock them (a fork inherits the mask)."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def paced(hz: float, duration: float | None = None) -> Iterator[int]:
    """Yield tick numbers 0, 1, 2... `hz` times a second (for `duration` seconds, if given).

    A late tick is not made up for with a burst: the schedule restarts from now.
    """
    period = 1.0 / hz
    start = time.monotonic()
    base, n = start, 0
    while True:
        yield n
        n += 1
        now = time.monotonic()
        if duration is not None and now - start >= duration:
            return
        due = base + (n * period)
        if due < now - period:
            base, due = now - n * period, now
        if due > now:
            time.sleep(due - now)


def enter_dir(base: str, workload: Workload) -> str:
    """Make (if needed) and enter the workload's directory; file names it uses are relative."""
    path = os.path.join(base, workload.comm) if workload.uses_dir else base
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    os.chdir(path)
    return path


def run(
    workload: Workload,
    base_dir: str,
    *,
    parent: int | None = None,
    ready_fd: int | None = None,
    duration: float | None = None,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Run one workload until stopped. The supervisor passes `parent` and `ready_fd`."""
    set_comm(workload.comm)
    if parent is not None:
        tie_to_parent(parent)
    handle_stop_signals()
    path = enter_dir(base_dir, workload)
    try:
        workload.start()
        if ready_fd is not None:
            os.write(ready_fd, f"{workload.comm} {os.getpid()}\n".encode())
            os.close(ready_fd)
        if announce is not None:
            announce(path)
        for n in paced(TICK_HZ, duration):
            workload.tick(n)
    except Stopped:
        pass
    finally:
        workload.stop()  # tolerates a start() cut short
        if workload.uses_dir:
            os.chdir(base_dir)
            _rmdir_quietly(path)
    return 0


def _rmdir_quietly(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError as e:  # not empty: someone put files there; leave them
        if e.errno not in (errno.ENOTEMPTY, errno.ENOENT):
            raise


def remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass


def write_file(name: str, text: str) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def csv_list(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def main(
    argv: Sequence[str] | None,
    about: str,
    make: Callable[[argparse.Namespace], Workload],
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The standalone command line: `python -m workloads.<name> --dir D [--duration S] ...`."""
    p = argparse.ArgumentParser(description=about)
    p.add_argument("--dir", required=True, help="an existing directory to work in")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop by itself after SECONDS")
    if add_arguments is not None:
        add_arguments(p)
    args = p.parse_args(argv)
    if not os.path.isdir(args.dir):
        p.error(f"--dir {args.dir}: not a directory")
    if args.duration is not None and not args.duration > 0:
        p.error("--duration must be a positive number of seconds")
    try:
        workload = make(args)
    except ValueError as e:
        p.error(str(e))

    def announce(path: str) -> None:
        print(f"{workload.comm}: pid {os.getpid()} working in {path}; Ctrl-C stops it", flush=True)
        print("ready", flush=True)

    return run(workload, os.path.abspath(args.dir), duration=args.duration, announce=announce)


_CLOCK_MONOTONIC = 1
_TFD_CLOEXEC = 0o2000000


class _Timespec(ctypes.Structure):
    _fields_ = (("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long))


class _Itimerspec(ctypes.Structure):
    _fields_ = (("it_interval", _Timespec), ("it_value", _Timespec))


class OneShotTimer:
    """A timerfd: `wait(ms)` blocks in read(2) for `ms` milliseconds, off CPU (the kernel wakes it)."""

    def __init__(self) -> None:
        LIBC.timerfd_create.restype = ctypes.c_int
        fd = LIBC.timerfd_create(_CLOCK_MONOTONIC, _TFD_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"timerfd_create: {os.strerror(err)}")
        self.fd = fd
        LIBC.timerfd_settime.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Itimerspec), ctypes.c_void_p)

    def wait(self, ms: int) -> None:
        spec = _Itimerspec(_Timespec(0, 0), _Timespec(ms // 1000, (ms % 1000) * 1_000_000))
        _check(LIBC.timerfd_settime(self.fd, 0, ctypes.byref(spec), None), "timerfd_settime")
        os.read(self.fd, 8)  # the expirations count; the wait is the point

    def close(self) -> None:
        os.close(self.fd)
