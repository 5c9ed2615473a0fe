"""Exercise: stacks. Which C library function makes most of one process's openat(2) calls.

The process opens a file and lists its directory, each through its own C library function, in a
proportion the seed chooses. An answer counts the process's openat(2) calls by user stack (or by
the stack's innermost frame, named); the calls that start in the same function are added up, and
the largest sum must be the function that makes most of them.

The function's name is never part of the key: it depends on the C library, its debugging symbols
and the tracer (with Debian 12's libc6-dbg, bpftrace 0.17 names a frame `__GI___libc_open`, BCC 0.26
the same address `__libc_open64`; without it, bpftrace 0.20 says `open64`; where a tracer cannot
read the library's symbols the frame is a bare address, `[unknown]` or, with bpftrace 0.27, no
frame at all). So an
answer is judged by what it shows: with the reference trace, a name spelled as bpftrace spells it
is compared with the reference's; any spelling is right when its share of the calls is the share
the reference measured (or, without one, the key's seeded share, which differs for the two ways
in, see STACKS_OPENS in labs/syscalls.py). Wrong answers are told which
method is missing, never the function, the Python call behind it or the share.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bpfhol.grading.evidence import Evidence, labels
from bpfhol.grading.exercises.registry import Family
from bpfhol.grading.probes import traces_anything
from bpfhol.grading.records import Record
from bpfhol.grading.stackkeys import frame_function
from bpfhol.grading.verdict import Verdict

STACKS = Family("stack", page="syscalls/exercises-stacks.md", reference=True)

# Percentage points. A 1-second window holds about 100 calls, spread evenly over each tick, so a
# window's share is within a call or two of the seed's; the seeds' shares (60, 70, 80, 90 %, each
# for one way in) are 10 points apart, so a share names one way in.
SHARE_TOLERANCE = 4

# Frames of the kernel's side of a system call (kstack at a syscalls tracepoint on x86_64 and arm64).
_KERNEL = re.compile(
    r"^(?:entry_SYSCALL|do_syscall_64|syscall_trace_enter|perf_syscall_enter|perf_trace_|trace_call_bpf|"
    r"bpf_prog_|__x64_sys_|__arm64_sys_|x64_sys_call|el0_svc|invoke_syscall|0xffff)"
)
# A word that can name a function (a C symbol, with or without its offset) or a bare address.
_FUNCTION_WORD = re.compile(r"^(?:[A-Za-z_.$][\w.$@]*(?:\+(?:0x[0-9a-f]+|\d+))?|0x[0-9a-f]{6,})$")
_NOT_FUNCTIONS = {"function", "func", "sym", "symbol", "leaf", "count", "calls", "stack", "openat", "total"}


# A stack printed without a frame: bpftrace 0.27 prints a user stack it cannot name so (Debian
# unstable's, for Python 3.13's open()), and every stack at a syscalls tracepoint on Linux 6.1 is
# empty in the kernel (see the primer's version notes). It is one way in of its own.
EMPTY = "(an empty stack)"


def _user_leaf(r: Record) -> tuple[str | None, bool]:
    """The innermost frame's function of the record's user stack, and whether it showed only the kernel's."""
    kernel_only = False
    for stack in r.stacks:
        if stack and _KERNEL.match(stack[0]):
            kernel_only = True
            continue
        return (frame_function(stack[0]) if stack else EMPTY), False
    return None, kernel_only


def _named_leaf(r: Record, comm: str) -> str | None:
    """A row that names its function in a cell (a BCC table: FUNCTION COUNT)."""
    for w in labels(r):
        if w != comm and w.lower() not in _NOT_FUNCTIONS and _FUNCTION_WORD.match(w):
            return frame_function(w)
    return None


def _groups(records: list[Record], comm: str) -> tuple[dict[str, float], bool]:
    """Calls by the function at the top of their stack, and whether any stack was the kernel's alone."""
    out: dict[str, float] = defaultdict(float)
    kernel = False
    for r in records:
        n = r.count()
        if n is None or n <= 0:
            continue
        if r.stacks:
            leaf, kernel_only = _user_leaf(r)
            kernel |= kernel_only
        else:
            leaf = _named_leaf(r, comm) if r.source in ("table", "line", "map") else None
        if leaf is not None and not _KERNEL.match(leaf):
            out[leaf] += n
    return dict(out), kernel


def _share(groups: dict[str, float], name: str) -> float:
    total = sum(groups.values())
    return 100.0 * groups[name] / total if total else 0.0


@STACKS.exercise(
    id="stack-1",
    section="Exercise: where do ferryd's opens come from?",
    question="Which C library function makes most of ferryd's openat(2) calls?",
)
def top_function(ev: Evidence, v: Verdict) -> None:
    comm = ev.key["stack"]["comm"]
    records = _openat_records(ev, v, comm)
    groups = _by_innermost_frame(records, comm, v) if records is not None else None
    if groups:
        _judge_top(ev, v, comm, groups)


