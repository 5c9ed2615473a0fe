#!/usr/bin/env python3
#
# stacks-top-function.py  Count one process's openat(2) calls by the C library
#                         function that makes them: which makes most?
#
# USAGE: sudo python3 stacks-top-function.py     (Ctrl-C prints the counts)
#
# The probe saves each call's user stack in a stack map and counts the calls
# by stack id. Python names the innermost frame of each stack with b.sym(),
# which reads the symbols of the process's own files (hence its pid), and
# adds up the counts of stacks that start in the same function.

from collections import Counter
from time import sleep

from bcc import BPF

COMM = "ferryd"

prog = r"""
#include <linux/sched.h>

struct key_t {
    u32 pid;
    int stack_id;
};

BPF_STACK_TRACE(stacks, 1024);
BPF_HASH(opens, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    char comm[TASK_COMM_LEN];
    char want[] = "TARGET";

    bpf_get_current_comm(&comm, sizeof(comm));
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return 0;
    struct key_t key = {};
    key.pid = bpf_get_current_pid_tgid() >> 32;
    key.stack_id = stacks.get_stackid(args, BPF_F_USER_STACK);
    opens.increment(key);
    return 0;
}
""".replace("TARGET", COMM)

b = BPF(text=prog)
print(f"Tracing {COMM}'s openat(2) calls... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

by_function = Counter()
for k, v in b["opens"].items():
    if k.stack_id < 0:  # the stack could not be saved
        by_function["[no stack]"] += v.value
        continue
    leaf = next(b["stacks"].walk(k.stack_id))  # the innermost frame
    by_function[b.sym(leaf, k.pid).decode()] += v.value

print(f"{'FUNCTION':<28} {'COUNT':>8}")
for name, n in by_function.most_common():
    print(f"{name:<28} {n:>8}")
