"""The syscalls lab's workloads, traced with real bpftrace, checked against the answer key.

Each lab instance runs with its own BPFHOL_STATE_DIR, so it can run beside another one (the
docs suite keeps one running); the checks filter on the instance's own pids for that reason.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bpfhol.syscalls_lab import COMMS, proc_stat, proc_uid
from tests.bpf import bpf, require_bpf
from tests.workload_helpers import ROOT, Lab, answer_key, bpfhol, trace

SEEDS = [0, 7]


# --- the answer key ---------------------------------------------------------------------------------


def test_classic_answer_key() -> None:
    key = answer_key(0)
    page = os.sysconf("SC_PAGE_SIZE")
    assert key["seed"] == 0 and key["scenario"] == "classic"
    assert key["page_size"] == page
    m = key["mmap"]
    assert m["comm"] == "mapit"
    assert m["pages"] == list(range(1, 11))
    assert m["sizes_kib"] == [p * page // 1024 for p in range(1, 11)]
    assert (m["shared_percent"], m["private_percent"]) == (75, 25)
    assert (m["flags_shared"], m["flags_private"]) == ("0x21", "0x22")
    o = key["open"]
    assert o["opener"] == {"comm": "opener", "dir": "opener", "syscall": "openat",
                           "files": ["config.ini", "data.db", "cache.bin", "notes.txt"]}
    assert o["oldopen"]["comm"] == "oldopen" and o["oldopen"]["file"] == "legacy.conf"
    if key["arch"] == "x86_64":
        assert o["oldopen"]["open_syscall"] is True
    assert o["tempfiles"]["o_tmpfile"] == hex(os.O_TMPFILE)
    assert o["tempfiles"]["mkstemp_flags"] == "O_RDWR|O_CREAT|O_EXCL"
    assert key["close"]["comm"] == "closeall" and key["close"]["ebadf"] == -9


def test_seeds_are_deterministic_and_differ() -> None:
    seven = answer_key(7)
    assert answer_key(7) == seven
    classic = answer_key(0)
    assert seven["scenario"] != "classic"
    assert seven["mmap"]["pages"] != classic["mmap"]["pages"]
    assert seven["mmap"]["shared_percent"] != classic["mmap"]["shared_percent"]
    assert seven["open"]["opener"]["files"] != classic["open"]["opener"]["files"]
    assert seven["mmap"]["shared_percent"] + seven["mmap"]["private_percent"] == 100
    assert _comms(seven) == _comms(classic) == sorted(COMMS)  # the process names never change


def _comms(key: object) -> list[str]:
    text = json.dumps(key)
    return sorted(re.findall(r'"comm": "([^"]+)"', text))


def test_human_answer_key() -> None:
    p = bpfhol("syscalls", "--answers", "--seed", "7")
    key = answer_key(7)
    assert p.returncode == 0 and p.stderr == ""
    for word in ["mapit", "opener", "oldopen", "tempfiles", "closeall", *key["open"]["opener"]["files"],
                 f"{key['mmap']['shared_percent']} % MAP_SHARED", "-9"]:
        assert word in p.stdout, word


# --- tracing the workloads ----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    require_bpf("tracing the lab's workloads")
    running = Lab(tmp_path_factory.mktemp("state") / "s", "--seed", str(request.param))
    running.key = answer_key(request.param)
    yield running
    running.ctrl_c()
    rc, err = running.wait()
    assert rc == 0, err


MMAP_PROGRAM = """
tracepoint:syscalls:sys_enter_mmap {{ @calls[pid, comm] = count(); }}
tracepoint:syscalls:sys_enter_mmap /pid == {me}/ {{ @len[args->len] = count(); @flags[args->flags] = count(); }}
"""


def _top_other(maps: dict[str, dict[str, int]], me: int) -> tuple[int, str, int]:
    """mapit's calls, and the busiest other process (another lab's mapit is not a rival)."""
    calls = {tuple(k.split(",", 1)): n for k, n in maps["@calls"].items()}
    ours = calls.pop((str(me), "mapit"))
    others = {k: n for k, n in calls.items() if k[1] != "mapit"} or {("-", "nothing"): 0}
    who = max(others, key=lambda k: others[k])
    return ours, f"{who[1]} (pid {who[0]})", others[who]


@bpf
def test_mmap_top_caller_sizes_and_shared_ratio(lab: Lab) -> None:
    m = lab.key["mmap"]
    me = lab.pids["mapit"]
    seconds = 2.0
    maps = trace(MMAP_PROGRAM.format(me=me), seconds)
    assert sorted(int(k) for k in maps["@len"]) == m["sizes_bytes"]
    flags = {int(k): n for k, n in maps["@flags"].items()}
    shared, private = int(m["flags_shared"], 16), int(m["flags_private"], 16)
    assert set(flags) == {shared, private}
    assert abs(100 * flags[shared] / sum(flags.values()) - m["shared_percent"]) <= 2
    windows = [_top_other(maps, me)]
    assert windows[0][0] >= 0.8 * m["calls_per_second"] * seconds, "about the advertised rate"
    # "Top caller by 10x" holds on an idle machine; on a shared one a burst elsewhere (a browser
    # starting, a compiler) can outdo it for a moment, so a busy window is measured again.
    while windows[-1][0] < 10 * windows[-1][2] and len(windows) < 3:
        windows.append(_top_other(trace(MMAP_PROGRAM.format(me=me), seconds), me))
    ours, who, theirs = windows[-1]
    assert ours >= 10 * theirs, f"mapit vs the busiest other process, per {seconds} s window: {windows}"


@bpf
def test_opener_opens_its_files(lab: Lab) -> None:
    o = lab.key["open"]["opener"]
    maps = trace(f"""
