#!/usr/bin/env python3
#
# latency-random-rate.py  How much work a process asks of the kernel: the
#                         bytes its getrandom(2) calls return, each second.
#
# USAGE: sudo python3 latency-random-rate.py PID     (Ctrl-C ends it)
#
# The exit's ret is what the kernel made (a call may return fewer bytes than
# it asked for). The kernel side keeps running sums; each second Python prints
# how much they grew (reading and then clearing the map would lose the calls
# made in between), and at Ctrl-C the part-second since the last line.

import sys
from time import monotonic, sleep

from bcc import BPF

prog = r"""
struct total_t {
    u64 bytes;
    u64 calls;
};
BPF_HASH(total, u32, struct total_t);   /* one entry, key 0: running sums */

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


last = (0, 0)


def show(note=""):
    global last
    now = last
    for _, t in b["total"].items():
        now = (t.bytes, t.calls)
    grown, last = (now[0] - last[0], now[1] - last[1]), now    # before a Ctrl-C can come
    if grown[1]:    # nothing in a second without a call
        print(f"{grown[0]:>10} {grown[1]:>8}{note}", flush=True)


try:
    tick = monotonic()
    while True:
        tick += 1    # every second on the second, however long printing took
        sleep(max(0, tick - monotonic()))
        show()
except KeyboardInterrupt:
    show("  (part of a second, up to Ctrl-C)")
