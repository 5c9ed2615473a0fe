#!/usr/bin/env python3
#
# latency-read-hist.py  How long read(2) calls take, per process: a histogram
#                       of microseconds.
#
# USAGE: sudo python3 latency-read-hist.py     (Ctrl-C prints the histograms)
#
# The entry probe notes the time per thread, the exit probe subtracts and
# deletes the entry.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct key_t {
    char comm[TASK_COMM_LEN];
    u64 slot;
};
BPF_HASH(start, u32, u64);          /* thread id -> entry time */
BPF_HISTOGRAM(usecs, struct key_t);

TRACEPOINT_PROBE(syscalls, sys_enter_read)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 now = bpf_ktime_get_ns();

    start.update(&tid, &now);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_read)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 *t0 = start.lookup(&tid);
    struct key_t key = {};

    if (t0 == NULL)
        return 0;   /* the call began before tracing did */
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.slot = bpf_log2l((bpf_ktime_get_ns() - *t0) / 1000);
    usecs.increment(key);
    start.delete(&tid);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing read(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

b["usecs"].print_log2_hist("usecs", "comm", section_print_fn=lambda c: c.decode("utf-8", "replace"))
