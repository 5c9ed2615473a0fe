"""The doctor's checks of the kernel: BTF, tracefs, lockdown, kprobes, the syscall tracepoints, the architecture."""

from __future__ import annotations

import re
from pathlib import Path

from bpfhol.diagnosis.env import (
    FAIL,
    INFO,
    OK,
    SECURITYFS_MOUNT,
    TRACEFS_MOUNT,
    WARN,
    Env,
    Result,
    _probe,
    _read,
    _tracing_dir,
    kernel_config,
)


def check_btf(env: Env) -> Result:
    path = env.sys / "kernel/btf/vmlinux"
    if path.exists():
        return Result("btf", OK, f"{path} present (kernel types for CO-RE tools and BTF-based features)")
    return Result(
        "btf",
        WARN,
        f"no {path}: CO-RE tools (libbpf-tools) and BTF-based features cannot run",
        "the syscalls lab does not need it; other tools need a kernel built with CONFIG_DEBUG_INFO_BTF=y",
        "no BTF",
    )


def check_tracefs(env: Env) -> Result:
    d, state = _tracing_dir(env)
    if d is not None:
        return Result("tracefs", OK, f"mounted at {d}")
    if state == "denied":
        mounts = _read(env.proc / "self/mounts") or ""
        if re.search(r"^\S+ /sys/kernel/(debug/)?tracing tracefs ", mounts, re.M):
            return Result("tracefs", OK, "mounted (only root can look inside)")
        return Result(
            "tracefs",
            WARN,
            "cannot tell whether tracefs is mounted (only root can look)",
            "run as root: sudo bpfhol doctor",
            "tracefs unknown",
        )
    return Result(
        "tracefs",
        FAIL,
        f"not mounted (no {env.sys}/kernel/tracing/events): bpftrace's tracepoints need it",
        TRACEFS_MOUNT,
        "tracefs not mounted",
    )


def check_lockdown(env: Env) -> Result:
    sec = env.sys / "kernel/security"
    text = _read(sec / "lockdown")
    if text is None:
        lsm = _read(sec / "lsm")
        if lsm is not None:  # securityfs is mounted, and the lockdown LSM is not active
            return Result("lockdown", OK, f"none (the lockdown LSM is not active: {lsm.strip()})")
        return Result(
            "lockdown",
            WARN,
            f"unknown: securityfs is not mounted at {sec}",
            SECURITYFS_MOUNT,
            "lockdown unknown",
        )
    m = re.search(r"\[(\w+)\]", text)
    mode = m.group(1) if m else "?"
    if mode == "none":
        return Result("lockdown", OK, "none")
    if mode == "integrity":
        return Result(
            "lockdown",
            OK,
            "integrity: fine for the labs (it refuses bpf_probe_write_user and "
            "debugfs, not tracing or reading kernel memory)",
        )
    if mode == "confidentiality":
        return Result(
            "lockdown",
            FAIL,
            "confidentiality: the kernel refuses reading kernel memory (bpf_probe_read of kernel "
            "memory breaks), kprobes, perf and tracefs",
            "lockdown cannot be lowered at runtime: boot with lockdown=integrity or none "
            "(kernel command line; Secure Boot may force it)",
            "lockdown=confidentiality",
        )
    return Result(
        "lockdown",
        WARN,
        f"unrecognised mode in {sec / 'lockdown'}: {text.strip()}",
        "confidentiality is the mode that breaks tracing: check the kernel command line's lockdown=",
        "lockdown unknown",
    )


def _kfunc_note(aff: Path) -> str:
    # bpftrace 0.17 enables kfunc/fentry only when it can read the traceable functions' list.
    try:
        with open(aff, "rb") as f:
            f.read(1)
    except OSError as e:
        why = "missing" if isinstance(e, FileNotFoundError) else (e.strerror or "unreadable").lower()
        return f"bpftrace 0.17's kfunc/fentry is unavailable ({aff.name}: {why})"
    return "kfunc/fentry: available_filter_functions is readable"


