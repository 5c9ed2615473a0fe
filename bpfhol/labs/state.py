"""A lab's state on disk, and cleaning up after a supervisor (or its owner) that was killed.

A directory only its owner can use (`/run/bpfhol` as root, `$XDG_RUNTIME_DIR/bpfhol` or
`~/.local/state/bpfhol` otherwise, `$BPFHOL_STATE_DIR` if set) holds `<lab>.lock`, flock()ed by
the running supervisor for its whole life (one supervisor per state directory; the lock goes
when the process goes, even on SIGKILL), and `<lab>.json`: supervisor pid and start time,
the workloads' process group, pids and user, the private directory. The state of a supervisor
that died without cleaning up is cleaned by the next start, `bpfhol stop`, or any bpfhol
command (`sweep`): what is left of it is killed (checking comm and process group) and its
directory removed (checking it is a real directory, ours by name, owned by the workloads' user;
removed as that user).

A lab started from a program (the docs engine, a check, a test) may keep its state in a private
directory; it is listed in the usual one (`registered`), so `status` and `stop` see it.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from bpfhol import config
from bpfhol.errors import UsageError
from bpfhol.labs import LABS
from bpfhol.process import OWNER_FILE, owner_alive, until
from bpfhol.procfs import ProcStat, all_pids, proc_stat, proc_uid


def privdir_prefix(lab: str) -> str:
    return f"bpfhol-{lab}-"


# --- state directory -----------------------------------------------------------------------------


def state_dir() -> str:
    env = config.state_dir_override()
    if env:
        return env
    if os.geteuid() == 0:
        return "/run/bpfhol"
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "bpfhol")
    return os.path.join(os.path.expanduser("~"), ".local", "state", "bpfhol")


def check_private(path: str) -> None:
    """Refuse a state directory someone else could plant files in."""
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"state directory {path} is not a directory (a symlink?); remove it")
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise UsageError(
            f"state directory {path} must be owned by uid {os.geteuid()} with mode 0700 "
            f"(it is uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):o})"
        )


def open_state_dir(create: bool) -> str | None:
    path = state_dir()
    try:
        if create:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
        check_private(path)
    except FileNotFoundError:
        if create:
            raise
        return None
    except PermissionError as e:
        raise UsageError(f"cannot use state directory {path}: {e.strerror} (try: sudo bpfhol ...)") from None
    return path


class Lock:
    """flock() on the lock file: held by the running supervisor, released by the kernel at its death."""

    def __init__(self, sdir: str, lab: str) -> None:
        self.path = os.path.join(sdir, f"{lab}.lock")
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)

    def try_take(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def write_pid(self) -> None:
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def holder(self) -> int | None:
        try:
            return int(os.pread(self.fd, 32, 0).decode().strip() or "x")
        except ValueError:
            return None

    def close(self) -> None:
        os.close(self.fd)  # releases the lock


def state_path(sdir: str, lab: str) -> str:
    return os.path.join(sdir, f"{lab}.json")


def read_state(sdir: str, lab: str) -> dict[str, Any] | None:
    """The running (or last unclean) supervisor's state, {} when unreadable, None when there is none."""
    try:
        with open(state_path(sdir, lab)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (ValueError, OSError) as e:
        print(f"bpfhol: ignoring unreadable state file in {sdir}: {e}", file=sys.stderr)
        return {}


def write_state(sdir: str, state: dict[str, Any]) -> None:
    final = state_path(sdir, state["lab"])
    tmp = final + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f)
    os.replace(tmp, final)


