#!/usr/bin/env python3
#
# raw-top-call.py  Count one process's system calls by number, and name them:
#                  which call does it make most often?
#
# USAGE: sudo python3 raw-top-call.py     (Ctrl-C prints the counts)
#
# raw_syscalls:sys_enter fires for every system call, with its number in
# args->id. The probe keeps one process's calls; BCC's syscall_name() names
# the numbers as they are printed, largest count first.

from time import sleep

from bcc import BPF
from bcc.syscall import syscall_name

COMM = "harbord"

prog = r"""
#include <linux/sched.h>

BPF_HASH(calls, long, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    char comm[TASK_COMM_LEN];
    char want[] = "TARGET";

    bpf_get_current_comm(&comm, sizeof(comm));
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return 0;
    calls.increment(args->id);
    return 0;
}
""".replace("TARGET", COMM)

b = BPF(text=prog)
print(f"Tracing {COMM}'s system calls... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'SYSCALL':<18} {'NR':>4} {'COUNT':>8}")
for k, v in sorted(b["calls"].items(), key=lambda kv: kv[1].value, reverse=True):
    print(f"{syscall_name(k.value).decode():<18} {k.value:>4} {v.value:>8}")
