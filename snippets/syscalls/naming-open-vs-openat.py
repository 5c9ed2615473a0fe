#!/usr/bin/env python3
#
# naming-open-vs-openat.py  Count open(2) and openat(2) calls by process name.
#
# USAGE: sudo python3 naming-open-vs-openat.py     (Ctrl-C prints the counts)
#
# glibc's open() makes the openat(2) system call, so most programs show up
# under openat only. arm64 has no open(2): delete the first probe there.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct key_t {
    char comm[TASK_COMM_LEN];
};
BPF_HASH(opens, struct key_t, u64);
BPF_HASH(openats, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    opens.increment(key);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    openats.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing open(2) and openat(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print("%-8s %-16s %8s" % ("SYSCALL", "COMM", "CALLS"))
for syscall, table in (("open", "opens"), ("openat", "openats")):
    for k, v in sorted(b[table].items(), key=lambda kv: kv[1].value, reverse=True):
        print("%-8s %-16s %8d" % (syscall, k.comm.decode("utf-8", "replace"), v.value))
