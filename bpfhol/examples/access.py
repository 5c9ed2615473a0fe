"""Whether this process may load BPF programs (part of the *run* layer).

Root alone is not enough evidence (a lockdown or a seccomp filter may still refuse), so the kernel is
asked: a one-instruction tracing program is loaded and closed at once. The docs suite and the
course's own tests skip with this reason, or fail with it when CI is set.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import struct

# bpf(2) has no glibc wrapper; its number differs per architecture.
_BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}
_BPF_PROG_LOAD = 5
_BPF_PROG_TYPE_TRACEPOINT = 5  # the type bpftrace's tracepoint probes load as


@functools.cache
def _load_refusal() -> str | None:
    """Load `r0 = 0; exit` as a tracepoint program; return why the kernel refused, or None.

    The program's fd is closed at once: nothing stays loaded.
    """
    nr = _BPF_SYSCALL.get(platform.machine())
    if nr is None:
        return None  # no probe for this architecture: root is the best evidence there is
    insns = struct.pack("<BBhi", 0xB7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)  # mov r0,0; exit
    insn_buf = ctypes.create_string_buffer(insns, len(insns))
    license_buf = ctypes.create_string_buffer(b"GPL")
    attr = ctypes.create_string_buffer(128)  # union bpf_attr; unused tail stays zero
    struct.pack_into(
        "<IIQQ",
        attr,
        0,
        _BPF_PROG_TYPE_TRACEPOINT,
        2,
        ctypes.addressof(insn_buf),
        ctypes.addressof(license_buf),
    )
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    fd = libc.syscall(ctypes.c_long(nr), ctypes.c_long(_BPF_PROG_LOAD), attr, ctypes.c_uint(len(attr)))
    if fd < 0:
        err = ctypes.get_errno()
        return f"the kernel refused to load a BPF program ({os.strerror(err)})"
    os.close(fd)
    return None


def bpf_unavailable(what: str = "BPF") -> str | None:
    """Why `what` cannot run here, or None when this process may load BPF programs."""
    if os.geteuid() != 0:
        return f"{what} needs root: loading BPF programs takes CAP_BPF and CAP_PERFMON (run the tests with sudo)"
    refusal = _load_refusal()
    if refusal:
        return f"{what} cannot run: {refusal}"
    return None
