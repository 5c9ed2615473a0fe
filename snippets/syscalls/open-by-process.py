#!/usr/bin/env python3
#
# open-by-process.py  Count the files each process opens, by system call.
#
# USAGE: sudo python3 open-by-process.py     (Ctrl-C prints the counts)
#
# arm64 has no open(2): delete its probe there.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define NAME_LEN 128     /* longer paths are cut: the key lives on the 512-byte BPF stack */

struct key_t {
    u32 openat;     /* 0: open(2), 1: openat(2) */
    char comm[TASK_COMM_LEN];
    char fname[NAME_LEN];
};
BPF_HASH(files, struct key_t, u64);

static int count_open(const char __user *filename, u32 openat)
{
    struct key_t key = {};

    key.openat = openat;
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    bpf_probe_read_user_str(&key.fname, sizeof(key.fname), filename);
    files.increment(key);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
    return count_open(args->filename, 0);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    return count_open(args->filename, 1);
}
"""

b = BPF(text=prog)
print("Tracing open(2) and openat(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'COMM':<16} {'SYSCALL':<7} {'COUNT':>6} FILE")
for k, v in sorted(b["files"].items(), key=lambda kv: (kv[0].comm, kv[0].openat, kv[0].fname)):
    comm, path = k.comm.decode("utf-8", "replace"), k.fname.decode("utf-8", "replace")
    print(f"{comm:<16} {'openat' if k.openat else 'open':<7} {v.value:>6} {path}")
