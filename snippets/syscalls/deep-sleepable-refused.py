#!/usr/bin/env python3
#
# deep-sleepable-refused.py  Ask the kernel to load a tracepoint program marked
#                            sleepable, and print its answer.
#
# USAGE: sudo python3 deep-sleepable-refused.py     (exits by itself)
#
# A sleepable BPF program (flag BPF_F_SLEEPABLE) may wait for a page fault and
# so read user memory that is not resident (bpf_copy_from_user()). The program
# here is two instructions, r0 = 0; exit, loaded as BPF_PROG_TYPE_TRACEPOINT
# (what bpftrace's tracepoint probes are) with the bpf(2) system call, which
# has no C library wrapper. The verifier's log says why it refuses.

import ctypes
import os
import platform
import struct
import sys

NR_BPF = {"x86_64": 321, "aarch64": 280}  # the bpf(2) syscall number
BPF_PROG_LOAD = 5
BPF_PROG_TYPE_TRACEPOINT = 5
BPF_F_SLEEPABLE = 1 << 4

if platform.machine() not in NR_BPF:
    sys.exit(f"deep-sleepable-refused.py: no bpf(2) number known for {platform.machine()}")

insns = struct.pack("<BBhi", 0xB7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)
code = ctypes.create_string_buffer(insns, len(insns))
gpl = ctypes.create_string_buffer(b"GPL")
log = ctypes.create_string_buffer(4096)

# union bpf_attr for BPF_PROG_LOAD: prog_type, insn_cnt, insns, license,
# log_level, log_size, log_buf, kern_version, prog_flags (the rest stays 0)
attr = ctypes.create_string_buffer(128)
struct.pack_into("<IIQQIIQII", attr, 0, BPF_PROG_TYPE_TRACEPOINT, len(insns) // 8,
                 ctypes.addressof(code), ctypes.addressof(gpl),
                 1, len(log), ctypes.addressof(log), 0, BPF_F_SLEEPABLE)

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
fd = libc.syscall(ctypes.c_long(NR_BPF[platform.machine()]), ctypes.c_long(BPF_PROG_LOAD),
                  attr, ctypes.c_uint(len(attr)))
if fd >= 0:
    os.close(fd)
    print("loaded: this kernel accepts sleepable tracepoint programs")
else:
    print(f"bpf(BPF_PROG_LOAD) failed: {os.strerror(ctypes.get_errno())}")
    print("verifier:", log.value.decode().splitlines()[0])
