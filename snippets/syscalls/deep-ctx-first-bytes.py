#!/usr/bin/env python3
#
# deep-ctx-first-bytes.py  Ask the kernel to load two tracepoint programs: one
#                          that reads the first 8 bytes of its context (where
#                          tracefs's record has its common_* fields) and one
#                          that reads the 8 bytes at offset 16 (the first
#                          argument of a sys_enter_<name> event).
#
# USAGE: sudo python3 deep-ctx-first-bytes.py     (exits by itself)
#
# Each program is two instructions, r0 = *(u64 *)(r1 + off); exit, loaded as
# BPF_PROG_TYPE_TRACEPOINT with the bpf(2) system call (no C library wrapper).
# Nothing is attached: the verifier decides at load time.

import ctypes
import os
import platform
import struct
import sys

NR_BPF = {"x86_64": 321, "aarch64": 280}  # the bpf(2) syscall number
BPF_PROG_LOAD = 5
BPF_PROG_TYPE_TRACEPOINT = 5

if platform.machine() not in NR_BPF:
    sys.exit(f"deep-ctx-first-bytes.py: no bpf(2) number known for {platform.machine()}")

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def load(off):
    # BPF_LDX | BPF_MEM | BPF_DW (0x79), dst r0, src r1 (regs byte 0x10); then BPF_EXIT
    insns = struct.pack("<BBhi", 0x79, 0x10, off, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)
    code = ctypes.create_string_buffer(insns, len(insns))
    gpl = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(4096)
    # union bpf_attr for BPF_PROG_LOAD: prog_type, insn_cnt, insns, license,
    # log_level, log_size, log_buf (the rest stays 0)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_TRACEPOINT, len(insns) // 8,
                     ctypes.addressof(code), ctypes.addressof(gpl),
                     1, len(log), ctypes.addressof(log))
    fd = libc.syscall(ctypes.c_long(NR_BPF[platform.machine()]), ctypes.c_long(BPF_PROG_LOAD),
                      attr, ctypes.c_uint(len(attr)))
    if fd >= 0:
        os.close(fd)
        print(f"read 8 bytes at offset {off:2}: loaded")
    else:
        lines = log.value.decode().splitlines()
        why = next((ln for ln in lines if "invalid" in ln), lines[-1] if lines else "")
        print(f"read 8 bytes at offset {off:2}: refused, {os.strerror(ctypes.get_errno())}: {why}")


load(0)
load(16)
