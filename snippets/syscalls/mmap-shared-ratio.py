#!/usr/bin/env python3
#
# mmap-shared-ratio.py  Percentage of shared and of private mmap(2) calls,
#                       per process name.
#
# USAGE: sudo python3 mmap-shared-ratio.py     (Ctrl-C prints the figures)
#
# The mapping type is flags & MAP_TYPE: MAP_SHARED and MAP_SHARED_VALIDATE
# are shared, MAP_PRIVATE is private.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define MAP_TYPE    0x0f

struct key_t {
    char comm[TASK_COMM_LEN];
    u32 type;       /* flags & MAP_TYPE */
};
BPF_HASH(mmaps, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.type = args->flags & MAP_TYPE;
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

MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 0x01, 0x02, 0x03

# comm -> {mapping type: calls}
counts = {}
for k, v in b["mmaps"].items():
    by_type = counts.setdefault(k.comm, {})
    by_type[k.type] = by_type.get(k.type, 0) + v.value

print(f"{'COMM':<16} {'MMAPS':>7} {'SHARED':>7} {'PRIVATE':>8} {'SHARED%':>8} {'PRIVATE%':>8}")
for comm, by_type in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())):
    total = sum(by_type.values())
    shared = by_type.get(MAP_SHARED, 0) + by_type.get(MAP_SHARED_VALIDATE, 0)
    private = by_type.get(MAP_PRIVATE, 0)
    name = comm.decode("utf-8", "replace")
    shared_pct, private_pct = round(100 * shared / total), round(100 * private / total)
    print(f"{name:<16} {total:>7} {shared:>7} {private:>8} {shared_pct:>7}% {private_pct:>7}%")
