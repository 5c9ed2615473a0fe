"""The syscalls lab: its workloads, what they do for a seed, and the answer key that follows.

Seed 0 is the classic scenario (the one the lab pages show). Any other seed in 1..SEED_MAX changes
mapit's page sizes and shared/private ratio, the opener's file names and the program the launcher
starts with its arguments, deterministically: the choices come from
`random.Random(<seed string>).random()`, whose sequence Python keeps stable across versions. Every
seed, 0 included, draws the process names from NAME_POOL, one per role: the questions ask which
process does what, so no name may say it (the modules keep their own names, which a learner never
sees: the workloads are forked from the supervisor, not executed).
"""

from __future__ import annotations

import errno
import math
import mmap
import os
import platform
import random
import re
from dataclasses import dataclass
from typing import Any

from bpfhol.labs import clockkey, stackkey
from bpfhol.labs.answersheet import describe
from bpfhol.labs.seeded import chooser, draw_names, scenario_name
from bpfhol.labs.spec import LabSpec
from workloads import closeall, common, launcher, mapit, oldopen, opener, poller, repeater, stopwatch, tempfiles

SEED_MAX = 999
PATTERN_LEN = 20  # seeded shared/private patterns: k of every 20 calls shared (k*5 %)
MAX_PAGES = 16

# Plausible service names that say nothing of mmap, opening, temporary files or closing; none is a
# process name of the io or mystery lab, so labs running side by side never share one.
NAME_POOL = (
    "syncd",
    "indexer",
    "relayd",
    "notifyd",
    "exportd",
    "catalogd",
    "routerd",
    "mailerd",
    "searchd",
    "billingd",
    "agentd",
    "beacond",
)
ROLES = ("mmap", "opener", "oldopen", "tempfiles", "close", "exec", "clock")

# Names a seeded opener picks from (3 to 6 of them).
FILE_POOL = (
    "settings.json",
    "users.csv",
    "index.html",
    "report.pdf",
    "session.log",
    "photo.jpg",
    "archive.tar",
    "keys.pem",
    "backup.sql",
    "readme.md",
    "schema.xml",
    "model.bin",
    "queue.dat",
    "metrics.prom",
    "profile.yaml",
    "history.txt",
    "inventory.db",
    "theme.css",
)


# The raw-syscalls exercise's process: its question names it, so its name is fixed (a neutral one,
# outside NAME_POOL); the seed picks the system call it repeats, which is the answer.
RAW_COMM = "harbord"
RAW_CLASSIC_CALL = "uname"
# Each call's number in the kernel's table (arch/x86/entry/syscalls/syscall_64.tbl on x86_64,
# include/uapi/asm-generic/unistd.h on arm64): raw_syscalls:sys_enter reports the number.
RAW_CALL_NR = {
    "x86_64": {
        "getppid": 110,
        "sched_yield": 24,
        "uname": 63,
        "getcwd": 79,
        "statfs": 137,
        "times": 100,
        "getpriority": 140,
        "getsid": 124,
    },
    "aarch64": {
        "getppid": 173,
        "sched_yield": 124,
        "uname": 160,
        "getcwd": 17,
        "statfs": 43,
        "times": 153,
        "getpriority": 141,
        "getsid": 156,
    },
}
# The call harbord makes that fails (raw-2), the classic scenario's and each one's number (the same
# tables). A random source of its own, so the choice shifts none of the others.
RAW_CLASSIC_FAIL = "kill-esrch"
RAW_FAIL_NR = {
    "x86_64": {"kill": 62, "getpgid": 121, "chdir": 80, "truncate": 76},
    "aarch64": {"kill": 129, "getpgid": 155, "chdir": 49, "truncate": 45},
}
# The stacks exercise's process: its question names it, so its name is fixed (as harbord's, outside
# NAME_POOL); the seed picks how many of its openat(2) calls of every poller.CALLS_PER_TICK come from
# os.open (the rest from os.listdir), so which C library function makes most of them is the answer.
STACKS_COMM = "ferryd"
STACKS_CLASSIC_OPENS = 3
# The larger share tells the way in: 90 or 70 % through os.listdir, 60 or 80 % through os.open. A
# share the output shows therefore names the function, whatever the tracer calls it.
STACKS_OPENS = (1, 3, 6, 8)
# What the exec workload starts: a small coreutils program (in /usr/bin on every Debian and Ubuntu,
# merged /usr or not) and its arguments around a seeded token ("{token}"), with the exit status it
# ends with (exec-2). Each reads nothing, writes only to /dev/null, and ends the same way on any
# file system: what decides its status is its arguments alone (coreutils 9.1 to 9.7, documented in
# each program's manual: expr 1 for a null or zero result, 2 for an invalid expression; test and
# numfmt 2 for an invalid number; timeout and nice 125 when they fail themselves).
EXEC_PROGRAMS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("/usr/bin/basename", "-s", ".part", "{token}.part"), 0),
    (("/usr/bin/dirname", "spool/{token}"), 0),
    (("/usr/bin/expr", "{token}", ":", "[a-z]*"), 0),
    (("/usr/bin/realpath", "-m", "queue/{token}"), 0),
    (("/usr/bin/expr", "{token}", ":", "[0-9]*"), 1),
    (("/usr/bin/printf", "%d", "{token}"), 1),
    (("/usr/bin/test", "{token}", "-gt", "1"), 2),
    (("/usr/bin/numfmt", "{token}"), 2),
    (("/usr/bin/timeout", "{token}", "true"), 125),
    (("/usr/bin/nice", "-n", "{token}", "true"), 125),
)
EXEC_WORDS = ("batch", "ticket", "shard", "order", "upload", "parcel", "ledger", "invoice")
_EXEC_TOKEN = re.compile(r"\b[a-z]+-\d{4}\b")


