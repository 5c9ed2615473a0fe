"""What a run leaves behind: processes, BPF programs and links, private and temporary directories.

Part of the *run* layer. `Tracker` is told about every process session a run starts (each program,
each lab) and the temporary directories it uses; `Baseline` is what the machine had before. After
the run, `Tracker.leftovers(baseline)` names, one line each, whatever is still there that the run
made, and kills the processes among them so the machine is clean anyway.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bpfhol.procfs import all_pids, cmdline, fd_targets, proc_stat

# Directories the course makes in the temp dir: a lab's private directory, a run's program file,
# a lab's state directory for the docs run.
TEMP_PATTERNS = ("bpfhol-*",)


def _bpftool() -> str | None:
    return shutil.which("bpftool") or next(
        (p for p in ("/usr/sbin/bpftool", "/sbin/bpftool") if os.path.exists(p)), None
    )


def _bpf_ids(kind: str) -> set[int] | None:
    """Ids of the loaded BPF programs ("prog") or links ("link"); None when bpftool cannot tell."""
    tool = _bpftool()
    if tool is None:
        return None
    out = subprocess.run([tool, kind, "show", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return {p["id"] for p in json.loads(out.stdout or "[]")}


def _temp_entries() -> set[str]:
    tmp = tempfile.gettempdir()
    return {p for pat in TEMP_PATTERNS for p in glob.glob(os.path.join(tmp, pat))}


def _in_use(paths: set[str]) -> set[str]:
    """The entries some live process works in or holds open (a lab still running beside the run)."""
    if not paths:
        return set()
    used: set[str] = set()
    for pid in all_pids():
        targets = fd_targets(pid)
        try:
            targets.append(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
        used.update(p for p in paths for t in targets if t == p or t.startswith(p + "/"))
    return used


def _holders(field_name: str) -> dict[int, set[int]]:
    """BPF object id -> pids holding an fd to it (from /proc/*/fdinfo's prog_id / link_id lines)."""
    holders: dict[int, set[int]] = {}
    for fdinfo in Path("/proc").glob("[0-9]*/fdinfo/*"):
        try:
            text = fdinfo.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(field_name + ":"):
                holders.setdefault(int(line.split()[1]), set()).add(int(fdinfo.parts[2]))
    return holders


@dataclass
class Baseline:
    progs: set[int] | None
    links: set[int] | None
    temp: set[str]

    @classmethod
    def take(cls) -> Baseline:
        return cls(_bpf_ids("prog"), _bpf_ids("link"), _temp_entries())


@dataclass
class Tracker:
    sessions: dict[int, int] = field(default_factory=dict)  # session id -> its leader's start time
    tmpdirs: set[str] = field(default_factory=set)  # where each run's program file was

    def started(self, pid: int, tmpdir: str | None = None) -> None:
        st = proc_stat(pid)
        self.sessions[pid] = st.starttime if st else -1
        if tmpdir:
            self.tmpdirs.add(tmpdir)

    def processes(self) -> dict[int, str]:
        """Live processes in the tracked sessions, and any process still running a tracked program file.

        While any member of a session lives the kernel keeps its id from being reused; once all are
        gone a new process may get that pid and lead a session of its own: its start time tells it apart.
        """
        reused = {
            sid
            for sid, start in self.sessions.items()
            if (lead := proc_stat(sid)) is not None and lead.starttime != start
        }
        found = {}
        for pid in all_pids():
            st = proc_stat(pid)
            if st is None:
                continue
            cmd = cmdline(pid)
            if (st.sid in self.sessions and st.sid not in reused) or any(t in cmd for t in self.tmpdirs):
                found[pid] = f"{st.comm}: {cmd[:120]}"
        return found

    def leftovers(self, before: Baseline, settle: float = 5.0) -> list[str]:
        """What is left (empty when the machine is clean); kills the processes it reports."""
        deadline = time.monotonic() + settle
        while True:  # the kernel frees a closed program after an RCU grace period; directories go with their owners
            procs = self.processes()
            progs = self._new(before.progs, _bpf_ids("prog"), "prog_id", procs)
            links = self._new(before.links, _bpf_ids("link"), "link_id", procs)
            temp = _temp_entries() - before.temp
            temp -= _in_use(temp)  # not left behind while something uses it: a lab another suite runs
            if (not procs and not progs and not links and not temp) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        for pid in procs:  # reported; now leave the machine clean anyway
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return (
            [f"process {p} left running: {d}" for p, d in sorted(procs.items())]
            + [f"BPF program id {i} still loaded" for i in sorted(progs)]
            + [f"BPF link id {i} still attached" for i in sorted(links)]
            + [f"{p} left in the temp directory" for p in sorted(temp)]
        )

    @staticmethod
    def _new(before: set[int] | None, now: set[int] | None, fdinfo_field: str, procs: dict[int, str]) -> set[int]:
        if before is None or now is None:
            return set()
        new = now - before
        if new:  # objects another live tool holds are not ours to judge
            holders = _holders(fdinfo_field)
            new = {i for i in new if not holders.get(i) or holders[i] & set(procs)}
        return new
