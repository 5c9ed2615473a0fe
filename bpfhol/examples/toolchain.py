"""The toolchain an example runs on, and whether it meets the example's declared requirements.

Part of the *run* layer: an example is skipped only when a requirement it declares (`requires:`)
is unmet here, and the skip says which.  The tools' versions are those of the commands the examples
run with (BPFHOL_BPFTRACE, BPFHOL_PYTHON), asked once.
"""

from __future__ import annotations

import functools
import os
import platform
import re
import subprocess
from collections.abc import Callable

from bpfhol import bpftrace, config
from bpfhol.examples.model import Requirement


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def kernel_version() -> tuple[int, ...]:
    return _version(platform.release())


@functools.cache
def _kprobes() -> bool:
    # kprobe events exist only with CONFIG_KPROBES (and the kprobe PMU): what bpftrace's kprobe needs.
    return os.path.exists("/sys/bus/event_source/devices/kprobe")


@functools.cache
def bcc_version() -> tuple[int, ...] | None:
    """The version of BCC's Python module (`bcc.__version__`) in the python3 the examples run with, e.g.
    (0, 26, 0); None when it does not load there."""
    try:
        out = subprocess.run(
            [*config.python_command(), "-c", "import bcc; print(bcc.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?\S*", out.stdout.strip()) if out.returncode == 0 else None
    return tuple(int(g or 0) for g in m.groups()) if m else None


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
    elif req.what == "bcc":
        found = bcc_version()
        if found is None:
            return f"needs {req} (BCC's Python module does not load here)"
        have, shown = found, ".".join(map(str, found))
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
