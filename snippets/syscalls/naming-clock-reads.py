#!/usr/bin/env python3
#
# naming-clock-reads.py  Which clocks does each process ask the kernel for,
#                        and how many times a second?
#
# USAGE: sudo python3 naming-clock-reads.py     (Ctrl-C ends it)
#
# A clock read reaches the kernel only when the vDSO hands it on: then it is a
# clock_gettime(2) call, whose first argument, which_clock, is the clock's id.
# The kernel side keeps running counts per process and clock; each second
# Python prints how much each grew, and at Ctrl-C the part-second since the
# last lines.

from time import monotonic, sleep, strftime

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct key_t {
    char comm[TASK_COMM_LEN];
    int clock;
};
BPF_HASH(reads, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_clock_gettime)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.clock = args->which_clock;
    reads.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing clock_gettime(2)... Hit Ctrl-C to end.", flush=True)
print(f"{'COMM':<16} {'CLOCK':>5} {'READS/S':>8}", flush=True)

last = {}


def show(note=""):
    global last
    now = {(k.comm.decode(), k.clock): v.value for k, v in b["reads"].items()}
    grown = {k: n - last.get(k, 0) for k, n in now.items()}
    rows = [f"{comm:<16} {clock:>5} {n:>8}{note}" for (comm, clock), n in sorted(grown.items()) if n]
    text = "\n".join([strftime("%H:%M:%S"), *rows])    # the time: where each second starts
    last = now    # the text is ready: a Ctrl-C from here on cannot split it
    if rows:
        print(text, flush=True)


try:
    tick = monotonic()
    while True:
        tick += 1    # every second on the second, however long printing took
        sleep(max(0, tick - monotonic()))
        show()
except KeyboardInterrupt:
    show("  (part of a second, up to Ctrl-C)")
