"""The syscalls lab's answer key for people (`bpfhol syscalls --answers`): what each exercise should
find, a section a system call, from the key bpfhol.labs.syscalls computes for a seed."""

from __future__ import annotations

from typing import Any

from bpfhol.labs import clockkey
from workloads import common, launcher

Row = tuple[str, str | None]  # a label and its text; no text: a section's title


def _mmap_rows(m: dict[str, Any]) -> list[Row]:
    sizes = ", ".join(str(s) for s in m["sizes_kib"])
    return [
        ("mmap(2)", None),
        ("top mmap caller", f"{m['comm']} (about {m['calls_per_second']} calls a second)"),
        ("mapping sizes", f"{sizes} KiB ({', '.join(map(str, m['pages']))} pages)"),
        (
            "shared / private",
            f"{m['shared_percent']} % MAP_SHARED (flags {m['flags_shared']}), "
            f"{m['private_percent']} % MAP_PRIVATE (flags {m['flags_private']})",
        ),
        (
            "sizes by type",
            f"private {', '.join(map(str, m['private_sizes_kib']))} KiB; "
            f"shared {', '.join(map(str, m['shared_sizes_kib']))} KiB",
        ),
    ]


def _open_rows(o: dict[str, Any], arch: str) -> list[Row]:
    old, tmp, opn = o["oldopen"], o["tempfiles"], o["opener"]
    if old["open_syscall"]:
        how_old = f"calls the open(2) syscall itself on {old['file']}: it shows in sys_enter_open"
    else:
        how_old = f"opens {old['file']} with openat(2): {arch} has no open(2) syscall"
    return [
        ("open(2) / openat(2)", None),
        (f"{opn['comm']} opens", ", ".join(opn["files"]) + f" (in its directory {opn['dir']}/)"),
        (old["comm"], how_old),
        (
            f"{tmp['comm']} creates",
            f"O_TMPFILE files (flags {tmp['o_tmpfile_flags']}; O_TMPFILE is "
            f"{tmp['o_tmpfile']}) and, alternating with them, {tmp['mkstemp_names']} "
            f"files ({tmp['mkstemp_flags']}, {tmp['mkstemp_flags_hex']}), removed at once",
        ),
    ]


def _close_rows(c: dict[str, Any]) -> list[Row]:
    return [
        ("close(2)", None),
        (
            c["comm"],
            f"closes {c['file']}'s descriptor twice and descriptors it never opened "
            f"({c['never_opened_fds'][0]}..{c['never_opened_fds'][-1]}): ret {c['ebadf']} (EBADF); "
            "its first close of the journal returns 0",
        ),
    ]


def _raw_rows(raw: dict[str, Any], arch: str) -> list[Row]:
    nr = f" (number {raw['nr']} on {arch})" if raw["nr"] is not None else ""
    fail_nr = f" (number {raw['fail_nr']})" if raw["fail_nr"] is not None else ""
    return [
        ("raw_syscalls", None),
        (raw["comm"], f"makes {raw['syscall']}(2){nr} most often, {raw['calls_per_second']} times a second"),
        (
            "its failing call",
            f"{raw['fail_syscall']}(2){fail_nr}, {common.TICK_HZ} times a second, ret -{raw['fail_errno']} "
            f"({raw['fail_error']}: {raw['fail_message']})",
        ),
    ]


def _exec_rows(x: dict[str, Any]) -> list[Row]:
    return [
        ("execve(2)", None),
        (
            f"{x['comm']} starts",
            f"{x['program']} with argv {' '.join(x['argv'])} (about {launcher.STARTS_PER_SECOND} times a second); "
            f"the child is {x['comm']} at sys_enter_execve, {x['program_comm']} from sys_exit_execve on",
        ),
        ("its exit status", f"{x['status']} (sys_enter_exit_group's error_code, under the name {x['program_comm']})"),
    ]


def _stack_rows(st: dict[str, Any]) -> list[Row]:
    return [
        ("ustack", None),
        (
            st["comm"],
            f"makes {st['top_percent']} % of its {st['calls_per_second']} openat(2) calls a second from "
            f"{st['top_python']}, through the C library's {st['top_libc']}() (the leaf frame's name "
            "depends on the C library and the tracer: trace it)",
        ),
        ("paths", f"os.open opens {st['open_path']}, os.listdir opens {st['listdir_path']} (both relative)"),
    ]


def describe(key: dict[str, Any]) -> str:
    """The answer key for people: what each exercise should find."""
    rows = [
        *_mmap_rows(key["mmap"]),
        *_open_rows(key["open"], key["arch"]),
        *_close_rows(key["close"]),
        *_raw_rows(key["raw"], key["arch"]),
        *_exec_rows(key["exec"]),
        *_stack_rows(key["stack"]),
        *clockkey.rows(key["clock"]),
    ]
    lines = [
        f"Answer key: seed {key['seed']} ({key['scenario']} scenario) on {key['arch']}, "
        f"page size {key['page_size']} bytes"
    ]
    for label, text in rows:
        lines += ["", label] if text is None else [f"  {label + ':':<19} {text}"]
    return "\n".join(lines)
