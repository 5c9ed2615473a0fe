#!/usr/bin/env python3
#
# mmap-sizes.py  Linear histogram of mmap(2) lengths, per process name.
#
# USAGE: sudo python3 mmap-sizes.py     (Ctrl-C prints the histograms)
#
# A bucket is one 4 KiB page: bucket 1 holds lengths 1..4096, bucket 2
# lengths 4097..8192, and so on (the kernel rounds a length up to whole
# pages). Mappings longer than 64 KiB are counted in bucket 17.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define PAGE_BYTES 4096
#define OVER_MAX   17

struct key_t {
    char comm[TASK_COMM_LEN];
    u64 slot;
};
BPF_HISTOGRAM(pages, struct key_t);

TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};
    u64 slot = (args->len + PAGE_BYTES - 1) / PAGE_BYTES;

    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.slot = slot < OVER_MAX ? slot : OVER_MAX;
    pages.increment(key);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing mmap(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

b["pages"].print_linear_hist(
    "4 KiB pages",
    "comm",
    section_print_fn=lambda c: c.decode("utf-8", "replace"),
    strip_leading_zero=True,
)
