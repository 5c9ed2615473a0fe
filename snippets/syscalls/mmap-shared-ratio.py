#!/usr/bin/env python3
#
# mmap-shared-ratio.py  Percentage of shared and private mmap(2) calls,
#                       per process name.
#
# USAGE: sudo python3 mmap-shared-ratio.py     (Ctrl-C prints the figures)
#
# The low two bits of the flags are the mapping type: 0x01 MAP_SHARED,
# 0x02 MAP_PRIVATE, 0x03 MAP_SHARED_VALIDATE (a shared mapping too).

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define MAP_TYPE    0x03

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

print("%-16s %8s %8s %8s %8s" % ("COMM", "MMAPS", "SHARED", "PRIVATE", "SHARED%"))
for comm, by_type in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())):
    total = sum(by_type.values())
    shared = by_type.get(MAP_SHARED, 0) + by_type.get(MAP_SHARED_VALIDATE, 0)
    private = by_type.get(MAP_PRIVATE, 0)
    print("%-16s %8d %8d %8d %7d%%" % (comm.decode("utf-8", "replace"), total,
                                       shared, private, round(100 * shared / total)))
