#!/usr/bin/env python3
#
# primer-sleeps.py  Count clock_nanosleep(2) calls by process name: the BCC
#                   twin of primer-sleeps.bt.
#
# USAGE: sudo python3 primer-sleeps.py     (Ctrl-C prints the counts)
#
# The C part runs in the kernel, at each call; the Python part compiles it,
# attaches it, and reads the map when you press Ctrl-C.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct key_t {
    char comm[TASK_COMM_LEN];
};
BPF_HASH(sleeps, struct key_t, u64);   // a map: process name -> count

TRACEPOINT_PROBE(syscalls, sys_enter_clock_nanosleep)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    sleeps.increment(key);             // count, like bpftrace's count()
    return 0;
}
"""

b = BPF(text=prog)  # compiles the C and attaches every TRACEPOINT_PROBE
print("Tracing clock_nanosleep(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

for k, v in sorted(b["sleeps"].items(), key=lambda kv: kv[1].value):
    print(f"{k.comm.decode('utf-8', 'replace'):<16} {v.value:>6}")