@dataclass(frozen=True)
class Scenario:
    seed: int
    pages: tuple[int, ...]  # page counts, in the order mapit cycles through them
    pattern: str  # 'S' (MAP_SHARED) / 'P' (MAP_PRIVATE) per mmap call, repeating
    opener_files: tuple[str, ...]
    names: dict[str, str]  # role (ROLES) -> process name

    @property
    def name(self) -> str:
        return scenario_name(self.seed)

    @property
    def shared_percent(self) -> float:
        return 100.0 * self.pattern.count("S") / len(self.pattern)


def spread(shared: int, total: int) -> str:
    """`shared` S among `total` calls, as evenly as they go: any run of calls is within one of the ratio."""
    g = math.gcd(shared, total)
    k, n = shared // g, total // g
    return "".join("S" if (i + 1) * k // n > i * k // n else "P" for i in range(n))


def scenario(seed: int) -> Scenario:
    LAB.check_seed(seed)
    names = dict(zip(ROLES, draw_names("syscalls", seed, NAME_POOL, len(ROLES))))
    if seed == 0:
        return Scenario(0, mapit.CLASSIC_PAGES, mapit.CLASSIC_PATTERN, opener.CLASSIC_FILES, names)
    r = random.Random(f"bpfhol-syscalls-{seed}").random

    def below(n: int) -> int:
        return min(int(r() * n), n - 1)

    def shuffled(items: list[Any]) -> list[Any]:  # Fisher-Yates on r() alone
        for i in range(len(items) - 1, 0, -1):
            j = below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items

    npages = 4 + below(7)  # 4..10 sizes
    pages = tuple(sorted(shuffled(list(range(1, MAX_PAGES + 1)))[:npages]))
    ratios = [k for k in range(2, PATTERN_LEN - 1) if k * 4 != PATTERN_LEN * 3]  # 10..90 %, not 75 %
    pattern = spread(ratios[below(len(ratios))], PATTERN_LEN)
    nfiles = 3 + below(4)  # 3..6 files
    files = tuple(shuffled(list(FILE_POOL))[:nfiles])
    return Scenario(seed, pages, pattern, files, names)


def exec_program(seed: int) -> tuple[tuple[str, ...], int]:
    """The program the exec workload starts with its arguments, and the status it ends with, for a
    seed (the classic one for 0). A random source of its own, so the choice does not shift the
    scenario's others."""
    LAB.check_seed(seed)
    if seed == 0:
        return launcher.CLASSIC_ARGV, launcher.CLASSIC_STATUS
    r = random.Random(f"bpfhol-syscalls-exec-{seed}").random
    program, status = EXEC_PROGRAMS[min(int(r() * len(EXEC_PROGRAMS)), len(EXEC_PROGRAMS) - 1)]
    token = f"{EXEC_WORDS[min(int(r() * len(EXEC_WORDS)), len(EXEC_WORDS) - 1)]}-{1000 + int(r() * 9000)}"
    return tuple(arg.replace("{token}", token) for arg in program), status


def exec_argv(seed: int) -> tuple[str, ...]:
    """The program the exec workload starts and its arguments, for a seed."""
    return exec_program(seed)[0]


def _exec_key(sc: Scenario) -> dict[str, Any]:
    """The exec exercises' part of the key: which program, with which arguments, started by whom,
    and the exit status it ends with."""
    argv, status = exec_program(sc.seed)
    return {
        "comm": sc.names["exec"],
        "program": argv[0],
        "program_comm": os.path.basename(argv[0]),
        "argv": list(argv),
        "args": list(argv[1:]),
        "command": " ".join(argv),
        "token": _EXEC_TOKEN.search(" ".join(argv)).group(0),  # type: ignore[union-attr]
        "status": status,
    }


def pages_by_type(sc: Scenario) -> dict[str, list[int]]:
    """The page counts mapit maps shared ('S') and private ('P'): call i maps pages[i % n] with
    pattern[i % m], so which sizes meet which type follows from the two cycles together."""
    n, m = len(sc.pages), len(sc.pattern)
    period = n * m // math.gcd(n, m)
    return {t: sorted({sc.pages[i % n] for i in range(period) if sc.pattern[i % m] == t}) for t in "SP"}


def _pct(v: float) -> float | int:
    return int(v) if v == int(v) else round(v, 2)


def _mmap_key(sc: Scenario, page: int) -> dict[str, Any]:
    """The mmap exercises' part of the key: who maps, which sizes, how shared."""
    anon = mmap.MAP_ANONYMOUS
    by_type = pages_by_type(sc)
    return {
        "comm": sc.names["mmap"],
        "calls_per_second": mapit.CALLS_PER_SECOND,
        "pages": sorted(set(sc.pages)),
        "sizes_kib": [p * page // 1024 for p in sorted(set(sc.pages))],
        "sizes_bytes": [p * page for p in sorted(set(sc.pages))],
        "shared_percent": _pct(sc.shared_percent),
        "private_percent": _pct(100.0 - sc.shared_percent),
        "pattern": sc.pattern,
        "flags_shared": hex(mmap.MAP_SHARED | anon),
        "flags_private": hex(mmap.MAP_PRIVATE | anon),
        "prot": hex(mmap.PROT_READ | mmap.PROT_WRITE),
        "unmaps_all": True,
        "shared_sizes_bytes": [p * page for p in by_type["S"]],
        "private_sizes_bytes": [p * page for p in by_type["P"]],
        "shared_sizes_kib": [p * page // 1024 for p in by_type["S"]],
        "private_sizes_kib": [p * page // 1024 for p in by_type["P"]],
    }


def raw_call(seed: int) -> str:
    """The system call the raw-syscalls exercise's process repeats (a random source of its own, so
    the choice shifts none of the scenario's others)."""
    LAB.check_seed(seed)
    return RAW_CLASSIC_CALL if seed == 0 else chooser("syscalls-raw", seed)(tuple(repeater.CALLS))


def raw_fail(seed: int) -> str:
    """The failing call the raw-syscalls exercise's process makes (a key of repeater.FAILS)."""
    LAB.check_seed(seed)
    return RAW_CLASSIC_FAIL if seed == 0 else chooser("syscalls-raw-fail", seed)(tuple(repeater.FAILS))


def _raw_key(seed: int, arch: str) -> dict[str, Any]:
    call = raw_call(seed)
    fail_call, err, _how = repeater.FAILS[raw_fail(seed)]
    return {
        "comm": RAW_COMM,
        "syscall": call,
        "nr": RAW_CALL_NR.get(arch, {}).get(call),
        "calls_per_second": repeater.CALLS_PER_TICK * common.TICK_HZ,
        "fail_syscall": fail_call,
        "fail_nr": RAW_FAIL_NR.get(arch, {}).get(fail_call),
        "fail_errno": err,
        "fail_error": errno.errorcode[err],
        "fail_message": os.strerror(err),
    }


def stacks_opens(seed: int) -> int:
    """How many of the stacks process's openat(2) calls of every poller.CALLS_PER_TICK are os.open's
    (a random source of its own, so the choice shifts none of the scenario's others)."""
    LAB.check_seed(seed)
    return STACKS_CLASSIC_OPENS if seed == 0 else chooser("syscalls-stacks", seed)(STACKS_OPENS)


def clock_reads(seed: int) -> tuple[str, int]:
    """The CPU-time clock the clock exercise's process reads, and its reads per tick."""
    LAB.check_seed(seed)
    return clockkey.choice(seed)


def answer_key(seed: int) -> dict[str, Any]:
    """What the exercises find on this machine for this seed (sizes follow the page size)."""
    sc = scenario(seed)
    page = mmap.PAGESIZE
    arch = platform.machine()
    return {
        "seed": sc.seed,
        "scenario": sc.name,
        "page_size": page,
        "page_kib": page // 1024,
        "arch": arch,
        "mmap": _mmap_key(sc, page),
        "open": {
            "opener": {
                "comm": sc.names["opener"],
                "dir": sc.names["opener"],
                "files": list(sc.opener_files),
                "syscall": "openat",
            },
            "oldopen": {
                "comm": sc.names["oldopen"],
                "dir": sc.names["oldopen"],
                "file": oldopen.FILE,
                "open_syscall": oldopen.open_syscall_number(arch) is not None,
                "syscall": "open" if oldopen.open_syscall_number(arch) is not None else "openat",
            },
            "tempfiles": {
                "comm": sc.names["tempfiles"],
                "dir": sc.names["tempfiles"],
                "o_tmpfile": hex(os.O_TMPFILE),
                "o_tmpfile_flags": hex(tempfiles.O_TMPFILE_FLAGS),
                "o_tmpfile_path": ".",
                "mkstemp_flags": "O_RDWR|O_CREAT|O_EXCL",
                "mkstemp_flags_hex": hex(tempfiles.MKSTEMP_FLAGS),
                "mkstemp_names": tempfiles.MKSTEMP_PREFIX + "XXXXXX",
                "syscall": "openat",
            },
        },
        "close": {
            "comm": sc.names["close"],
            "dir": sc.names["close"],
            "file": closeall.FILE,
            "ebadf": -9,
            "double_close": True,
            "never_opened_fds": [closeall.BAD_FD_BASE + k for k in range(closeall.BAD_FDS)],
        },
        "raw": _raw_key(seed, arch),
        "exec": _exec_key(sc),
        "stack": stackkey.key(seed, stacks_opens(seed), STACKS_COMM),
        "clock": clockkey.key(sc.seed, sc.names["clock"]),
    }


def workloads(seed: int) -> list[common.Workload]:
    """The workloads, set up for a seed (in the order of the supervisor's table)."""
    sc = scenario(seed)
    return [
        mapit.Mapit(sc.pages, sc.pattern, comm=sc.names["mmap"]),
        opener.Opener(sc.opener_files, comm=sc.names["opener"]),
        oldopen.Oldopen(comm=sc.names["oldopen"]),
        tempfiles.Tempfiles(comm=sc.names["tempfiles"]),
        closeall.Closeall(comm=sc.names["close"]),
        repeater.Repeater(raw_call(seed), raw_fail(seed), comm=RAW_COMM),
        launcher.Launcher(exec_argv(seed), comm=sc.names["exec"]),
        poller.Poller(stacks_opens(seed), STACKS_COMM, *stackkey.paths(seed)),
        stopwatch.Stopwatch(*clock_reads(seed), comm=sc.names["clock"]),
    ]


LAB = LabSpec(
    name="syscalls",
    title="Working with system calls",
    summary="mmap, open/openat and close traced with tracepoint:syscalls and raw_syscalls",
    page="syscalls/index.md",
    seed_max=SEED_MAX,
    workloads=workloads,
    answer_key=answer_key,
    describe=describe,
    scenario_name=scenario_name,
)