def _openat_records(ev: Evidence, v: Verdict, comm: str) -> list[Record] | None:
    """Both questions' first steps: the program traces, it sees openat(2), its records are the process's."""
    if not traces_anything(ev.probes, v):
        return None
    if ev.probes is not None and ev.sees("openat") is False:
        v.add(
            "call",
            False,
            "your program does not trace openat(2): the question is about that call alone; "
            "attach to tracepoint:syscalls:sys_enter_openat",
        )
        return None
    return _whose(ev, v, comm)


def _whose(ev: Evidence, v: Verdict, comm: str) -> list[Record] | None:
    """The records about the process (by its name, or by its pid in the program's filter)."""
    records = [r for r in ev.records_of(comm) if r.count() is not None]
    if not records and _filters_on_pid(ev, comm):  # /pid == 1234/: the lab's process, by number
        records = [r for r in ev.out.records if r.count() is not None]
    if not records and any(r.stacks for r in ev.out.records):
        v.add(
            "process",
            False,
            f"your output shows stacks, but not whose: keep {comm}'s calls alone "
            f'(/comm == "{comm}"/) before you count them by stack',
        )
        return None
    return records


def _by_innermost_frame(records: list[Record], comm: str, v: Verdict) -> dict[str, float] | None:
    """The counts by innermost user frame, or None (and the feedback) when the output has none."""
    groups, kernel = _groups(records, comm)
    if not groups:
        if kernel:
            msg = (
                "your stacks are the kernel's side of the call (kstack), the same for every open: "
                "count the calls by the program's side, ustack, whose innermost frame is the C library function"
            )
        elif records:
            msg = (
                f"your output counts {comm}'s calls but not where they come from: key the count by the "
                "user stack, @[ustack] = count(), or name each stack's innermost frame (BCC: b.sym())"
            )
        else:
            msg = (
                f"your output shows no count for {comm}: keep its openat(2) calls alone "
                f'(/comm == "{comm}"/) and count them by user stack, @[ustack] = count()'
            )
        v.add("stack", False, msg)
        return None
    if set(groups) == {EMPTY}:
        v.add(
            "stack",
            False,
            "every stack in your output is empty: the kernel's stack (kstack) is empty at a syscalls "
            "tracepoint on some kernels; count by the program's side, ustack",
        )
        return None
    return groups


def _is_top(ev: Evidence, comm: str, groups: dict[str, float], top: str) -> bool:
    """Is `top` the reference's most frequent function: by its name where the reference spells it
    the same, else by the share it carries (each way in has shares of its own)."""
    ref = _reference_groups(ev, comm)
    if len(groups) < 2:  # "most" needs the other way in beside it
        return False
    if ref and top in ref:
        return top == max(ref, key=lambda g: ref[g])
    expected = _share(ref, max(ref, key=lambda g: ref[g])) if ref else float(ev.key["stack"]["top_percent"])
    return abs(_share(groups, top) - expected) <= SHARE_TOLERANCE


def _judge_top(ev: Evidence, v: Verdict, comm: str, groups: dict[str, float]) -> None:
    top = max(groups, key=lambda g: groups[g])
    if _is_top(ev, comm, groups, top):
        how = (
            "its address: your tracer could not name it"
            if top.startswith("0x")
            else "your tracer could not name its frame"
            if top == EMPTY
            else "its name in your output"
        )
        v.add(
            "function",
            True,
            f"{groups[top]:.0f} of the {sum(groups.values()):.0f} openat(2) calls in your output start in "
            f"{top} ({how}): the C library function that makes most of {comm}'s opens",
        )
    elif len(groups) == 1:
        v.add(
            "function",
            False,
            f"your output shows {comm}'s opens coming from one function only, yet it opens through more "
            "than one: count every openat(2) call it makes, keyed by the whole user stack (ustack), "
            "over a second or more",
        )
    else:
        v.add(
            "function",
            False,
            f"the function your output counts most is not the one that makes most of {comm}'s opens: "
            "count only its openat(2) calls, keyed by user stack, and add up the counts of the stacks "
            "whose innermost frame is the same function before you compare",
        )


def _filters_on_pid(ev: Evidence, comm: str) -> bool:
    """Does the source keep the process by its pid (`/pid == 1234/`, `1234 == pid`)?"""
    return any(re.search(rf"\bpid\s*==\s*{p}\b|\b{p}\s*==\s*pid\b", ev.source) for p in ev.pids_of(comm))


def _reference_groups(ev: Evidence, comm: str) -> dict[str, float]:
    """What the reference trace counted: the process's openat(2) calls by the function atop their stack."""
    if ev.ref is None:
        return {}
    groups, _ = _groups([r for r in ev.ref.stacks if comm in r.keys], comm)
    return groups


