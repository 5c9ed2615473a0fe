#!/usr/bin/env python3
#
# mmap-sizes-by-type.py  mmap(2) calls counted by process name, length and
#                        mapping type.
#
# USAGE: sudo python3 mmap-sizes-by-type.py     (Ctrl-C prints the table)
#
# The type is flags & MAP_TYPE: MAP_SHARED and MAP_SHARED_VALIDATE are
# shared, MAP_PRIVATE is private.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define MAP_TYPE    0x0f

struct key_t {
    char comm[TASK_COMM_LEN];
    u32 type;       /* flags & MAP_TYPE */
    u64 len;
};
BPF_HASH(mmaps, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.type = args->flags & MAP_TYPE;
    key.len = args->len;
    mmaps.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing mmap(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

TYPES = {0x01: "shared", 0x02: "private", 0x03: "shared"}

rows = sorted(
    ((k.comm.decode("utf-8", "replace"), TYPES.get(k.type, hex(k.type)), k.len, v.value) for k, v in b["mmaps"].items()),
    key=lambda r: (r[0], r[1], r[2]),
)
print(f"{'COMM':<16} {'TYPE':<8} {'BYTES':>8} {'CALLS':>7}")
for comm, kind, length, calls in rows:
    print(f"{comm:<16} {kind:<8} {length:>8} {calls:>7}")
