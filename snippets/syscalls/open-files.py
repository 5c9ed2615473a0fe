#!/usr/bin/env python3
#
# open-files.py  Count the files opened, by the system call used.
#
# USAGE: sudo python3 open-files.py     (Ctrl-C prints the counts)
#
# glibc's open() calls openat(2); open(2) itself is still used by old or
# static binaries and raw syscall(2) callers on x86_64. arm64 has no open(2):
# delete its probe there.

from time import sleep

from bcc import BPF

prog = r"""
#define NAME_LEN 128     /* longer paths are cut: the key lives on the 512-byte BPF stack */

struct key_t {
    u32 openat;     /* 0: open(2), 1: openat(2) */
    char fname[NAME_LEN];
};
BPF_HASH(files, struct key_t, u64);

static int count_open(const char __user *filename, u32 openat)
{
    struct key_t key = {};

    key.openat = openat;
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

print(f"{'SYSCALL':<7} {'COUNT':>6} FILE")
for k, v in sorted(b["files"].items(), key=lambda kv: (kv[0].openat, -kv[1].value)):
    print(f"{'openat' if k.openat else 'open':<7} {v.value:>6} {k.fname.decode('utf-8', 'replace')}")
