"""`bpfhol <lab>`: the supervisor of a lab's workloads, and `status` / `stop`.

The supervisor runs in the foreground. It forks one process per workload, all in a process group
of their own (so a Ctrl-C reaches only the supervisor, which then stops them in order), drops
their privileges when started as root (to the sudo caller, else `nobody`), gives them a private
directory, prints a table and the line `ready` once every workload has reported in, and waits
for Ctrl-C, SIGTERM, SIGHUP or `--duration`. Each workload dies with it even when it is
SIGKILLed (PR_SET_PDEATHSIG).

Workloads are forked rather than exec'd: after the privilege drop they run code already in
memory, so they work wherever the checkout lives (even in a directory `nobody` cannot read).

State (lock, state file, private state directories, cleaning up after a killed supervisor):
bpfhol.labs.state.

`bpfhol status` exits 0 whether or not workloads run (it is a report, not a test); `bpfhol stop`
exits 0 once nothing runs.
"""

from __future__ import annotations

import json
import os
import pwd
import select
import signal
import sys
import tempfile
import time
import traceback
from typing import Any

from bpfhol.errors import UsageError
from bpfhol.labs import LABS, LabSpec
from bpfhol.labs.state import (
    Lock,
    as_user,
    clean_stale,
    open_state_dir,
    privdir_prefix,
    read_state,
    registered,
    remove_privdir,
    remove_state,
    root_hint,
    running,
    state_dir,
    state_dirs,
    supervisor_alive,
    sweep,
    wait_lock,
    write_state,
)
from bpfhol.process import join_group, signal_group
from bpfhol.procfs import proc_stat
from workloads import common

READY_TIMEOUT = 15.0  # seconds for every workload to report in
TERM_GRACE = 3.0  # seconds between SIGTERM and SIGKILL
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


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
        join_group(0, pgid)
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.closerange(3, ready_w)
        os.closerange(ready_w + 1, os.sysconf("SC_OPEN_MAX"))
        as_user(uid, gid)
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
        join_group(pid, pgid)  # also from here, so the group exists before the next fork
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
    sdir = open_state_dir(create=True)
    assert sdir is not None
    lock = Lock(sdir, lab.name)
    if not lock.try_take():
        pid = lock.holder()
        lock.close()
        how = "sudo bpfhol stop" if os.geteuid() == 0 else "bpfhol stop"
        raise UsageError(f"the {lab.name} lab is already running (pid {pid if pid else '?'}); stop it with: {how}")
    try:
        lock.write_pid()
        old = read_state(sdir, lab.name)
        if old is not None:
            print(f"bpfhol: {clean_stale(sdir, lab.name, old)}", file=sys.stderr)
        return _supervise(sdir, lab, seed, duration)
    finally:
        lock.close()


def _initial_state(lab: LabSpec, seed: int, uid: int, gid: int) -> dict[str, Any]:
    me = proc_stat(os.getpid())
    assert me is not None
    return {
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


def _supervise(sdir: str, lab: LabSpec, seed: int, duration: float | None) -> int:
    uid, gid = _workload_user()
    workloads = lab.workloads(seed)
    state = _initial_state(lab, seed, uid, gid)
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
        write_state(sdir, state)  # before any child exists: a SIGKILL from now on leaves a record
        ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
        try:
            pgid, children = _spawn(workloads, uid, gid, privdir, ready_w)
            state["pgid"] = pgid
            state["children"] = [{"comm": w.comm, "pid": pid} for pid, w in children.items()]
            write_state(sdir, state)
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
        write_state(sdir, state)  # what `status --json` and the docs suite read: no table parsing
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
        remove_privdir(privdir, uid, gid, lab.name)
        remove_state(sdir, lab.name)
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
    # Names and pids only: what each process does is for the exercises to find.
    _say(f"{'COMM':<10} {'PID':>7}")
    for pid, w in children.items():
        _say(f"{w.comm:<10} {pid:>7}")
    _say("Trace them from another terminal; Ctrl-C here stops them.")
    _say("ready")


# --- status and stop -------------------------------------------------------------------------------


def status(as_json: bool = False) -> int:
    labs = running(private=True)
    if as_json:
        print(json.dumps({"labs": labs}, indent=2))
        return 0
    if not labs:
        print(f"no lab workloads running{root_hint()}")
        return 0
    for state in labs:
        sup = state.get("supervisor") or {}
        name = state["lab"]
        if state["alive"]:
            print(
                f"{name} lab running: supervisor pid {sup.get('pid')}, seed {state.get('seed')}, "
                f"since {time.strftime('%H:%M:%S', time.localtime(state.get('started', 0)))}"
                + (
                    ""
                    if state["state_dir"] == state_dir()
                    else f" (started by a program; state in {state['state_dir']})"
                )
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
        print(f"no lab workloads running{root_hint()}")
    return 0


def _stop_one(sdir: str, lab: str) -> bool:
    """Stop one lab's supervisor (or clean up after a dead one); False when there was nothing."""
    if not os.path.exists(os.path.join(sdir, f"{lab}.lock")) and read_state(sdir, lab) is None:
        return False
    lock = Lock(sdir, lab)
    try:
        if not lock.try_take():
            pid = lock.holder()
            holder = read_state(sdir, lab) or {}
            if pid is None or pid != (holder.get("supervisor") or {}).get("pid") or not supervisor_alive(holder):
                raise UsageError("a start is in progress; try again in a moment")
            os.kill(pid, signal.SIGTERM)
            if not wait_lock(lock, 10.0):
                os.kill(pid, signal.SIGKILL)
                if not wait_lock(lock, 5.0):
                    raise UsageError(f"the supervisor (pid {pid}) would not stop")
            state = read_state(sdir, lab)
            if state:  # it was SIGKILLed and left its state
                print(clean_stale(sdir, lab, state))
            print(f"stopped the {lab} lab (pid {pid})")
            return True
        state = read_state(sdir, lab)
        if state is None:
            return False
        print(clean_stale(sdir, lab, state))
        return True
    finally:
        lock.close()


__all__ = ["read_state", "registered", "running", "start", "state_dir", "status", "stop", "supervisor_alive", "sweep"]
