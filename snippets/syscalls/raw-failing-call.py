#!/usr/bin/env python3
#
# raw-failing-call.py  Count one process's failing system calls by call and
#                      error, and name both.
#
# USAGE: sudo python3 raw-failing-call.py     (Ctrl-C prints the counts)
#
# raw_syscalls:sys_exit fires as every system call returns, with its number
# in args->id and its result in args->ret: -errno, from -4095 to -1, when it
# fails. BCC's syscall_name() names the call; Python's errno module and
# os.strerror() name the error.

import errno
import os
from time import sleep

from bcc import BPF
from bcc.syscall import syscall_name

COMM = "harbord"

prog = r"""
#include <linux/sched.h>

struct key_t {
    long id;
    long err;
};
BPF_HASH(failed, struct key_t, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
    char comm[TASK_COMM_LEN];
    char want[] = "TARGET";
    struct key_t key = {};

    if (args->ret >= 0 || args->ret < -4095)
        return 0;
    bpf_get_current_comm(&comm, sizeof(comm));
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return 0;
    key.id = args->id;
    key.err = -args->ret;
    failed.increment(key);
    return 0;
}
""".replace("TARGET", COMM)

b = BPF(text=prog)
print(f"Tracing {COMM}'s failing system calls... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'SYSCALL':<16} {'NR':>4} {'ERRNO':>5} {'ERROR':<10} {'COUNT':>6}  MESSAGE")
for k, v in sorted(b["failed"].items(), key=lambda kv: kv[1].value, reverse=True):
    name = errno.errorcode.get(k.err, "?")
    print(f"{syscall_name(k.id).decode():<16} {k.id:>4} {k.err:>5} {name:<10} {v.value:>6}  {os.strerror(k.err)}")