tracepoint:syscalls:sys_enter_openat /pid == {lab.pids['opener']}/ {{ @files[str(args->filename)] = count(); }}
""", 1.0)
    assert sorted(maps["@files"]) == sorted(o["files"])
    assert (Path(lab.privdir) / o["dir"]).is_dir()


@bpf
def test_oldopen_calls_open_itself(lab: Lab) -> None:
    o = lab.key["open"]["oldopen"]
    syscall = "open" if o["open_syscall"] else "openat"
    assert o["open_syscall"] or os.uname().machine != "x86_64"
    maps = trace(f"""
tracepoint:syscalls:sys_enter_{syscall} {{ @who[pid, comm] = count(); }}
tracepoint:syscalls:sys_enter_{syscall} /pid == {lab.pids['oldopen']}/ {{ @files[str(args->filename)] = count(); }}
""", 1.0)
    assert f"{lab.pids['oldopen']},oldopen" in maps["@who"]
    assert list(maps["@files"]) == [o["file"]] and maps["@files"][o["file"]] >= 5


@bpf
def test_tempfiles_creates_o_tmpfile_and_mkstemp_files(lab: Lab) -> None:
    t = lab.key["open"]["tempfiles"]
    o_tmpfile = int(t["o_tmpfile"], 16)
    me = lab.pids["tempfiles"]
    maps = trace(f"""
tracepoint:syscalls:sys_enter_openat /pid == {me}/ {{
  @flags[args->flags] = count();
  if ((args->flags & {o_tmpfile}) == {o_tmpfile}) {{ @tmpfile[str(args->filename)] = count(); }}
  else {{ @named[str(args->filename)] = count(); }}
}}
tracepoint:syscalls:sys_exit_openat /pid == {me}/ {{
  if (args->ret >= 0) {{ @ok = count(); }} else {{ @failed = count(); }}
}}
""", 1.0)
    assert {int(k) for k in maps["@flags"]} == {int(t["o_tmpfile_flags"], 16), int(t["mkstemp_flags_hex"], 16)}
    assert list(maps["@tmpfile"]) == [t["o_tmpfile_path"]] and maps["@tmpfile"]["."] >= 3
    assert len(maps["@named"]) >= 3 and all(re.fullmatch(r"tmp[A-Za-z0-9]{6}", n) for n in maps["@named"])
    assert maps["@ok"] >= 3 and maps.get("@failed", 0) == 0, "every creation succeeds"


@bpf
def test_closeall_closes_bad_descriptors(lab: Lab) -> None:
    c = lab.key["close"]
    me = lab.pids["closeall"]
    maps = trace(f"""
