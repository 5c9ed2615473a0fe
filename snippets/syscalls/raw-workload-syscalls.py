#!/usr/bin/env python3
#
# raw-workload-syscalls.py  Count the system calls of the lab's workload, by
#                           process name and syscall name.
#
# USAGE: sudo python3 raw-workload-syscalls.py     (Ctrl-C prints the counts)
#
# One raw_syscalls:sys_enter probe sees every system call. A hash map filled
# with the workload's process names before tracing keeps only theirs, and BCC's
# syscall_name() turns the numbers into names.

from time import sleep

from bcc import BPF
from bcc.syscall import syscall_name

# The names of `sudo bpfhol syscalls` (seed 0); with --seed N, those `bpfhol status` lists.
WORKLOAD = ("searchd", "beacond", "billingd", "notifyd", "syncd")

prog = r"""
#include <linux/sched.h>

struct comm_t {
    char comm[TASK_COMM_LEN];
};
struct key_t {
    char comm[TASK_COMM_LEN];
    long id;
};
BPF_HASH(workload, struct comm_t, u8);
BPF_HASH(calls, struct key_t, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    if (!workload.lookup((struct comm_t *)&key.comm))
        return 0;
    key.id = args->id;
    calls.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
workload = b["workload"]
for name in WORKLOAD:
    who = workload.Key()
    who.comm = name.encode()
    workload[who] = workload.Leaf(1)
print("Tracing the workload's system calls... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'COMM':<16} {'SYSCALL':<18} {'COUNT':>8}")
for k, v in sorted(b["calls"].items(), key=lambda kv: kv[1].value, reverse=True):
    print(f"{k.comm.decode('utf-8', 'replace'):<16} {syscall_name(k.id).decode():<18} {v.value:>8}")
