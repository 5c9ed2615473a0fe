"""The toolchain an example runs on, and whether it meets the example's declared requirements.

Part of the *run* layer: an example is skipped only when a requirement it declares (`requires:`)
is unmet here, and the skip says which.
"""

from __future__ import annotations

import functools
import os
import platform
import re
from collections.abc import Callable

from bpfhol import bpftrace
from bpfhol.examples.model import Requirement


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def kernel_version() -> tuple[int, ...]:
    return _version(platform.release())


@functools.cache
def _kprobes() -> bool:
    # kprobe events exist only with CONFIG_KPROBES (and the kprobe PMU): what bpftrace's kprobe needs.
    return os.path.exists("/sys/bus/event_source/devices/kprobe")


def _compare(have: tuple[int, ...], op: str, want: tuple[int, ...]) -> bool:
    n = max(len(have), len(want))
    have, want = have + (0,) * (n - len(have)), want + (0,) * (n - len(want))
    return {">=": have >= want, "<=": have <= want, "==": have == want, "<": have < want, ">": have > want}[op]


def unmet(req: Requirement) -> str | None:
    """Why `req` does not hold on this machine and toolchain, or None when it does."""
    if req.what == "arch":
        arch = platform.machine()
        return None if arch in req.value.split("|") else f"needs {req} (this is {arch})"
    if req.what == "feature":
        probes: dict[str, Callable[[], bool]] = {
            "kprobes": _kprobes,
            "btf": lambda: os.path.exists("/sys/kernel/btf/vmlinux"),
            "kallsyms": _kallsyms_data,
        }
        present = probes[req.value]()
        return None if present else f"needs {req} (this kernel has none)"
    if req.what == "kernel":
        have = kernel_version()
        shown = platform.release()
    else:
        found = bpftrace.version()
        if found is None:
            return f"needs {req} (bpftrace does not run here)"
        have, shown = found, "v" + ".".join(map(str, found))
    return None if _compare(have, req.op, _version(req.value)) else f"needs {req} (this is {req.what} {shown})"


def first_unmet(reqs: list[Requirement]) -> str | None:
    return next((why for r in reqs if (why := unmet(r))), None)


def _kallsyms_data() -> bool:
    """Does /proc/kallsyms list data objects too (CONFIG_KALLSYMS_ALL)? `sys_call_table` is one."""
    try:
        with open("/proc/kallsyms") as f:
            return any(line.rstrip("\n").endswith(" sys_call_table") for line in f)
    except OSError:
        return False
