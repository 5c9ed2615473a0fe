"""`bpfhol <lab>`: the supervisor of a lab's workloads, and `status` / `stop`.

The supervisor runs in the foreground. It forks one process per workload, all in a process group
of their own (so a Ctrl-C reaches only the supervisor, which then stops them in order), drops
their privileges when started as root (to the sudo caller, else `nobody`), gives them a private
directory, prints a table and the line `ready` once every workload has reported in, and waits
for Ctrl-C, SIGTERM, SIGHUP or `--duration`. Each workload dies with it even when it is
SIGKILLed (PR_SET_PDEATHSIG).

Workloads are forked rather than exec'd: after the privilege drop they run code already in
memory, so they work wherever the checkout lives (even in a directory `nobody` cannot read).

State: a directory only its owner can use (`/run/bpfhol` as root, `$XDG_RUNTIME_DIR/bpfhol` or
`~/.local/state/bpfhol` otherwise, `$BPFHOL_STATE_DIR` if set) holds `<lab>.lock`, flock()ed by
the running supervisor for its whole life (one supervisor per state directory; the lock goes
when the process goes, even on SIGKILL), and `<lab>.json`: supervisor pid and start time,
the workloads' process group, pids and user, the private directory. A start that finds the
state of a supervisor that died without cleaning up kills what is left of it (checking comm and
process group) and removes its directory (checking it is a real directory, ours by name, owned
by the workloads' user; removed as that user).

`bpfhol status` exits 0 whether or not workloads run (it is a report, not a test); `bpfhol stop`
exits 0 once nothing runs.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import os
import pwd
import select
import shutil
import signal
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from typing import Any

from bpfhol import config
from bpfhol.errors import UsageError
from bpfhol.labs import LABS, LabSpec
from bpfhol.process import OWNER_FILE, owner_alive, signal_group, until
from bpfhol.procfs import ProcStat, all_pids, proc_stat, proc_uid
from workloads import common

READY_TIMEOUT = 15.0  # seconds for every workload to report in
TERM_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)


def privdir_prefix(lab: str) -> str:
    return f"bpfhol-{lab}-"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


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


def _check_private(path: str) -> None:
    """Refuse a state directory someone else could plant files in."""
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"state directory {path} is not a directory (a symlink?); remove it")
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise UsageError(
            f"state directory {path} must be owned by uid {os.geteuid()} with mode 0700 "
            f"(it is uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):o})"
        )


def _open_state_dir(create: bool) -> str | None:
    path = state_dir()
    try:
        if create:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                pass
        _check_private(path)
    except FileNotFoundError:
        if create:
            raise
        return None
    except PermissionError as e:
        raise UsageError(f"cannot use state directory {path}: {e.strerror} (try: sudo bpfhol ...)") from None
    return path


class _Lock:
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


def _write_state(sdir: str, state: dict[str, Any]) -> None:
    final = state_path(sdir, state["lab"])
    tmp = final + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(state, f)
    os.replace(tmp, final)


def _remove_state(sdir: str, lab: str) -> None:
    for path in (state_path(sdir, lab), state_path(sdir, lab) + ".tmp"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def supervisor_alive(state: dict[str, Any]) -> bool:
    sup = state.get("supervisor") or {}
    st = proc_stat(int(sup.get("pid", 0)) or -1)
    return st is not None and st.starttime == sup.get("starttime")


def _our_processes(state: dict[str, Any]) -> list[ProcStat]:
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


def _as_user(uid: int, gid: int) -> None:
    if os.geteuid() == 0 and uid != 0:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)


def _remove_privdir(path: str, uid: int, gid: int, lab: str) -> bool:
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
            _as_user(uid, gid)
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


def _clean_stale(sdir: str, lab: str, state: dict[str, Any]) -> str:
    """What a supervisor that died left behind: kill its workloads, remove its directory and state."""
    notes = []
    left = _our_processes(state)
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
        if _remove_privdir(priv, int(state.get("uid", -1)), int(state.get("gid", -1)), lab):
            notes.append(f"removed {priv}")
    _remove_state(sdir, lab)
    pid = (state.get("supervisor") or {}).get("pid", "?")
    return f"cleaned up after an earlier run that did not stop cleanly (pid {pid}): " + (
        ", ".join(notes) or "nothing was left"
    )


def _wait_gone(pids: list[int], timeout: float) -> bool:
    return until(lambda: not any(proc_stat(p) for p in pids), timeout)


# --- start -----------------------------------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop(signum)


def _workload_user() -> tuple[int, int]:
    """As root: the sudo caller, else nobody. Otherwise: ourselves."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        uid = int(os.environ.get("SUDO_UID", ""))
        gid = int(os.environ.get("SUDO_GID", "")) if os.environ.get("SUDO_GID") else pwd.getpwuid(uid).pw_gid
        if uid > 0 and gid > 0:
            return uid, gid
    except (ValueError, KeyError):
        pass
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        raise UsageError("no sudo caller and no user 'nobody' to run the workloads as") from None
    return nobody.pw_uid, nobody.pw_gid


