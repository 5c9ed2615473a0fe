#!/usr/bin/env python3
#
# mmap-top-caller.py  Count mmap(2) calls by process name.
#
# USAGE: sudo python3 mmap-top-caller.py     (Ctrl-C prints the counts)
#
# The process that maps most often is the first line: the ten busiest are
# printed, largest count first.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct key_t {
    char comm[TASK_COMM_LEN];
};
BPF_HASH(mmaps, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    mmaps.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing mmap(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'COMM':<16} {'MMAPS':>8}")
top = sorted(b["mmaps"].items(), key=lambda kv: kv[1].value, reverse=True)[:10]
for k, v in top:
    print(f"{k.comm.decode('utf-8', 'replace'):<16} {v.value:>8}")
