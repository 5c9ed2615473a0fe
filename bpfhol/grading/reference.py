"""What the system really did while a learner's program traced: a reference program run alongside.

An answer that depends on the whole machine (which process maps the most) is judged against
what happened in the same window, never against the assumption that the workload is the
busiest. The reference also measures what the workload did (sizes, flags, descriptors), so a
second copy of the workload running on the machine, or one that misbehaves, is judged as it
was, not as the answer key says it should have been.

Reference programs are bpftrace programs of the kind the course teaches, printing plain maps
(`@name[k1, k2]: n`), which read the same on every bpftrace version the course supports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bpfhol.grading.parse import parse
from bpfhol.grading.records import MAP_LINE, Record, number, split_keys

COMPANION_COMM = "mapcheck"  # see companion.py


def _comm_filter(comms: list[str]) -> str:
    return " || ".join(f'comm == "{c}"' for c in comms)


PRINT_MS = 100  # the reference prints and clears its maps this often


def _periodic(maps: list[str]) -> str:
    """Print and clear the maps every PRINT_MS: the reference can then be killed the moment the
    learner's program ends, without waiting for bpftrace to detach and print (its counts arrive as
    they are made; at most the last PRINT_MS are lost)."""
    body = " ".join(f"print({m}); clear({m});" for m in maps)
    return f"interval:ms:{PRINT_MS} {{ {body} }}\n"


def program(family: str, key: dict[str, Any]) -> str:
    """The reference program for an exercise family (mmap, open, close, stack, clock)."""
    if family == "stack":
        # A map keyed by stacks prints over several lines, which the line-by-line sum below cannot
        # read: print it whole, never cleared, and read its last printing (Reference.stacks).
        comm = key["stack"]["comm"]
        return (
            f'tracepoint:syscalls:sys_enter_openat /comm == "{comm}"/ {{ @stacks[comm, pid, ustack] = count(); }}\n'
            f"interval:ms:{PRINT_MS} {{ print(@stacks); }}\n"
        )
    return _program(family, key) + _periodic(_MAPS[family](key))


_MAPS = {
    "mmap": lambda key: ["@calls", "@len", "@type"],
    "open": lambda key: ["@openat", "@open"] if key["open"]["oldopen"]["open_syscall"] else ["@openat"],
    "close": lambda key: ["@ebadf", "@ok"],
    "clock": lambda key: ["@clock"],
}


def _program(family: str, key: dict[str, Any]) -> str:
    if family == "mmap":
        watch = _comm_filter([key["mmap"]["comm"], COMPANION_COMM])
        return (
            "tracepoint:syscalls:sys_enter_mmap { @calls[comm, pid] = count(); }\n"
            f"tracepoint:syscalls:sys_enter_mmap /{watch}/ {{\n"
            "  @len[comm, pid, args->len] = count();\n"
            "  @type[comm, pid, args->flags & 0xf] = count();\n"
            "}\n"
        )
    if family == "open":
        o = key["open"]
        watch = _comm_filter([o["opener"]["comm"], o["oldopen"]["comm"], o["tempfiles"]["comm"], key["close"]["comm"]])
        text = (
            f"tracepoint:syscalls:sys_enter_openat /{watch}/ "
            "{ @openat[comm, pid, args->flags, str(args->filename)] = count(); }\n"
        )
        if o["oldopen"]["open_syscall"]:  # architectures without open(2) have no such tracepoint
            text += (
                f"tracepoint:syscalls:sys_enter_open /{watch}/ "
                "{ @open[comm, pid, args->flags, str(args->filename)] = count(); }\n"
            )
        return text
    if family == "close":
        comm = key["close"]["comm"]
        return (
            "tracepoint:syscalls:sys_enter_close { @fd[tid] = args->fd; @seen[tid] = 1; }\n"
            "tracepoint:syscalls:sys_exit_close /@seen[tid]/ {\n"
            f"  if (args->ret == {key['close']['ebadf']}) {{ @ebadf[pid, comm, @fd[tid]] = count(); }}\n"
            f'  if (args->ret >= 0 && comm == "{comm}") {{ @ok[pid, comm, @fd[tid]] = count(); }}\n'
            "  delete(@fd[tid]); delete(@seen[tid]);\n"
            "}\n"
            "END { clear(@fd); clear(@seen); }\n"
        )
    if family == "clock":  # which clocks the process really asked the kernel for: the vDSO decides
        return (
            f'tracepoint:syscalls:sys_enter_clock_gettime /comm == "{key["clock"]["comm"]}"/ '
            "{ @clock[comm, pid, args->which_clock] = count(); }\n"
        )
    raise ValueError(f"no reference program for {family!r}")


@dataclass
class Reference:
    """The reference's maps: {"@calls": {("mapit", "1234"): 1000, ...}, ...}, and how long it traced."""

    maps: dict[str, dict[tuple[str, ...], int]] = field(default_factory=dict)
    seconds: float | None = None
    # Each printing (every PRINT_MS) on its own: what changed during the window.
    ticks: list[dict[str, dict[tuple[str, ...], int]]] = field(default_factory=list)
    # Maps keyed by stacks (counts so far, as last printed): records with their frames.
    stacks: list[Record] = field(default_factory=list)

    @classmethod
    def from_output(cls, text: str, seconds: float | None = None) -> Reference:
        """The sum of every printing of the maps (the reference clears them after each)."""
        maps: dict[str, dict[tuple[str, ...], int]] = defaultdict(lambda: defaultdict(int))
        ticks: list[dict[str, dict[tuple[str, ...], int]]] = []
        last = ""
        for line in text.splitlines():
            m = MAP_LINE.match(line.strip())
            if not m:
                continue
            v = number(m.group(3))
            if v is None:
                continue
            name, keys = m.group(1), split_keys(m.group(2) or "")
            if not ticks or (name != last and name in ticks[-1]):  # a map printed again: the next tick
                ticks.append({})
            last = name
            maps[name][keys] += int(v)
            ticks[-1].setdefault(name, {})[keys] = int(v)
        stacks = [r for r in parse(text).records if r.stacks]
        return cls({name: dict(entries) for name, entries in maps.items()}, seconds, ticks, stacks)

    def get(self, name: str) -> dict[tuple[str, ...], int]:
        return self.maps.get(name, {})

    # --- mmap -------------------------------------------------------------------------------

    def calls_by_comm(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (comm, *_), n in self.get("@calls").items():
            out[comm] += n
        return dict(out)

    def pids_of(self, comm: str, name: str = "@calls") -> set[str]:
        return {k[1] for k in self.get(name) if k and k[0] == comm and len(k) > 1}

    def sizes(self, comm: str, pid: str | None = None) -> dict[int, int]:
        """Lengths `comm` mapped (one process of that name if `pid`), with their counts."""
        out: dict[int, int] = defaultdict(int)
        for (c, p, length), n in self.get("@len").items():
            if c == comm and (pid is None or p == pid):
                out[int(length)] += n
        return dict(out)

    def types(self, comm: str, pid: str | None = None, tick: int | None = None) -> dict[int, int]:
        """Mapping types (flags & MAP_TYPE) `comm` used (one process of that name if `pid`; in one
        printing if `tick`), counted."""
        out: dict[int, int] = defaultdict(int)
        entries = self.get("@type") if tick is None else self.ticks[tick].get("@type", {})
        for (c, p, t), n in entries.items():
            if c == comm and (pid is None or p == pid):
                out[int(t)] += n
        return dict(out)

    # --- open -------------------------------------------------------------------------------

    def opens(self) -> list[tuple[str, str, str, int, str, int]]:
        """(syscall, comm, pid, flags, filename, count) for every open the workload made."""
        out = []
        for syscall in ("open", "openat"):
            for k, n in self.get("@" + syscall).items():
                if len(k) >= 4:
                    comm, pid, flags, name = k[0], k[1], k[2], ", ".join(k[3:])
                    out.append((syscall, comm, pid, int(number(flags) or 0), name, n))
        return out

    # --- close ------------------------------------------------------------------------------

    def ebadf(self) -> dict[tuple[str, str, int], int]:
        """(pid, comm, fd) -> failed closes."""
        return {(k[0], k[1], int(k[2])): n for k, n in self.get("@ebadf").items() if len(k) == 3}

    # --- clock ------------------------------------------------------------------------------

    def clock_reads(self, comm: str, pid: str | None = None) -> dict[int, int]:
        """Clock id -> the clock_gettime(2) calls `comm` made for it (one process of that name if `pid`)."""
        out: dict[int, int] = defaultdict(int)
        for k, n in self.get("@clock").items():
            if len(k) == 3 and k[0] == comm and (pid is None or k[1] == pid) and number(k[2]) is not None:
                out[int(number(k[2]) or 0)] += n
        return dict(out)