def _check_duration(duration: float | None) -> None:
    if duration is not None and not (0 < duration < float("inf")):
        raise UsageError(f"--duration must be a positive number of seconds (got {duration})")


def _child(workload: common.Workload, pgid: int, uid: int, gid: int, privdir: str, ready_w: int, parent: int) -> None:
    """In a forked child: become the workload, never return to the supervisor's code."""
    code = 1
    try:
        os.setpgid(0, pgid)
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.closerange(3, ready_w)
        os.closerange(ready_w + 1, os.sysconf("SC_OPEN_MAX"))
        _as_user(uid, gid)
        code = common.run(workload, privdir, parent=parent, ready_fd=ready_w)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        os._exit(code)


def _spawn(
    workloads: list[common.Workload], uid: int, gid: int, privdir: str, ready_w: int
) -> tuple[int, dict[int, common.Workload]]:
    parent = os.getpid()
    pgid = 0
    children: dict[int, common.Workload] = {}
    sys.stdout.flush()
    sys.stderr.flush()
    for w in workloads:
        pid = os.fork()
        if pid == 0:
            _child(w, pgid, uid, gid, privdir, ready_w, parent)
        pgid = pgid or pid
        children[pid] = w
        try:
            os.setpgid(pid, pgid)  # also from here, so the group exists before the next fork
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.ESRCH):  # it did so itself / died already
                raise
    return pgid, children


def _await_ready(ready_r: int, expected: int) -> list[str]:
    """Lines `<comm> <pid>` from the workloads, until all reported, all gave up, or the timeout."""
    got: list[str] = []
    buf = b""
    deadline = time.monotonic() + READY_TIMEOUT
    while len(got) < expected:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([ready_r], [], [], left)[0]:
            break
        chunk = os.read(ready_r, 4096)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        got += [line.decode() for line in lines if line]
    return got


