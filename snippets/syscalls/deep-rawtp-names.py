#!/usr/bin/env python3
#
# deep-rawtp-names.py  Attach one raw tracepoint program (BPF_PROG_TYPE_RAW_TRACEPOINT)
#                      by tracepoint name: sys_enter, then sys_enter_openat.
#
# USAGE: sudo python3 deep-rawtp-names.py     (exits by itself)
#
# The kernel looks the name up among its real tracepoints (bpf_get_raw_tracepoint()
# in kernel/trace/bpf_trace.c). sys_enter is one; sys_enter_openat is only a trace
# event, so the attach fails with ENOENT. The error is read from errno: BCC returns
# what libbpf returns, -1 before libbpf 1.0 and -errno from 1.0 on, and errno holds
# it in both.

import ctypes
import os
from time import sleep

from bcc import BPF
from bcc.libbcc import lib

prog = r"""
BPF_ARRAY(hits, u64, 1);

int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
    hits.increment(0);
    return 0;
}
"""

b = BPF(text=prog)
fn = b.load_func("on_sys_enter", BPF.RAW_TRACEPOINT)
for name in ("sys_enter", "sys_enter_openat"):
    fd = lib.bpf_attach_raw_tracepoint(fn.fd, name.encode())
    if fd < 0:
        print(f"raw tracepoint {name}: attach failed: {os.strerror(ctypes.get_errno())}")
        continue
    sleep(0.5)
    os.close(fd)  # detaches
    print(f"raw tracepoint {name}: attached; {b['hits'][0].value} system calls in 0.5 s")
