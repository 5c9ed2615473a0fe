"""What /proc says about a process: the one parser of /proc/PID/stat, and a few readers beside it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str
    state: str
    ppid: int
    pgid: int
    sid: int
    utime: int  # clock ticks
    stime: int
    starttime: int  # clock ticks after boot: with the pid, names one process for good


def proc_stat(pid: int | str, *, zombies: bool = False) -> ProcStat | None:
    """/proc/PID/stat, or None when there is no such process (or, unless asked for, it is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            raw = stat.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may hold spaces and parentheses: it runs from the first "(" to the last ")".
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    f = raw[raw.rindex(")") + 2 :].split()
    if f[0] in ("Z", "X") and not zombies:
        return None
    return ProcStat(int(pid), comm, f[0], int(f[1]), int(f[2]), int(f[3]), int(f[11]), int(f[12]), int(f[19]))


def proc_uid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def wchan(pid: int) -> str | None:
    """The kernel function a sleeping process waits in ("do_epoll_wait"), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read()
    except OSError:
        return None


def all_pids() -> Iterator[int]:
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def fd_targets(pid: int) -> list[str]:
    """What each open descriptor of PID points at ("anon_inode:bpf-prog", "/tmp/x", ...)."""
    found: list[str] = []
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return found
    for name in names:
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{name}"))
        except OSError:
            pass
    return found
