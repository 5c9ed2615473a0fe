#!/usr/bin/env python3
#
# stacks-paths.py  Count one process's openat(2) calls by the C library
#                  function that makes them and the path they open: which
#                  path does each way into the call open?
#
# USAGE: sudo python3 stacks-paths.py     (Ctrl-C prints the counts)
#
# The probe counts the calls by pid, user stack id and path (copied from the
# process's memory with bpf_probe_read_user_str). Python names the innermost
# frame of each stack with b.sym() and adds up the counts of the stacks that
# start in the same function and open the same path.

from collections import Counter
from time import sleep

from bcc import BPF

COMM = "ferryd"

prog = r"""
#include <linux/sched.h>

struct key_t {
    u32 pid;
    int stack_id;
    char path[64];
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
    bpf_probe_read_user_str(&key.path, sizeof(key.path), args->filename);
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

by_way = Counter()
for k, v in b["opens"].items():
    if k.stack_id < 0:  # the stack could not be saved
        name = "[no stack]"
    else:
        leaf = next(b["stacks"].walk(k.stack_id))  # the innermost frame
        name = b.sym(leaf, k.pid).decode()
    by_way[name, k.path.decode()] += v.value

print(f"{'FUNCTION':<28} {'PATH':<16} {'COUNT':>8}")
for (name, path), n in by_way.most_common():
    print(f"{name:<28} {path:<16} {n:>8}")
