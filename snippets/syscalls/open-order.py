#!/usr/bin/env python3
#
# open-order.py  Count openat(2) calls by process name, the file the same
#                process opened just before, and this file.
#
# USAGE: sudo python3 open-order.py     (Ctrl-C prints the counts)
#
# Only relative names: the absolute paths every program opens (libraries,
# /etc, /proc) are left out. The last map keeps each process's previous
# name; a process's first open in the trace has none ("-").

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define NAME_LEN 64

struct name_t {
    char name[NAME_LEN];
};
struct key_t {
    char comm[TASK_COMM_LEN];
    char prev[NAME_LEN];
    char next[NAME_LEN];
};
BPF_HASH(last, u32, struct name_t);         /* pid -> the name it opened last */
BPF_HASH(pairs, struct key_t, u64);
BPF_PERCPU_ARRAY(scratch, struct key_t, 1); /* too big for the 512-byte stack */

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    u32 zero = 0;
    struct key_t *key = scratch.lookup(&zero);
    struct name_t *prev;
    u64 init = 0, *count;

    if (key == NULL)
        return 0;
    __builtin_memset(key, 0, sizeof(*key));
    bpf_get_current_comm(&key->comm, sizeof(key->comm));
    bpf_probe_read_user_str(key->next, sizeof(key->next), args->filename);
    if (key->next[0] == '/')
        return 0;
    prev = last.lookup(&pid);
    if (prev != NULL)
        __builtin_memcpy(key->prev, prev->name, sizeof(key->prev));
    count = pairs.lookup_or_try_init(key, &init);
    if (count != NULL)
        __sync_fetch_and_add(count, 1);
    last.update(&pid, (struct name_t *)key->next);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing openat(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()


def text(raw):
    return raw.decode("utf-8", "replace") or "-"


rows = sorted(
    ((text(k.comm), text(k.prev), text(k.next), v.value) for k, v in b["pairs"].items()),
    key=lambda r: (r[0], r[1], -r[3]),
)
print(f"{'COMM':<16} {'COUNT':>6}  {'PREVIOUS':<24} NEXT")
for comm, prev, nxt, count in rows:
    print(f"{comm:<16} {count:>6}  {prev:<24} {nxt}")
