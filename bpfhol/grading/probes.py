"""What a program's source says it traces: which probes, which system calls, which arguments.

Judging is done on what a program printed; the source only explains a wrong answer ("your
program only sees open(2)") and catches output that cannot come from tracing at all (a
program with no probe but BEGIN). Comments and string literals are ignored, so a probe
named in a comment does not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bpfhol.grading.verdict import Verdict

_C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_PY_COMMENT = re.compile(r"(?m)#(?!include|define|if|endif|else|undef|pragma)[^\n]*$")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"')

# bpftrace providers and their short forms.
_BT_PROVIDERS = {
    "tracepoint": "tracepoint",
    "t": "tracepoint",
    "rawtracepoint": "rawtracepoint",
    "rt": "rawtracepoint",
    "kprobe": "kprobe",
    "k": "kprobe",
    "kretprobe": "kprobe",
    "kr": "kprobe",
    "kfunc": "kfunc",
    "f": "kfunc",
    "fentry": "kfunc",
    "kretfunc": "kfunc",
    "fr": "kfunc",
    "fexit": "kfunc",
    "uprobe": "uprobe",
    "u": "uprobe",
    "uretprobe": "uprobe",
    "ur": "uprobe",
    "usdt": "usdt",
    "U": "usdt",
    "interval": "interval",
    "i": "interval",
    "profile": "profile",
    "p": "profile",
    "software": "software",
    "s": "software",
    "hardware": "hardware",
    "h": "hardware",
}
_BT_PROBE = re.compile(r"(?:^|,|\})\s*([A-Za-z]+):([\w:*/.\-\[\]{}]+)", re.M)
_BT_SPECIAL = re.compile(r"(?:^|,|\})\s*(BEGIN|END)\b", re.M)


@dataclass
class Probes:
    providers: set[str] = field(default_factory=set)  # tracepoint, kprobe, kfunc, interval, ...
    enter: set[str] = field(default_factory=set)  # system calls with an entry probe: {"mmap", "openat"}
    exit: set[str] = field(default_factory=set)  # system calls with an exit probe
    raw_syscalls: bool = False  # raw_syscalls:sys_enter/exit: any system call, by number
    wildcard: bool = False  # a probe name with * (sys_enter_open*)
    text: str = ""  # the code without comments and strings

    @property
    def traces(self) -> bool:
        """Does anything in the program fire on what the system does (not just BEGIN/END/timers)?"""
        return bool(self.providers - {"interval", "BEGIN", "END"})

    @property
    def kernel_probes(self) -> set[str]:
        """Providers that need kprobes or BTF function tracing: kprobe, kfunc."""
        return self.providers & {"kprobe", "kfunc"}

    def sees(self, syscall: str, side: str = "enter") -> bool | None:
        """True/False when the source says; None when it cannot tell (raw_syscalls, wildcards)."""
        names = self.enter if side == "enter" else self.exit
        if syscall in names:
            return True
        if self.raw_syscalls or self.wildcard:
            return None
        return False

    def mentions(self, pattern: str) -> bool:
        return re.search(pattern, self.text) is not None


def _syscall_probe(p: Probes, name: str) -> None:
    """`sys_enter_mmap`, `syscalls:sys_exit_close`, or a wildcard."""
    name = name.split(":")[-1]
    if "*" in name or "{" in name or "[" in name:
        p.wildcard = True
    m = re.match(r"sys_(enter|exit)_(\w+)$", name)
    if m:
        (p.enter if m.group(1) == "enter" else p.exit).add(m.group(2))


def bpftrace_probes(source: str) -> Probes:
    code = _STRING.sub('""', _C_COMMENT.sub(" ", source))
    p = Probes(text=code)
    # Probes stand outside action blocks: strip the blocks' contents, innermost first.
    outside = code
    while True:
        stripped = re.sub(r"\{[^{}]*\}", "}", outside)
        if stripped == outside:
            break
        outside = stripped
    for m in _BT_PROBE.finditer(outside):
        provider = _BT_PROVIDERS.get(m.group(1))
        if provider is None:
            continue
        p.providers.add(provider)
        target = m.group(2)
        if provider == "tracepoint":
            if target.startswith("raw_syscalls:"):
                p.raw_syscalls = True
            elif target.startswith("syscalls:") or "*" in target.split(":")[0]:
                _syscall_probe(p, target)
        elif provider == "rawtracepoint" and re.match(r"(raw_syscalls:)?sys_(enter|exit)$", target):
            p.raw_syscalls = True
    for m in _BT_SPECIAL.finditer(outside):
        p.providers.add(m.group(1))
    return p


def bcc_probes(source: str) -> Probes:
    code = _C_COMMENT.sub(" ", _PY_COMMENT.sub("", source))
    p = Probes(text=code)
    for m in re.finditer(r"TRACEPOINT_PROBE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)", code):
        p.providers.add("tracepoint")
        if m.group(1) == "raw_syscalls":
            p.raw_syscalls = True
        elif m.group(1) == "syscalls":
            _syscall_probe(p, m.group(2))
    for m in re.finditer(r"attach_tracepoint\s*\(\s*(?:tp\s*=\s*)?[\"']([\w:*]+)[\"']", code):
        p.providers.add("tracepoint")
        if m.group(1).startswith("raw_syscalls:"):
            p.raw_syscalls = True
        else:
            _syscall_probe(p, m.group(1))
    if re.search(r"RAW_TRACEPOINT_PROBE\s*\(\s*sys_(enter|exit)\s*\)|attach_raw_tracepoint", code):
        p.providers.add("rawtracepoint")
        p.raw_syscalls = True
    if re.search(r"\bkprobe__|\bkretprobe__|attach_kprobe|attach_kretprobe|\bsyscall__", code):
        p.providers.add("kprobe")
    if re.search(r"KFUNC_PROBE|KRETFUNC_PROBE|KMOD_RET|\bLSM_PROBE", code):
        p.providers.add("kfunc")
    for m in re.finditer(r"(?:kprobe__|kretprobe__|syscall__)(?:__x64_sys_|sys_)?(\w+)", code):
        p.enter.add(m.group(1))
    return p


def probes_of(kind: str, source: str) -> Probes:
    return bpftrace_probes(source) if kind == "bpftrace" else bcc_probes(source)


def traces_anything(probes: Probes | None, v: Verdict) -> bool:
    """False (and a finding) when the program has no probe on what the system does."""
    if probes is None or probes.traces:
        return True
    v.add(
        "probes",
        False,
        "your program traces nothing: it has no probe but BEGIN, END or interval, so "
        "what it prints cannot come from the system; attach to a system call's tracepoint",
    )
    return False


def require(probes: Probes | None, v: Verdict, syscall: str, hint: str, either_side: bool = False) -> bool:
    """False (and a finding) when the source shows the program cannot answer: no tracing, wrong call.

    `either_side`: an exit probe on the call is enough (an answer the exit can give, or read there).
    """
    if probes is None:
        return True
    if not traces_anything(probes, v):
        return False
    if probes.sees(syscall) is False and not (either_side and probes.sees(syscall, "exit") is not False):
        other = sorted(probes.enter | probes.exit)
        what = f"traces {', '.join(other)}, not {syscall}(2)" if other else f"has no probe on {syscall}(2)"
        v.add(
            "probes", False, f"your program {what}: its entry probe is tracepoint:syscalls:sys_enter_{syscall} — {hint}"
        )
        return False
    return True