tracepoint:syscalls:sys_enter_close /pid == {me}/ {{ @fd[tid] = args->fd; }}
tracepoint:syscalls:sys_exit_close /pid == {me}/ {{
  @ret[args->ret] = count();
  if (args->ret < 0) {{ @badfd[@fd[tid]] = count(); }}
}}
tracepoint:syscalls:sys_exit_close /args->ret == {c['ebadf']}/ {{ @who[pid] = count(); }}
""", 1.0)
    rets = {int(k): n for k, n in maps["@ret"].items()}
    assert set(rets) == {0, c["ebadf"]}
    assert rets[c["ebadf"]] >= 10 and rets[0] >= 5, "bad closes, and valid ones beside them"
    bad = {int(k) for k in maps["@badfd"]}
    assert bad & set(c["never_opened_fds"]), "closes of descriptors never opened"
    assert bad - set(c["never_opened_fds"]), "a second close of a descriptor it had opened"
    assert str(me) in maps["@who"]


# --- stopping leaves nothing ------------------------------------------------------------------------


def _assert_clean(lab: Lab) -> None:
    assert lab.wait_workloads_gone() == []
    assert not os.path.lexists(lab.privdir), f"{lab.privdir} left behind"
    assert not (lab.state_dir / "syscalls.json").exists()


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_stop_by_signal_leaves_nothing(tmp_path: Path, how: str) -> None:
    lab = Lab(tmp_path / "state")
    if how == "ctrl-c":
        lab.ctrl_c()
    else:
        lab.proc.send_signal(signal.SIGTERM)
    rc, err = lab.wait()
    assert rc == 0 and err == "", err
    _assert_clean(lab)


def test_sigkill_then_next_start_cleans_up(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = Lab(state)
    first.proc.kill()
    first.wait()
    assert first.wait_workloads_gone(2.0) == [], "PR_SET_PDEATHSIG should end them with the supervisor"
    assert os.path.isdir(first.privdir), "the supervisor could not remove it: the next start must"
    second = Lab(state, "--seed", "3")
    try:
        assert not os.path.lexists(first.privdir)
    finally:
        second.ctrl_c()
        rc, err = second.wait()
    assert rc == 0
    assert "cleaned up after an earlier run" in err and first.privdir in err
    _assert_clean(second)


def test_status_stop_and_second_start(tmp_path: Path) -> None:
    state = tmp_path / "state"
    lab = Lab(state, "--seed", "5")
    try:
        again = bpfhol("syscalls", state_dir=state)
        assert again.returncode == 2 and again.stdout == ""
        how = "sudo bpfhol stop" if os.geteuid() == 0 else "bpfhol stop"
        assert again.stderr == f"bpfhol: already running (pid {lab.pid}); stop it with: {how}\n"
        st = bpfhol("status", state_dir=state)
        assert st.returncode == 0, st.stderr
        for comm, pid in lab.pids.items():
            assert re.search(rf"^{comm}\s+{pid}\s+\S+\s+{re.escape(lab.privdir)}", st.stdout, re.M), st.stdout
        stop = bpfhol("stop", state_dir=state)
        assert stop.returncode == 0 and f"stopped the syscalls lab (pid {lab.pid})" in stop.stdout
        rc, _ = lab.wait()
        assert rc == 0
        _assert_clean(lab)
        after = bpfhol("status", state_dir=state)
        assert after.returncode == 0 and after.stdout.startswith("no lab workloads running")
    finally:
        lab.kill()


@pytest.mark.parametrize("args", [
    ["syscalls", "--seed", "1000"],
    ["syscalls", "--seed", "-1"],
    ["syscalls", "--answers", "--seed", "1000"],
    ["syscalls", "--bogus"],
    ["syscalls", "--duration", "0"],
    ["syscalls", "--duration", "nan"],
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    p = bpfhol(*args, state_dir=tmp_path / "state")
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("bpfhol: "), p.stderr
    assert not (tmp_path / "state").exists(), "a refused start creates nothing"


def test_duration_and_the_sudo_caller(tmp_path: Path) -> None:
    """Started as root by sudo, the workloads run as the caller, with no extra groups."""
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root")
    env = dict(os.environ, SUDO_UID="4321", SUDO_GID="4321")
    lab = Lab(tmp_path / "state", "--duration", "1.5", env=env)
    st = os.stat(lab.privdir)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (4321, 4321, 0o700)
    for pid in lab.pids.values():
        assert proc_uid(pid) == 4321
        with open(f"/proc/{pid}/status") as f:
            groups = next(line for line in f if line.startswith("Groups:"))
        assert groups.split() == ["Groups:"]
    rc, err = lab.wait(timeout=10)
    assert rc == 0 and err == ""
    _assert_clean(lab)


def test_nobody_without_sudo(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUDO_")}
    lab = Lab(tmp_path / "state", env=env)
    try:
        assert {proc_uid(p) for p in lab.pids.values()} == {65534}
        assert lab.lines[0].endswith(f"workloads run as nobody in {lab.privdir}")
    finally:
        lab.ctrl_c()
        assert lab.wait()[0] == 0
    _assert_clean(lab)


# --- each workload on its own ---------------------------------------------------------------------------


def test_workloads_run_standalone(tmp_path: Path) -> None:
    procs = {
        comm: subprocess.Popen([sys.executable, "-m", f"workloads.{comm}", "--dir", str(tmp_path),
                                "--duration", "0.5"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for comm in COMMS
    }
    for comm, p in procs.items():
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0 and err == "", (comm, err)
        assert out.splitlines()[-1] == "ready" and f"{comm}: pid {p.pid}" in out
    assert os.listdir(tmp_path) == [], "each workload removes what it made"


def test_standalone_comm_is_set(tmp_path: Path) -> None:
    p = subprocess.Popen([sys.executable, "-m", "workloads.closeall", "--dir", str(tmp_path)], cwd=ROOT,
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().startswith("closeall: pid")
        assert p.stdout.readline().strip() == "ready"
        st = proc_stat(p.pid)
        assert st is not None and st.comm == "closeall"
        assert os.path.isfile(tmp_path / "closeall" / "journal.log")
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=10)
    assert p.returncode == 0
    assert os.listdir(tmp_path) == []
