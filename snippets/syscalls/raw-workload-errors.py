#!/usr/bin/env python3
#
# raw-workload-errors.py  Count the failed system calls of the lab's workload,
#                         by process name, syscall name and errno.
#
# USAGE: sudo python3 raw-workload-errors.py     (Ctrl-C prints the counts)
#
# A failing syscall returns -errno, between -4095 and -1 (MAX_ERRNO in the
# kernel's include/linux/err.h); a few syscalls can return other negative
# values that are not errors (fcntl F_GETOWN), hence the lower bound. Python's
# errno module names the error numbers; the kernel's restart codes, which only
# a tracer ever sees, are named from the kernel's include/linux/errno.h.

import errno
from time import sleep

from bcc import BPF
from bcc.syscall import syscall_name

# The names of `sudo bpfhol syscalls` (seed 0); with --seed N, those `bpfhol status` lists.
WORKLOAD = ("searchd", "beacond", "billingd", "notifyd", "syncd")
KERNEL_ONLY = {512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND",
               516: "ERESTART_RESTARTBLOCK"}

prog = r"""
#include <linux/sched.h>

struct comm_t {
    char comm[TASK_COMM_LEN];
};
struct key_t {
    char comm[TASK_COMM_LEN];
    long id;
    long err;
};
BPF_HASH(workload, struct comm_t, u8);
BPF_HASH(errors, struct key_t, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
    struct key_t key = {};

    if (args->ret >= 0 || args->ret < -4095)
        return 0;
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    if (!workload.lookup((struct comm_t *)&key.comm))
        return 0;
    key.id = args->id;
    key.err = -args->ret;
    errors.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
workload = b["workload"]
for name in WORKLOAD:
    who = workload.Key()
    who.comm = name.encode()
    workload[who] = workload.Leaf(1)
print("Tracing the workload's failed system calls... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'COMM':<16} {'SYSCALL':<18} {'ERRNO':<20} {'COUNT':>8}")
for k, v in sorted(b["errors"].items(), key=lambda kv: kv[1].value, reverse=True):
    name = errno.errorcode.get(k.err) or KERNEL_ONLY.get(k.err, "?")
    print(f"{k.comm.decode('utf-8', 'replace'):<16} {syscall_name(k.id).decode():<18} "
          f"{f'{k.err} {name}':<20} {v.value:>8}")