def check_kprobes(env: Env) -> Result:
    d, state = _tracing_dir(env)
    on: bool | None = None
    source = ""
    if d is not None and _probe(d / "kprobe_events") == "yes":
        on, source = True, f"{d}/kprobe_events exists"
    else:
        cfg = kernel_config(env)
        if cfg is not None and "CONFIG_KPROBES" in cfg[0]:
            on, source = cfg[0]["CONFIG_KPROBES"] == "y", cfg[1]
        elif d is not None:
            on, source = False, f"no {d}/kprobe_events"
    aff = (d or env.sys / "kernel/tracing") / "available_filter_functions"
    if state == "denied":
        kfunc = "kfunc/fentry: cannot tell (only root can look in tracefs)"
    else:
        kfunc = _kfunc_note(aff)
    if on:
        return Result("kprobes", OK, f"CONFIG_KPROBES on ({source}); {kfunc}")
    if on is None:
        return Result(
            "kprobes",
            WARN,
            f"cannot tell whether CONFIG_KPROBES is on; {kfunc}",
            "the syscalls lab needs no kprobes",
            "kprobes unknown",
        )
    return Result(
        "kprobes",
        WARN,
        f"CONFIG_KPROBES off ({source}): kprobe:/kretprobe: probes cannot attach; {kfunc}",
        "the syscalls lab needs no kprobes; kprobe-based tools (e.g. BCC's opensnoop, execsnoop) "
        "need a kernel built with CONFIG_KPROBES=y",
        "kprobes off",
    )


def check_tracepoints(env: Env) -> Result:
    name = "tracepoints"
    remedy = "a kernel built with CONFIG_FTRACE_SYSCALLS=y (every major distribution's kernel has it)"
    d, state = _tracing_dir(env)
    if d is None:
        cfg = kernel_config(env)
        value, source = (cfg[0].get("CONFIG_FTRACE_SYSCALLS"), cfg[1]) if cfg else (None, "")
        why = "tracefs is not mounted" if state == "no" else "only root can look in tracefs"
        if value == "y":
            return Result(name, OK, f"CONFIG_FTRACE_SYSCALLS=y ({source}); not listed: {why}")
        if value is not None:
            return Result(
                name,
                FAIL,
                "no tracepoint:syscalls: CONFIG_FTRACE_SYSCALLS is off",
                remedy,
                "no syscall tracepoints",
            )
        return Result(
            name,
            WARN,
            f"cannot tell whether tracepoint:syscalls exist: {why}",
            TRACEFS_MOUNT if state == "no" else "run as root: sudo bpfhol doctor",
            "tracepoints unknown",
        )
    events = d / "events"
    missing = [f"tracepoint:{g}" for g in ("syscalls", "raw_syscalls") if _probe(events / g) != "yes"]
    if missing:
        return Result(
            name,
            FAIL,
            f"missing {' and '.join(missing)} (kernel built without CONFIG_FTRACE_SYSCALLS?)",
            remedy,
            "no syscall tracepoints",
        )
    count = sum(1 for e in (events / "syscalls").iterdir() if e.name.startswith("sys_enter_"))
    return Result(name, OK, f"tracepoint:syscalls ({count} system calls) and tracepoint:raw_syscalls")


def check_arch(env: Env) -> Result:
    # Only which architectures the lab was tried on: the system calls and flag values that
    # differ between them are what the exercises ask about, so the doctor does not say them.
    m = env.machine
    if m == "x86_64":
        return Result("arch", INFO, "x86_64: the architecture the pages' outputs were captured on")
    if m in ("aarch64", "arm64"):
        return Result(
            "arch",
            INFO,
            "arm64: tested; a few system calls and flag values differ from x86_64, and the pages say where",
        )
    return Result(
        "arch",
        WARN,
        f"{m}: untested; system call names and flag values may differ from the lab's",
        "compare with `bpftrace -l 'tracepoint:syscalls:*'` on this machine",
        f"{m} untested",
    )