def remove_state(sdir: str, lab: str) -> None:
    for path in (state_path(sdir, lab), state_path(sdir, lab) + ".tmp"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def supervisor_alive(state: dict[str, Any]) -> bool:
    sup = state.get("supervisor") or {}
    st = proc_stat(int(sup.get("pid", 0)) or -1)
    return st is not None and st.starttime == sup.get("starttime")


def our_processes(state: dict[str, Any]) -> list[ProcStat]:
    """Live workloads of this state: right process group, a workload's comm, the workloads' uid."""
    pgid = state.get("pgid")
    if not pgid:
        return []
    comms = {c.get("comm") for c in state.get("children", [])}
    found = []
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st.pgid == pgid and st.comm in comms and proc_uid(pid) == state.get("uid"):
            found.append(st)
    return found


# --- the private directory -----------------------------------------------------------------------


def as_user(uid: int, gid: int) -> None:
    if os.geteuid() == 0 and uid != 0:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)


def remove_privdir(path: str, uid: int, gid: int, lab: str) -> bool:
    """Remove a private directory after checking it is one of ours; as its user, when we are root."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    if not (
        os.path.isabs(path)
        and os.path.basename(path).startswith(privdir_prefix(lab))
        and stat.S_ISDIR(st.st_mode)
        and st.st_uid in (uid, os.geteuid())
    ):
        print(f"bpfhol: not removing {path}: not a bpfhol private directory owned by uid {uid}", file=sys.stderr)
        return False
    if os.geteuid() != 0 or st.st_uid == 0:  # ours (not yet handed over, if root): no one else's tree
        shutil.rmtree(path, ignore_errors=True)
        return not os.path.lexists(path)
    # As root, never walk a tree another user controls: fork and remove it as that user.
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            as_user(uid, gid)
            shutil.rmtree(path, ignore_errors=True)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)
    # Some filesystems let the owner empty the directory but not remove it from /tmp (an overlayfs
    # /tmp on Linux 6.1 answers EACCES): an empty directory holds nothing to follow, so root may.
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not os.listdir(path):
            os.rmdir(path)
    return not os.path.lexists(path)


# --- stale state ---------------------------------------------------------------------------------


def clean_stale(sdir: str, lab: str, state: dict[str, Any]) -> str:
    """What a supervisor that died left behind: kill its workloads, remove its directory and state."""
    notes = []
    left = our_processes(state)
    for st in left:
        try:
            os.kill(st.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if left:
        notes.append(f"killed {len(left)} leftover workload(s)")
    priv = state.get("privdir")
    if priv and os.path.lexists(priv):
        _wait_gone([st.pid for st in left], 2.0)
        if remove_privdir(priv, int(state.get("uid", -1)), int(state.get("gid", -1)), lab):
            notes.append(f"removed {priv}")
    remove_state(sdir, lab)
    pid = (state.get("supervisor") or {}).get("pid", "?")
    return f"cleaned up after an earlier run that did not stop cleanly (pid {pid}): " + (
        ", ".join(notes) or "nothing was left"
    )


def _wait_gone(pids: list[int], timeout: float) -> bool:
    return until(lambda: not any(proc_stat(p) for p in pids), timeout)


# --- labs started elsewhere, and what killed runs left ----------------------------------------------

_PRIVATE = "private-"  # in the usual state directory: a link to a private one (a docs run's, a check's)


@contextlib.contextmanager
def registered(private: str) -> Iterator[None]:
    """List a private state directory in the usual one while it is in use, so status and stop see its lab."""
    link = None
    with contextlib.suppress(OSError, UsageError):  # no usual state directory: the lab runs unlisted
        sdir = open_state_dir(create=True)
        assert sdir is not None
        link = os.path.join(sdir, _PRIVATE + os.path.basename(private))
        os.symlink(private, link)
    try:
        yield
    finally:
        if link is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(link)


def _registered() -> dict[str, str]:
    """Link -> private state directory, for each one listed in the usual state directory."""
    sdir = open_state_dir(create=False)
    found: dict[str, str] = {}
    if sdir is None:
        return found
    for name in sorted(os.listdir(sdir)):
        if name.startswith(_PRIVATE):
            with contextlib.suppress(OSError):
                found[os.path.join(sdir, name)] = os.readlink(os.path.join(sdir, name))
    return found


def _private_ok(path: str) -> bool:
    try:
        check_private(path)
    except (OSError, UsageError):
        return False
    return True


def state_dirs() -> list[str]:
    """The usual state directory (if there is one), then each registered private one that is ours."""
    sdir = open_state_dir(create=False)
    return ([sdir] if sdir else []) + [p for p in _registered().values() if _private_ok(p)]


def _dead_owned_dirs() -> list[str]:
    """Temporary directories a bpfhol process made (bpfhol.process.tempdir) and died without removing."""
    found = set(glob.glob(os.path.join(tempfile.gettempdir(), "bpfhol-*", OWNER_FILE)))
    found.update(os.path.join(p, OWNER_FILE) for p in _registered().values())
    dead = []
    for owner_file in sorted(found):
        with contextlib.suppress(OSError):
            path = os.path.dirname(owner_file)
            st = os.lstat(path)
            with open(owner_file) as f:
                mark = f.read().strip()
            ours = os.path.realpath(path) == os.path.realpath(state_dir())  # in use from now on
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not owner_alive(mark) and not ours:
                dead.append(path)
    return dead


def _sweep_labs(sdir: str, orphaned: bool = False) -> list[str]:
    """Clean after each lab of sdir whose supervisor died; with `orphaned` (their owner died), stop live ones too."""
    notes = []
    for name in LABS:
        if read_state(sdir, name) is None:
            continue
        lock = Lock(sdir, name)
        try:
            free = lock.try_take()
            pid = (read_state(sdir, name) or {}).get("supervisor", {}).get("pid")
            if not free and orphaned and pid and supervisor_alive(read_state(sdir, name) or {}):
                os.kill(pid, signal.SIGTERM)  # it stops its workloads and removes its directory
                free = wait_lock(lock, 10.0)
                notes.append(f"stopped the {name} lab (pid {pid}) its owner left running")
            if free and (state := read_state(sdir, name)) is not None:
                notes.append(f"{name} lab: " + clean_stale(sdir, name, state))
        finally:
            lock.close()
    return notes


def sweep() -> str | None:
    """Clean what killed runs left (labs whose supervisor died, their owner's temporary directories);
    one line saying what, if anything."""
    notes: list[str] = []
    with contextlib.suppress(OSError, UsageError):  # a state directory we may not use: nothing of ours
        sdir = open_state_dir(create=False)
        notes += _sweep_labs(sdir) if sdir else []
        for path in _dead_owned_dirs():
            notes += _sweep_labs(path, orphaned=True)
            shutil.rmtree(path, ignore_errors=True)
            notes.append(f"removed {path}")
        for link, target in _registered().items():
            if not os.path.isdir(target):
                os.unlink(link)
    return f"cleaned up after a run that was killed: {'; '.join(notes)}" if notes else None


def wait_lock(lock: Lock, timeout: float) -> bool:
    return until(lock.try_take, timeout, interval=0.05)


def running(private: bool = False) -> list[dict[str, Any]]:
    """Every lab with a state file: its state, plus `alive` (supervisor), `state_dir`, and `children`
    with each one's `alive` (live workloads). In the usual state directory (the learner's lab), or
    with `private` in the registered private ones too (labs a docs run or a test started)."""
    found = []
    usual = open_state_dir(create=False)
    for sdir in state_dirs() if private else [usual] if usual else []:
        for name in LABS:
            state = read_state(sdir, name)
            if not state:
                continue
            procs = {st.pid for st in our_processes(state)}
            children = [dict(c, alive=c.get("pid") in procs) for c in state.get("children", [])]
            found.append(dict(state, lab=name, state_dir=sdir, alive=supervisor_alive(state), children=children))
    return found


def root_hint() -> str:
    if os.geteuid() != 0 and not config.state_dir_override() and os.path.isdir("/run/bpfhol"):
        return " (one started with sudo shows with: sudo bpfhol status)"
    return ""
