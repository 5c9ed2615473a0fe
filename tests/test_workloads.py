"""The syscalls lab's workloads, traced with real bpftrace, checked against the answer key.

Each lab instance runs with its own BPFHOL_STATE_DIR, so it can run beside another one (the
docs suite keeps one running); the checks filter on the instance's own pids for that reason.
"""

from __future__ import annotations

import errno
import json
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

from bpfhol.bpftrace import trace
from bpfhol.config import ROOT
from bpfhol.examples.model import parse_requirement
from bpfhol.examples.toolchain import first_unmet
from bpfhol.grading.stackkeys import frame_function, split_stack_key
from bpfhol.labs import LABS
from bpfhol.labs.process import LabProcess
from bpfhol.labs.syscalls import EXEC_PROGRAMS, LAB, NAME_POOL, RAW_COMM, ROLES, STACKS_COMM, answer_key, stacks_opens
from bpfhol.procfs import proc_stat, proc_uid
from workloads import common, poller, repeater


def bpfhol(*args: str, state_dir: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`bpfhol ARGS` as a separate process, as a learner types it."""
    e = dict(os.environ)
    if state_dir is not None:
        e["BPFHOL_STATE_DIR"] = str(state_dir)
    return subprocess.run(
        [sys.executable, "-m", "bpfhol", *args], cwd=ROOT, env=e, capture_output=True, text=True, timeout=timeout
    )


def cli_answer_key(seed: int) -> dict:
    p = bpfhol("syscalls", "--seed", str(seed), "--answers", "--json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture
def start_lab(tmp_path: Path):
    """Starts `bpfhol syscalls` in a state directory of the test's; whatever happens, nothing stays."""
    started: list[LabProcess] = []

    def start(seed: int = 0, *args: str, state: Path | None = None, env: dict[str, str] | None = None) -> LabProcess:
        lab = LabProcess("syscalls", seed, *args, state_dir=state or tmp_path / "state", env=env)
        started.append(lab)
        return lab

    yield start
    for lab in started:  # a failed assertion must not leave a workload or its private directory
        lab.kill()
        lab.cleanup()


SEEDS = [0, 7]


# --- the answer key ---------------------------------------------------------------------------------


def test_classic_answer_key() -> None:
    key = cli_answer_key(0)
    assert key == answer_key(0), "the CLI prints the key computed in-process"
    page = os.sysconf("SC_PAGE_SIZE")
    assert key["seed"] == 0 and key["scenario"] == "classic"
    assert key["page_size"] == page
    m = key["mmap"]
    assert m["comm"] in NAME_POOL
    assert m["pages"] == list(range(1, 11))
    assert m["sizes_kib"] == [p * page // 1024 for p in range(1, 11)]
    assert (m["shared_percent"], m["private_percent"]) == (75, 25)
    assert (m["flags_shared"], m["flags_private"]) == ("0x21", "0x22")
    o = key["open"]
    assert o["opener"] == {
        "comm": key["open"]["opener"]["comm"],
        "dir": key["open"]["opener"]["comm"],
        "syscall": "openat",
        "files": ["config.ini", "data.db", "cache.bin", "notes.txt"],
    }
    assert o["oldopen"]["file"] == "legacy.conf"
    if key["arch"] == "x86_64":
        assert o["oldopen"]["open_syscall"] is True
    assert o["tempfiles"]["o_tmpfile"] == hex(os.O_TMPFILE)
    assert o["tempfiles"]["mkstemp_flags"] == "O_RDWR|O_CREAT|O_EXCL"
    assert key["close"]["ebadf"] == -9
    x = key["exec"]
    assert x["argv"] == ["/usr/bin/expr", "batch-4821", ":", "[0-9]*"] and x["program"] == x["argv"][0]
    assert (x["program_comm"], x["token"], x["command"]) == ("expr", "batch-4821", " ".join(x["argv"]))
    assert x["status"] == 1
    r = key["raw"]
    assert (r["fail_syscall"], r["fail_errno"], r["fail_error"]) == ("kill", errno.ESRCH, "ESRCH")
    if key["arch"] == "x86_64":
        assert (r["nr"], r["fail_nr"]) == (63, 62)
    assert (key["clock"]["clock"], key["clock"]["clock_id"], key["clock"]["calls_per_second"]) == (
        "CLOCK_PROCESS_CPUTIME_ID",
        2,
        40,
    )
    assert (key["stack"]["open_path"], key["stack"]["listdir_path"], key["stack"]["open_percent"]) == (
        "state",
        "inbox",
        30,
    )
    assert _comms(key) == sorted(LAB.comms(0)) and len(set(LAB.comms(0))) == len(ROLES) + 2  # and the fixed two


def test_seeds_are_deterministic_and_differ() -> None:
    seven = answer_key(7)
    assert answer_key(7) == seven
    classic = answer_key(0)
    assert seven["scenario"] != "classic"
    assert seven["mmap"]["pages"] != classic["mmap"]["pages"]
    assert seven["mmap"]["shared_percent"] != classic["mmap"]["shared_percent"]
    assert seven["open"]["opener"]["files"] != classic["open"]["opener"]["files"]
    assert seven["exec"]["command"] != classic["exec"]["command"]
    clocks = {(answer_key(s)["clock"]["clock_id"], answer_key(s)["clock"]["calls_per_second"]) for s in range(1, 40)}
    assert {c for c, _ in clocks} == {2, 3} and len(clocks) > 4, "the clock and its rate change with the seed"
    assert len({answer_key(s)["exec"]["token"] for s in range(1, 30)}) > 20, "the token changes with the seed"
    assert len({answer_key(s)["exec"]["program"] for s in range(1, 30)}) > 2, "so does the program"
    assert {answer_key(s)["exec"]["status"] for s in range(1, 30)} == {0, 1, 2, 125}, "and how it ends"
    fails = {(answer_key(s)["raw"]["fail_syscall"], answer_key(s)["raw"]["fail_errno"]) for s in range(1, 30)}
    assert len(fails) == len(repeater.FAILS), "harbord's failing call and its error change with the seed"
    paths = {(answer_key(s)["stack"]["open_path"], answer_key(s)["stack"]["listdir_path"]) for s in range(1, 40)}
    assert len(paths) > 10 and all(f in poller.FILES and d in poller.DIRS for f, d in paths), "ferryd's paths"
    shares = [answer_key(s)["stack"]["open_percent"] for s in range(1, 40)]
    assert shares == [100 * stacks_opens(s) // poller.CALLS_PER_TICK for s in range(1, 40)], "its own draw"
    assert seven["mmap"]["shared_percent"] + seven["mmap"]["private_percent"] == 100
    assert _comms(seven) == sorted(LAB.comms(7)) and _comms(classic) == sorted(LAB.comms(0))


def test_names_are_drawn_per_seed_and_say_nothing() -> None:
    """Every seed draws distinct names, one per role, from the pool; seeds differ in who is called what.
    The raw-syscalls exercise's process keeps one name (its question names it), outside the pool."""
    draws = {seed: LAB.comms(seed) for seed in range(40)}
    fixed = {RAW_COMM, STACKS_COMM}
    assert all(len(set(d) - fixed) == len(ROLES) and set(d) - fixed <= set(NAME_POOL) for d in draws.values())
    assert all(fixed <= set(d) for d in draws.values()) and not fixed & set(NAME_POOL)
    assert len({d[0] for d in draws.values()}) > 5, "the top mmap caller is not always the same name"
    others = {c for lab in LABS.values() if lab is not LAB for c in lab.comms(0)}
    assert not others & set(NAME_POOL), "no lab shares a name with another"
    told = re.compile(
        r"map|open|temp|tmp|close|file|fd|legacy|old|wait|sleep|rand|digest|pipe|chat|logger|clock|time|tick"
    )
    assert not fixed & others
    for name in {*NAME_POOL, *others, *fixed} - {"reportd"}:  # the capstone's ticket names reportd itself
        assert not told.search(name), f"{name} says what it does"


def _comms(key: object) -> list[str]:
    text = json.dumps(key)
    return sorted(re.findall(r'"comm": "([^"]+)"', text))


def test_human_answer_key() -> None:
    p = bpfhol("syscalls", "--answers", "--seed", "7")
    key = answer_key(7)
    assert p.returncode == 0 and p.stderr == ""
    for word in [
        *LAB.comms(7),
        *key["open"]["opener"]["files"],
        key["exec"]["program"],
        " ".join(key["exec"]["argv"]),
        f"{key['mmap']['shared_percent']} % MAP_SHARED",
        "-9",
    ]:
        assert word in p.stdout, word


def test_exec_programs_end_with_their_status(tmp_path: Path) -> None:
    """Each program the launcher may start ends with the status the key gives it, whatever the
    token and wherever it runs (its arguments alone decide)."""
    for template, status in EXEC_PROGRAMS:
        for token in ("batch-4821", "invoice-1000"):
            argv = [a.replace("{token}", token) for a in template]
            p = subprocess.run(argv, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
            assert p.returncode == status, (argv, p.returncode, p.stderr)


@pytest.mark.parametrize("name", list(repeater.FAILS))
def test_failing_calls_fail_as_said(name: str) -> None:
    """Each call harbord may make to fail fails with its errno, as root or not (run here as the test's user)."""
    _call, err, how = repeater.FAILS[name]
    with pytest.raises(OSError) as e:
        how(os.getpid())
    assert e.value.errno == err
    assert os.getcwd()  # no call changed this process


# --- tracing the workloads ----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, needs_bpf: None):
    running = LabProcess("syscalls", request.param, state_dir=tmp_path_factory.mktemp("state") / "s")
    try:
        yield running
    finally:
        rc, err = running.stop()
    assert rc == 0, err


def test_ps_shows_nothing_telling(lab: LabProcess) -> None:
    """`ps -ef` shows a workload's command line: the supervisor's (forked, never executed), not a module's."""
    for comm, pid in lab.pids.items():
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        assert not any(m in arg for arg in argv for m in MODULES), (comm, argv)
        assert (proc_stat(pid) or pytest.fail(comm)).comm == comm


def test_banner_and_status_say_who_not_what(lab: LabProcess) -> None:
    """Each process by name and pid: what it does, and what it does wrong, is for the exercises."""
    rows = [line for line in lab.lines if line.split(" ")[0] in lab.pids]
    assert sorted(r.split()[0] for r in rows) == sorted(lab.pids)
    assert all(re.fullmatch(r"\S+ +\d+", r) for r in rows), rows
    status = bpfhol("status", state_dir=lab.state_dir)
    srows = [line for line in status.stdout.splitlines() if line.split(" ")[0] in lab.pids]
    assert len(srows) == len(lab.pids) and all(re.fullmatch(r"\S+ +\d+ +\S+ +\S+", r) for r in srows), srows
    o, c = lab.key["open"], lab.key["close"]
    files = [*o["opener"]["files"], o["oldopen"]["file"], c["file"]]
    x = lab.key["exec"]
    secrets = {*files, *(f.split(".")[0] for f in files), o["tempfiles"]["o_tmpfile"], "EBADF", "O_TMPFILE"}
    secrets |= {x["program"], x["program_comm"], x["token"], "execve"}
    text = "\n".join(lab.lines) + status.stdout
    assert not [s for s in secrets if re.search(rf"\b{re.escape(s)}\b", text, re.I)], text


MMAP_PROGRAM = """
tracepoint:syscalls:sys_enter_mmap {{ @calls[pid, comm] = count(); }}
tracepoint:syscalls:sys_enter_mmap /pid == {me}/ {{ @len[args->len] = count(); @flags[args->flags] = count(); }}
"""


def _a_lab_workload(pid: int) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(a.endswith(b"bpfhol") for a in argv) and any(a in (b"syscalls", b"io", b"mystery") for a in argv)


def _top_other(maps: dict[str, dict[str, int]], me: int, comm: str) -> tuple[int, str, int]:
    """The mmap workload's calls, and the busiest other process (another lab's workload, whatever
    its name, is not a rival: it was forked from a `bpfhol` supervisor and has its command line)."""
    calls = {tuple(k.split(",", 1)): n for k, n in maps["@calls"].items()}
    ours = calls.pop((str(me), comm))
    others = {k: n for k, n in calls.items() if not _a_lab_workload(int(k[0]))} or {("-", "nothing"): 0}
    who = max(others, key=lambda k: others[k])
    return ours, f"{who[1]} (pid {who[0]})", others[who]


def test_mmap_top_caller_sizes_and_shared_ratio(lab: LabProcess) -> None:
    m = lab.key["mmap"]
    me = lab.pids[m["comm"]]
    seconds = 2.0
    maps = trace(MMAP_PROGRAM.format(me=me), seconds)
    assert sorted(int(k) for k in maps["@len"]) == m["sizes_bytes"]
    flags = {int(k): n for k, n in maps["@flags"].items()}
    shared, private = int(m["flags_shared"], 16), int(m["flags_private"], 16)
    assert set(flags) == {shared, private}
    assert abs(100 * flags[shared] / sum(flags.values()) - m["shared_percent"]) <= 2
    windows = [_top_other(maps, me, m["comm"])]
    assert windows[0][0] >= 0.8 * m["calls_per_second"] * seconds, "about the advertised rate"
    # "Top caller by 10x" holds on an idle machine; 5x is asked, since another suite's Python
    # processes starting beside this one (as in the matrix) map about 130 times a second, and a
    # burst elsewhere (a browser starting, a compiler) can outdo that: a busy window is measured again.
    while windows[-1][0] < 5 * windows[-1][2] and len(windows) < 3:
        windows.append(_top_other(trace(MMAP_PROGRAM.format(me=me), seconds), me, m["comm"]))
    ours, who, theirs = windows[-1]
    assert ours >= 5 * theirs, f"{m['comm']} vs the busiest other process, per {seconds} s window: {windows}"


def test_opener_opens_its_files(lab: LabProcess) -> None:
    o = lab.key["open"]["opener"]
    maps = trace(
        f"""
tracepoint:syscalls:sys_enter_openat /pid == {lab.pids[o["comm"]]}/ {{ @files[str(args->filename)] = count(); }}
""",
        1.0,
    )
    assert sorted(maps["@files"]) == sorted(o["files"])
    assert (Path(lab.privdir) / o["dir"]).is_dir()


def test_oldopen_calls_open_itself(lab: LabProcess) -> None:
    o = lab.key["open"]["oldopen"]
    syscall = "open" if o["open_syscall"] else "openat"
    assert o["open_syscall"] or os.uname().machine != "x86_64"
    maps = trace(
        f"""
tracepoint:syscalls:sys_enter_{syscall} {{ @who[pid, comm] = count(); }}
tracepoint:syscalls:sys_enter_{syscall} /pid == {lab.pids[o["comm"]]}/ {{ @files[str(args->filename)] = count(); }}
""",
        1.0,
    )
    assert f"{lab.pids[o['comm']]},{o['comm']}" in maps["@who"]
    assert list(maps["@files"]) == [o["file"]] and maps["@files"][o["file"]] >= 5


def test_tempfiles_creates_o_tmpfile_and_mkstemp_files(lab: LabProcess) -> None:
    t = lab.key["open"]["tempfiles"]
    o_tmpfile = int(t["o_tmpfile"], 16)
    me = lab.pids[t["comm"]]
    maps = trace(
        f"""
tracepoint:syscalls:sys_enter_openat /pid == {me}/ {{
  @flags[args->flags] = count();
  if ((args->flags & {o_tmpfile}) == {o_tmpfile}) {{ @tmpfile[str(args->filename)] = count(); }}
  else {{ @named[str(args->filename)] = count(); }}
}}
tracepoint:syscalls:sys_exit_openat /pid == {me}/ {{ @exits = count(); }}
tracepoint:syscalls:sys_exit_openat /pid == {me} && args->ret < 0/ {{ @failed = count(); }}
""",
        1.0,
    )
    assert {int(k) for k in maps["@flags"]} == {int(t["o_tmpfile_flags"], 16), int(t["mkstemp_flags_hex"], 16)}
    assert list(maps["@tmpfile"]) == [t["o_tmpfile_path"]] and maps["@tmpfile"]["."] >= 3
    assert len(maps["@named"]) >= 3 and all(re.fullmatch(r"tmp[A-Za-z0-9]{6}", n) for n in maps["@named"])
    assert maps["@exits"][""] >= 6 and maps.get("@failed", {}).get("", 0) == 0, "every creation succeeds"


def test_closeall_closes_bad_descriptors(lab: LabProcess) -> None:
    c = lab.key["close"]
    me = lab.pids[c["comm"]]
    maps = trace(
        f"""
tracepoint:syscalls:sys_enter_close /pid == {me}/ {{ @fd[tid] = args->fd; }}
tracepoint:syscalls:sys_exit_close /pid == {me}/ {{
  @ret[args->ret] = count();
  if (args->ret < 0) {{ @badfd[@fd[tid]] = count(); }}
}}
tracepoint:syscalls:sys_exit_close /args->ret == {c["ebadf"]}/ {{ @who[pid] = count(); }}
""",
        1.0,
    )
    rets = {int(k): n for k, n in maps["@ret"].items()}
    assert set(rets) == {0, c["ebadf"]}
    assert rets[c["ebadf"]] >= 10 and rets[0] >= 5, "bad closes, and valid ones beside them"
    bad = {int(k) for k in maps["@badfd"]}
    assert bad & set(c["never_opened_fds"]), "closes of descriptors never opened"
    assert bad - set(c["never_opened_fds"]), "a second close of a descriptor it had opened"
    assert str(me) in maps["@who"]


def test_harbord_repeats_one_call(lab: LabProcess) -> None:
    """The raw-syscalls exercise's process: its most frequent call is the key's, by far."""
    r = lab.key["raw"]
    me = lab.pids[r["comm"]]
    seconds = 1.0
    maps = trace(f"tracepoint:raw_syscalls:sys_enter /pid == {me}/ {{ @ids[args->id] = count(); }}", seconds)
    ids = sorted(((n, int(k)) for k, n in maps["@ids"].items()), reverse=True)
    (top, nr), rest = ids[0], ids[1:]
    assert r["nr"] is None or nr == r["nr"], ids
    assert top >= 0.8 * r["calls_per_second"] * seconds, ids
    assert all(n * 10 <= top for n, _ in rest), f"{r['syscall']} dwarfs every other call: {ids}"


def test_harbord_fails_one_call_with_one_error(lab: LabProcess) -> None:
    """One call of harbord's fails, every time, with the key's error; nothing else it does fails."""
    r = lab.key["raw"]
    me = lab.pids[r["comm"]]
    seconds = 1.0
    # One probe counts both, so that both stop at the same event.
    maps = trace(
        f"""
tracepoint:raw_syscalls:sys_exit /pid == {me}/ {{
  if (args->ret < 0 && args->ret >= -4095) {{ @failed[args->id, -args->ret] = count(); }}
  if (args->id == {r["fail_nr"] or -2}) {{ @made = count(); }}
}}""",
        seconds,
    )
    failed = maps["@failed"]
    assert list(failed) == [f"{r['fail_nr']},{r['fail_errno']}"] or r["fail_nr"] is None, failed
    n = next(iter(failed.values()))
    assert 0.8 * common.TICK_HZ * seconds <= n <= 1.3 * common.TICK_HZ * seconds, failed
    assert r["fail_nr"] is None or maps["@made"][""] == n, "it fails every time it is made"


def test_ferryd_opens_through_two_functions(lab: LabProcess) -> None:
    """The stacks exercises' process: its openat(2) calls start in two C library functions, the
    larger share the key's (stacks keyed by their innermost frame, as the exercise adds them up), and
    each function opens one path, the key's: the directory for os.listdir's, the file for os.open's."""
    s = lab.key["stack"]
    me = lab.pids[s["comm"]]
    seconds = 1.0
    maps = trace(
        f"tracepoint:syscalls:sys_enter_openat /pid == {me}/ {{ @[ustack, str(args->filename)] = count(); }}", seconds
    )
    by_leaf: dict[str, int] = {}
    paths: dict[str, set[str]] = {}
    for stack_key, n in maps["@"].items():
        rest, stacks = split_stack_key(stack_key)
        leaf = frame_function(stacks[0][0])
        by_leaf[leaf] = by_leaf.get(leaf, 0) + n
        paths.setdefault(leaf, set()).update(rest)
    total = sum(by_leaf.values())
    assert len(by_leaf) == 2 and total >= 0.8 * s["calls_per_second"] * seconds, by_leaf
    assert abs(100 * max(by_leaf.values()) / total - s["top_percent"]) <= 5, by_leaf
    big = max(by_leaf, key=lambda f: by_leaf[f])
    big_path = s["listdir_path"] if s["open_percent"] < 50 else s["open_path"]
    assert paths[big] == {big_path} and set.union(*paths.values()) == {s["open_path"], s["listdir_path"]}, paths


def test_stopwatch_asks_the_kernel_for_its_cpu_clock(lab: LabProcess) -> None:
    """The clock exercise's process: its CPU-time clock reaches clock_gettime(2) at the key's rate. The
    vDSO serves its other three clocks where it can read the clock source (tsc, kvm-clock): then none
    of them shows; where it cannot (hpet, acpi_pm), all three do."""
    k = lab.key["clock"]
    me = lab.pids[k["comm"]]
    maps = trace(
        f"tracepoint:syscalls:sys_enter_clock_gettime /pid == {me}/ {{ @c[args->which_clock] = count(); }}", 1.0
    )
    seen = {int(c): n for c, n in maps.get("@c", {}).items()}
    assert abs(seen.get(k["clock_id"], 0) - k["calls_per_second"]) <= 0.25 * k["calls_per_second"], seen
    assert set(seen) - {k["clock_id"]} in (set(), {0, 1, 7}), seen


def test_launcher_starts_its_program_again_and_again(lab: LabProcess) -> None:
    """Its children run the key's program with the key's argv (NULL-terminated), under the
    launcher's name until the execve(2) succeeds and the program's after it; each one is reaped."""
    if why := first_unmet([parse_requirement("bpftrace >= 0.17")]):  # curtask: the kernel's BTF
        pytest.skip(why)
    x = lab.key["exec"]
    me = lab.pids[x["comm"]]
    argv = ", ".join(f"str(args->argv[{i}])" for i in range(len(x["argv"])))
    maps = trace(
        f"""
tracepoint:syscalls:sys_enter_execve /curtask->real_parent->tgid == {me}/ {{
  @enter[comm, str(args->filename)] = count();
  @argv[{argv}] = count();
  @last[(uint64)args->argv[{len(x["argv"])}]] = count();
}}
tracepoint:syscalls:sys_exit_execve /curtask->real_parent->tgid == {me}/ {{ @exit[comm, args->ret] = count(); }}
tracepoint:syscalls:sys_enter_execve /pid == {me}/ {{ @itself = count(); }}
tracepoint:syscalls:sys_enter_exit_group /curtask->real_parent->tgid == {me}/ {{
  @status[comm, args->error_code] = count();
}}
""",
        1.5,
    )
    assert list(maps["@status"]) == [f"{x['program_comm']},{x['status']}"], "each ends with the key's status"
    assert list(maps["@enter"]) == [f"{x['comm']},{x['program']}"]
    assert list(maps["@argv"]) == [",".join(x["argv"])]
    assert list(maps["@last"]) == ["0"], "argv ends with NULL"
    assert list(maps["@exit"]) == [f"{x['program_comm']},0"]
    assert 2 <= maps["@enter"][f"{x['comm']},{x['program']}"] <= 6, "about 2.5 starts a second"
    assert maps.get("@itself", {}).get("", 0) == 0, "the launcher itself never execs"
    first = _zombies_of(me)
    time.sleep(0.2)
    assert not first & _zombies_of(me), "each child is reaped as it ends"


def _zombies_of(parent: int) -> set[int]:
    found = set()
    for d in Path("/proc").iterdir():
        st = proc_stat(int(d.name)) if d.name.isdigit() else None
        if st is not None and st.ppid == parent and st.state == "Z":
            found.add(int(d.name))
    return found


# --- stopping leaves nothing ------------------------------------------------------------------------


def _assert_clean(lab: LabProcess) -> None:
    assert lab.wait_workloads_gone() == []
    assert not os.path.lexists(lab.privdir), f"{lab.privdir} left behind"
    assert not (lab.state_dir / f"{lab.spec.name}.json").exists()


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
@pytest.mark.parametrize("name", list(LABS))
def test_stop_by_signal_leaves_nothing(tmp_path: Path, name: str, how: str) -> None:
    lab = LabProcess(name, 0, state_dir=tmp_path / "state")
    if how == "ctrl-c":
        lab.ctrl_c()
    else:
        lab.proc.send_signal(signal.SIGTERM)
    rc, err = lab.wait()
    assert rc == 0 and err == "", err
    _assert_clean(lab)


def test_sigkill_then_next_start_cleans_up(start_lab) -> None:
    first = start_lab()
    first.proc.kill()
    first.wait()
    assert first.wait_workloads_gone(2.0) == [], "PR_SET_PDEATHSIG should end them with the supervisor"
    assert os.path.isdir(first.privdir), "the supervisor could not remove it: the next start must"
    second = start_lab(3)
    try:
        assert not os.path.lexists(first.privdir)
    finally:
        second.ctrl_c()
        rc, err = second.wait()
    assert rc == 0
    assert "cleaned up after an earlier run" in err and first.privdir in err
    _assert_clean(second)


def test_status_stop_and_second_start(start_lab, tmp_path: Path) -> None:
    state = tmp_path / "state"
    lab = start_lab(5)
    try:
        again = bpfhol("syscalls", state_dir=state)
        assert again.returncode == 2 and again.stdout == ""
        how = "sudo bpfhol stop" if os.geteuid() == 0 else "bpfhol stop"
        assert again.stderr == f"bpfhol: the syscalls lab is already running (pid {lab.pid}); stop it with: {how}\n"
        st = bpfhol("status", state_dir=state)
        assert st.returncode == 0, st.stderr
        labs = json.loads(bpfhol("status", "--json", state_dir=state).stdout)["labs"]
        assert [(s["lab"], s["seed"], s["alive"], s["ready"]) for s in labs] == [("syscalls", 5, True, True)]
        assert {c["comm"]: c["pid"] for c in labs[0]["children"] if c["alive"]} == lab.pids
        for comm, pid in lab.pids.items():
            assert re.search(rf"^{comm}\s+{pid}\s+\S+\s+{re.escape(lab.privdir)}", st.stdout, re.M), st.stdout
        stop = bpfhol("stop", state_dir=state)
        assert stop.returncode == 0 and f"stopped the syscalls lab (pid {lab.pid})" in stop.stdout
        rc, _ = lab.wait()
        assert rc == 0
        _assert_clean(lab)
        after = bpfhol("status", state_dir=state)
        assert after.returncode == 0 and after.stdout.startswith("no lab workloads running")
        assert json.loads(bpfhol("status", "--json", state_dir=state).stdout) == {"labs": []}
    finally:
        lab.kill()


@pytest.mark.parametrize(
    "args",
    [
        ["io", "--seed", "1000"],
        ["mystery", "--duration", "-1"],
        ["mystery", "--answers", "--seed", "-3"],
        ["syscalls", "--seed", "1000"],
        ["syscalls", "--seed", "-1"],
        ["syscalls", "--answers", "--seed", "1000"],
        ["syscalls", "--bogus"],
        ["syscalls", "--duration", "0"],
        ["syscalls", "--duration", "nan"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    p = bpfhol(*args, state_dir=tmp_path / "state")
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("bpfhol: "), p.stderr
    assert not (tmp_path / "state").exists(), "a refused start creates nothing"


def test_duration_and_the_sudo_caller(start_lab) -> None:
    """Started as root by sudo, the workloads run as the caller, with no extra groups."""
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root")
    env = dict(os.environ, SUDO_UID="4321", SUDO_GID="4321")
    lab = start_lab(0, "--duration", "1.5", env=env)
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


def test_nobody_without_sudo(start_lab) -> None:
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUDO_")}
    lab = start_lab(env=env)
    try:
        assert {proc_uid(p) for p in lab.pids.values()} == {65534}
        assert lab.lines[0].endswith(f"workloads run as nobody in {lab.privdir}")
    finally:
        lab.ctrl_c()
        assert lab.wait()[0] == 0
    _assert_clean(lab)


def test_privdir_the_owner_cannot_unlink_is_removed() -> None:
    """The owner empties its private directory; when it may not unlink it (a parent it cannot write,
    as an overlayfs /tmp answers on Linux 6.1), root removes the empty directory, and nothing else."""
    if os.geteuid() != 0:
        pytest.skip("removing as another user needs root")
    from bpfhol.labs.state import remove_privdir as _remove_privdir

    parent = Path(tempfile.mkdtemp(prefix="bpfhol-test-"))  # root's, 0755: uid 4321 may not unlink in it
    try:
        parent.chmod(0o755)
        priv = parent / "bpfhol-syscalls-test"
        (priv / "sub").mkdir(parents=True)
        (priv / "sub" / "f").write_text("x")
        for path in (priv, priv / "sub", priv / "sub" / "f"):
            os.chown(path, 4321, 4321)
        assert _remove_privdir(str(priv), 4321, 4321, "syscalls")
        assert not priv.exists()
        # What the owner cannot empty stays: root never walks a tree another user controls.
        other = parent / "bpfhol-syscalls-other"
        (other / "roots").mkdir(parents=True)
        (other / "roots" / "kept").write_text("x")
        os.chown(other, 4321, 4321)
        assert not _remove_privdir(str(other), 4321, 4321, "syscalls")
        assert (other / "roots" / "kept").exists()
    finally:
        shutil.rmtree(parent)


# --- each workload on its own ---------------------------------------------------------------------------


MODULES = [
    *("mapit", "opener", "oldopen", "tempfiles", "closeall", "launcher", "repeater", "poller"),
    *("pipewait", "digest", "chatty", "reportd", "stopwatch"),
]


def test_workloads_run_standalone(tmp_path: Path) -> None:
    procs = {
        module: subprocess.Popen(
            [sys.executable, "-m", f"workloads.{module}", "--dir", str(tmp_path), "--duration", "0.5"],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for module in MODULES
    }
    for module, p in procs.items():
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0 and err == "", (module, err)
        assert out.splitlines()[-1] == "ready" and f": pid {p.pid} working in" in out
    assert os.listdir(tmp_path) == [], "each workload removes what it made"


def test_standalone_comm_is_set(tmp_path: Path) -> None:
    p = subprocess.Popen(
        [sys.executable, "-m", "workloads.closeall", "--dir", str(tmp_path)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
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


# --- the io and mystery labs ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["io", "mystery"])
def test_seeded_keys_are_deterministic_and_keep_their_names(name: str) -> None:
    lab = LABS[name]
    keys = {seed: lab.answer_key(seed) for seed in range(0, 40)}
    assert lab.answer_key(7) == keys[7]
    scenarios = {json.dumps({k: v for k, v in key.items() if k not in ("seed", "scenario")}) for key in keys.values()}
    assert len(scenarios) > 5, "seeds make different scenarios"
    for key in keys.values():
        assert set(_comms(key)) <= set(lab.comms(0))
    p = bpfhol(name, "--answers", "--seed", "7")
    assert p.returncode == 0 and p.stderr == "" and p.stdout.startswith(f"Answer key: {name} lab, seed 7")


@pytest.mark.parametrize("seed", [0, 7])
def test_io_lab_waits_works_and_says(tmp_path: Path, seed: int, needs_bpf: None) -> None:
    lab = LabProcess("io", seed, state_dir=tmp_path / "state")
    try:
        lat, pay = lab.key["latency"], lab.key["payloads"]
        maps = trace(
            f"""
tracepoint:syscalls:sys_enter_read /pid == {lab.pids[lat["slow"]["comm"]]}/ {{ @t[tid] = (int64)nsecs; }}
tracepoint:syscalls:sys_exit_read /@t[tid]/ {{ @ms = avg((uint64)((int64)nsecs - @t[tid]) / 1000000); @t[tid] = 0; }}
tracepoint:syscalls:sys_enter_getrandom /pid == {lab.pids[lat["busy"]["comm"]]}/ {{ @bytes[args->len] = count(); }}
tracepoint:syscalls:sys_enter_write /pid == {lab.pids[pay["comm"]]}/ {{ @fds[args->fd] = count(); }}
END {{ clear(@t); }}
""",
            1.5,
        )
        assert abs(maps["@ms"][""] - lat["slow"]["wait_ms"]) <= 2 + 0.15 * lat["slow"]["wait_ms"], maps["@ms"]
        assert list(maps["@bytes"]) == [str(lat["busy"]["bytes"])]
        assert list(maps["@fds"]) == ["2"]
        log = Path(lab.privdir) / pay["comm"] / f"{pay['comm']}.log"
        assert pay["token_line"] in log.read_text() and pay["heartbeat"] in log.read_text()
    finally:
        rc, err = lab.stop()
    assert rc == 0, err
    _assert_clean(lab)


@pytest.mark.parametrize("seed", [0, 7])
def test_mystery_fails_and_waits_as_its_key_says(tmp_path: Path, seed: int, needs_bpf: None) -> None:
    lab = LabProcess("mystery", seed, state_dir=tmp_path / "state")
    try:
        m = lab.key["mystery"]
        maps = trace(
            f"""
tracepoint:syscalls:sys_enter_openat /pid == {lab.pids[m["comm"]]}/ {{ @path[str(args->filename)] = count(); }}
tracepoint:syscalls:sys_exit_openat /pid == {lab.pids[m["comm"]]}/ {{ @ret[args->ret] = count(); }}
tracepoint:syscalls:sys_enter_read /pid == {lab.pids[m["comm"]]}/ {{ @t[tid] = (int64)nsecs; }}
tracepoint:syscalls:sys_exit_read /@t[tid]/ {{ @ms = avg((uint64)((int64)nsecs - @t[tid]) / 1000000); @t[tid] = 0; }}
END {{ clear(@t); }}
""",
            1.5,
        )
        assert list(maps["@path"]) == [m["path"]]
        assert list(maps["@ret"]) == [str(m["ret"])]
        assert abs(maps["@ms"][""] - m["backoff_ms"]) <= 2 + 0.15 * m["backoff_ms"], maps["@ms"]  # late under load
        assert not (Path(lab.privdir) / m["comm"] / m["path"]).exists()
    finally:
        rc, err = lab.stop()
    assert rc == 0, err
    _assert_clean(lab)


def test_a_killed_lab_leaves_nothing_once_cleaned_up(tmp_path: Path) -> None:
    """A test that fails right after its lab's supervisor died must not leave the private directory behind."""
    lab = LabProcess("syscalls", 0, state_dir=tmp_path / "state")
    lab.proc.kill()  # SIGKILL: the supervisor cannot clean up
    lab.wait()
    assert lab.wait_workloads_gone(2.0) == []
    assert os.path.isdir(lab.privdir), "left for whoever cleans up next"
    lab.cleanup()  # what every test's teardown does
    _assert_clean(lab)
