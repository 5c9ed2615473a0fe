#!/usr/bin/env python3
#
# latency-random-rate.py  How much work a process asks of the kernel: the
#                         bytes its getrandom(2) calls return, each second.
#
# USAGE: sudo python3 latency-random-rate.py PID     (Ctrl-C ends it)
#
# The exit's ret is what the kernel made (a call may return fewer bytes than
# it asked for). The kernel side sums; Python prints and clears each second,
# and at Ctrl-C prints the part-second since the last one.

import sys
from time import sleep

from bcc import BPF

prog = r"""
struct total_t {
    u64 bytes;
    u64 calls;
};
BPF_HASH(total, u32, struct total_t);   /* one entry, key 0: this second's sums */

TRACEPOINT_PROBE(syscalls, sys_exit_getrandom)
{
    u32 zero = 0;
    struct total_t empty = {}, *t;

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID || args->ret < 0)
        return 0;
    t = total.lookup_or_try_init(&zero, &empty);
    if (t) {
        t->bytes += args->ret;
        t->calls++;
    }
    return 0;
}
"""

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit("usage: latency-random-rate.py PID")
b = BPF(text=prog.replace("TARGET_PID", sys.argv[1]))
print(f"Tracing getrandom(2) by pid {sys.argv[1]}... Hit Ctrl-C to end.", flush=True)
print(f"{'BYTES/S':>10} {'CALLS/S':>8}", flush=True)


def show(note=""):
    for _, t in b["total"].items():    # nothing in a second without a call
        print(f"{t.bytes:>10} {t.calls:>8}{note}", flush=True)
    b["total"].clear()


try:
    while True:
        sleep(1)
        show()
except KeyboardInterrupt:
    show("  (part of a second, up to Ctrl-C)")