# stack-2: the path each way in opens. A table's columns, by their heading.
_FUNCTION_COLUMN = re.compile(r"func|sym|frame|leaf|stack|caller|where", re.I)
_PATH_COLUMN = re.compile(r"path|file|name|dir", re.I)


def _column(r: Record, pattern: re.Pattern[str]) -> str | None:
    if len(r.header) != len(r.cells):
        return None
    return next((c for h, c in zip(r.header, r.cells) if pattern.search(h)), None)


def _leaf_and_path(r: Record, comm: str) -> tuple[str | None, str | None]:
    """The function atop the record's stack (bpftrace: its ustack; a table: its function column or
    first name) and the path it names beside it."""
    words = [w for w in labels(r) if w != comm]
    if r.stacks:
        leaf, _ = _user_leaf(r)
        return leaf, words[0] if words else None
    if r.source not in ("table", "line"):  # a bpftrace map without a stack: a path alone, perhaps
        return None, words[0] if words else None
    named, path = _column(r, _FUNCTION_COLUMN), _column(r, _PATH_COLUMN)
    if r.header and len(r.header) == len(r.cells) and named is None:
        return None, path
    leaf = frame_function(named) if named else _named_leaf(r, comm)
    rest = [w for w in words if w != named and (leaf is None or frame_function(w) != leaf)]
    return leaf, path or (rest[0] if rest else None)


def _paths_by_function(records: list[Record], comm: str) -> tuple[dict[str, dict[str, float]], bool]:
    """Calls by function and path, and whether the output shows a path with no function beside it."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    apart = False
    for r in records:
        n = r.count()
        if n is None or n <= 0:
            continue
        leaf, path = _leaf_and_path(r, comm)
        if leaf is None or _KERNEL.match(leaf):
            apart |= path is not None
        elif path is not None:
            out[leaf][path] += n
    return {f: dict(p) for f, p in out.items()}, apart


def _same_path(shown: str, path: str) -> bool:
    return shown.rstrip("/") == path or shown.rstrip("/").endswith("/" + path)


@STACKS.exercise(
    id="stack-2",
    section="Going further: what does each way in open?",
    question="Which path does each of ferryd's two ways into openat(2) open?",
)
def paths_by_function(ev: Evidence, v: Verdict) -> None:
    st = ev.key["stack"]
    comm = st["comm"]
    records = _openat_records(ev, v, comm)
    if records is None or _by_innermost_frame(records, comm, v) is None:
        return
    paired, apart = _paths_by_function(records, comm)
    if not paired:
        v.add("path", False, _unpaired(comm, apart, any(r.stacks for r in records)))
        return
    _judge_paths(v, st, paired)


def _unpaired(comm: str, paths: bool, stacks: bool) -> str:
    """What an output that never shows a path beside a function lacks."""
    if paths and stacks:
        return (
            "your output shows the paths and the stacks apart: key one map by both, "
            "@[ustack, str(args->filename)], so each path shows under the function that opens it"
        )
    if paths:
        return (
            f"your output shows what {comm} opens but not which way in opens it: key the count by the "
            "user stack, ustack, beside the path"
        )
    return (
        f"your output shows where {comm}'s opens come from but not what they open: add the path "
        "the call is given, str(args->filename), to the key beside the stack"
    )


def _judge_paths(v: Verdict, st: dict[str, object], paired: dict[str, dict[str, float]]) -> None:
    comm = str(st["comm"])
    totals = {f: sum(p.values()) for f, p in paired.items()}
    if len(totals) < 2:
        v.add(
            "function",
            False,
            f"your output shows {comm}'s opens coming from one function only, yet it opens through two: "
            "count every openat(2) call it makes, keyed by user stack and path, over a second or more",
        )
        return
    # The two ways in by their shares: the seeds' are 10 to 90 %, never half, so the larger group is
    # os.listdir's exactly when its share is over half.
    big, small = sorted(totals, key=lambda f: totals[f], reverse=True)[:2]
    listdir, other = (big, small) if int(str(st["open_percent"])) < 50 else (small, big)
    want = {listdir: str(st["listdir_path"]), other: str(st["open_path"])}
    shown = {f: max(paired[f], key=lambda p: paired[f][p]) for f in (listdir, other)}
    if all(_same_path(shown[f], want[f]) for f in want):
        v.add(
            "path",
            True,
            f"{listdir} opens {want[listdir]} (the directory {comm} lists) and {other} opens "
            f"{want[other]} (its state file): each way in opens a path of its own",
        )
    else:
        v.add(
            "path",
            False,
            f"the path your output shows most under each function is not the one {comm} opens through it: "
            "count only its openat(2) calls, keyed by user stack and path together, and read the path "
            "under each innermost frame",
        )