def _shutdown(children: dict[int, common.Workload], pgid: int) -> list[str]:
    """SIGTERM the group, wait, SIGKILL what is left; reap everything. Returns unexpected exits."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # a second Ctrl-C must not cut this short
    live = set(children)
    if live:
        signal_group(pgid, signal.SIGTERM)  # safe: unreaped members keep the group id ours
    deadline = time.monotonic() + TERM_GRACE
    failed = []
    while live:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                signal_group(pgid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.01)
            continue
        live.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, -signal.SIGTERM, -signal.SIGKILL):
            failed.append(f"{children[pid].comm} (pid {pid}) exited with status {code}")
    return failed


def start(lab: LabSpec, seed: int, duration: float | None) -> int:
    lab.check_seed(seed)
    _check_duration(duration)
    sdir = _open_state_dir(create=True)
    assert sdir is not None
    lock = _Lock(sdir, lab.name)
    if not lock.try_take():
        pid = lock.holder()
        lock.close()
        how = "sudo bpfhol stop" if os.geteuid() == 0 else "bpfhol stop"
        raise UsageError(f"the {lab.name} lab is already running (pid {pid if pid else '?'}); stop it with: {how}")
    try:
        lock.write_pid()
        old = read_state(sdir, lab.name)
        if old is not None:
            print(f"bpfhol: {_clean_stale(sdir, lab.name, old)}", file=sys.stderr)
        return _supervise(sdir, lab, seed, duration)
    finally:
        lock.close()


def _supervise(sdir: str, lab: LabSpec, seed: int, duration: float | None) -> int:
    uid, gid = _workload_user()
    me = proc_stat(os.getpid())
    assert me is not None
    workloads = lab.workloads(seed)
    state: dict[str, Any] = {
        "version": 2,
        "lab": lab.name,
        "supervisor": {"pid": os.getpid(), "starttime": me.starttime},
        "seed": seed,
        "uid": uid,
        "gid": gid,
        "user": _user_name(uid),
        "started": time.time(),
        "privdir": None,
        "pgid": None,
        "children": [],
        "ready": False,
    }
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # until the children are accounted for
    privdir = tempfile.mkdtemp(prefix=privdir_prefix(lab.name))
    children: dict[int, common.Workload] = {}
    pgid = 0
    failed: list[str] = []
    stopped_by: int | None = None
    try:
        if os.geteuid() == 0:
            os.chown(privdir, uid, gid)
        state["privdir"] = privdir
        _write_state(sdir, state)  # before any child exists: a SIGKILL from now on leaves a record
        ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
        try:
            pgid, children = _spawn(workloads, uid, gid, privdir, ready_w)
            state["pgid"] = pgid
            state["children"] = [{"comm": w.comm, "pid": pid, "about": w.about} for pid, w in children.items()]
            _write_state(sdir, state)
            os.close(ready_w)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            reported = _await_ready(ready_r, len(children))
        finally:
            os.close(ready_r)
        if len(reported) < len(children):
            seen = {line.split()[0] for line in reported}
            missing = [w.comm for w in children.values() if w.comm not in seen]
            failed.append(f"workload(s) did not start: {', '.join(missing)}")
            return 1
        state["ready"] = True
        _write_state(sdir, state)  # what `status --json` and the docs suite read: no table parsing
        _print_table(lab, seed, children, privdir, uid)
        if duration is not None:
            signal.setitimer(signal.ITIMER_REAL, duration)
        pid, status = os.waitpid(-1, 0)  # returns only if a workload dies; signals raise _Stop
        w = children.get(pid)
        failed.append(
            f"{w.comm if w else '?'} (pid {pid}) exited with status "
            f"{os.waitstatus_to_exitcode(status)}; stopping the others"
        )
        children.pop(pid, None)
        return 1
    except _Stop as e:
        stopped_by = e.signum
        return 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        failed += _shutdown(children, pgid)
        _remove_privdir(privdir, uid, gid, lab.name)
        _remove_state(sdir, lab.name)
        for line in failed:
            print(f"bpfhol: {line}", file=sys.stderr)
        if stopped_by is not None:
            why = "--duration" if stopped_by == signal.SIGALRM else signal.Signals(stopped_by).name
            _say(f"stopped ({why}): workloads ended, {privdir} removed")


def _say(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:  # whoever read our output has gone: carry on stopping
        pass


def _print_table(lab: LabSpec, seed: int, children: dict[int, common.Workload], privdir: str, uid: int) -> None:
    _say(
        f"bpfhol {lab.name}: seed {seed} ({lab.scenario_name(seed)} scenario); workloads run as "
        f"{_user_name(uid)} in {privdir}"
    )
    _say(f"{'COMM':<10} {'PID':>7}  WHAT IT DOES")
    for pid, w in children.items():
        _say(f"{w.comm:<10} {pid:>7}  {w.about}")
    _say("Trace them from another terminal; Ctrl-C here stops them.")
    _say("ready")


# --- labs started elsewhere, and what killed runs left ----------------------------------------------

_PRIVATE = "private-"  # in the usual state directory: a link to a private one (a docs run's, a check's)


@contextlib.contextmanager
def registered(private: str) -> Iterator[None]:
    """List a private state directory in the usual one while it is in use, so status and stop see its lab."""
    link = None
    with contextlib.suppress(OSError, UsageError):  # no usual state directory: the lab runs unlisted
        sdir = _open_state_dir(create=True)
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
    sdir = _open_state_dir(create=False)
    found = {}
    for name in sorted(os.listdir(sdir)) if sdir else []:
        if name.startswith(_PRIVATE):
            with contextlib.suppress(OSError):
                found[os.path.join(sdir, name)] = os.readlink(os.path.join(sdir, name))
    return found


def _private_ok(path: str) -> bool:
    try:
        _check_private(path)
    except (OSError, UsageError):
        return False
    return True


def state_dirs() -> list[str]:
    """The usual state directory (if there is one), then each registered private one that is ours."""
    sdir = _open_state_dir(create=False)
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
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not owner_alive(mark):
                dead.append(path)
    return dead


def _sweep_labs(sdir: str) -> list[str]:
    notes = []
    for name in LABS:
        if read_state(sdir, name) is None:
            continue
        lock = _Lock(sdir, name)
        try:
            if lock.try_take() and (state := read_state(sdir, name)) is not None:
                notes.append(f"{name} lab: " + _clean_stale(sdir, name, state))
        finally:
            lock.close()
    return notes


def sweep() -> None:
    """Clean what killed runs left (labs whose supervisor died, their owner's temporary directories),
    and say so in one line on stderr."""
    notes: list[str] = []
    with contextlib.suppress(OSError, UsageError):  # a state directory we may not use: nothing of ours
        sdir = _open_state_dir(create=False)
        notes += _sweep_labs(sdir) if sdir else []
        for path in _dead_owned_dirs():
            notes += _sweep_labs(path)
            shutil.rmtree(path, ignore_errors=True)
            notes.append(f"removed {path}")
        for link, target in _registered().items():
            if not os.path.isdir(target):
                os.unlink(link)
    if notes:
        print(f"bpfhol: cleaned up after a run that was killed: {'; '.join(notes)}", file=sys.stderr)


# --- status and stop -------------------------------------------------------------------------------


def _root_hint() -> str:
    if os.geteuid() != 0 and not config.state_dir_override() and os.path.isdir("/run/bpfhol"):
        return " (one started with sudo shows with: sudo bpfhol status)"
    return ""


def running() -> list[dict[str, Any]]:
    """Every lab with a state file, in any state directory: its state, plus `alive` (supervisor),
    `state_dir`, and `children` with each one's `alive` (live workloads)."""
    found = []
    for sdir in state_dirs():
        for name in LABS:
            state = read_state(sdir, name)
            if not state:
                continue
            procs = {st.pid for st in _our_processes(state)}
            children = [dict(c, alive=c.get("pid") in procs) for c in state.get("children", [])]
            found.append(dict(state, lab=name, state_dir=sdir, alive=supervisor_alive(state), children=children))
    return found


def status(as_json: bool = False) -> int:
    labs = running()
    if as_json:
        print(json.dumps({"labs": labs}, indent=2))
        return 0
    if not labs:
        print(f"no lab workloads running{_root_hint()}")
        return 0
    for state in labs:
        sup = state.get("supervisor") or {}
        name = state["lab"]
        if state["alive"]:
            print(
                f"{name} lab running: supervisor pid {sup.get('pid')}, seed {state.get('seed')}, "
                f"since {time.strftime('%H:%M:%S', time.localtime(state.get('started', 0)))}"
            )
        else:
            print(
                f"{name} lab supervisor (pid {sup.get('pid')}) is gone; 'bpfhol stop' or the next start "
                "cleans up after it"
            )
        live = [c for c in state["children"] if c["alive"]]
        if not live:
            print("no workload processes left")
            continue
        user = state.get("user", "?")
        print(f"{'COMM':<10} {'PID':>7}  {'USER':<10} DIR")
        for c in live:
            d = state.get("privdir") or "?"
            print(f"{c['comm']:<10} {c['pid']:>7}  {user:<10} {d}")
    return 0


def stop() -> int:
    said = False
    for sdir in state_dirs():
        for name in LABS:
            said |= _stop_one(sdir, name)
    if not said:
        print(f"no lab workloads running{_root_hint()}")
    return 0


def _stop_one(sdir: str, lab: str) -> bool:
    """Stop one lab's supervisor (or clean up after a dead one); False when there was nothing."""
    if not os.path.exists(os.path.join(sdir, f"{lab}.lock")) and read_state(sdir, lab) is None:
        return False
    lock = _Lock(sdir, lab)
    try:
        if not lock.try_take():
            pid = lock.holder()
            state = read_state(sdir, lab) or {}
            if pid is None or pid != (state.get("supervisor") or {}).get("pid") or not supervisor_alive(state):
                raise UsageError("a start is in progress; try again in a moment")
            os.kill(pid, signal.SIGTERM)
            if not _wait_lock(lock, 10.0):
                os.kill(pid, signal.SIGKILL)
                if not _wait_lock(lock, 5.0):
                    raise UsageError(f"the supervisor (pid {pid}) would not stop")
            state = read_state(sdir, lab)
            if state:  # it was SIGKILLed and left its state
                print(_clean_stale(sdir, lab, state))
            print(f"stopped the {lab} lab (pid {pid})")
            return True
        state = read_state(sdir, lab)
        if state is None:
            return False
        print(_clean_stale(sdir, lab, state))
        return True
    finally:
        lock.close()


def _wait_lock(lock: _Lock, timeout: float) -> bool:
    return until(lock.try_take, timeout, interval=0.05)
