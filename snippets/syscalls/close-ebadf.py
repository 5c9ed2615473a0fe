#!/usr/bin/env python3
#
# close-ebadf.py  Count close(2) calls that fail with EBADF (a descriptor
#                 that is not open), by pid, process name and descriptor.
#
# USAGE: sudo python3 close-ebadf.py     (Ctrl-C prints the counts)
#
# The exit probe has the result but not the argument: the entry probe saves
# the descriptor per thread for it.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>
#include <uapi/asm-generic/errno-base.h>

struct key_t {
    u32 pid;
    u32 fd;
    char comm[TASK_COMM_LEN];
};
BPF_HASH(fds, u32, u32);            /* thread id -> fd being closed */
BPF_HASH(ebadf, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_close)
{
    u32 tid = bpf_get_current_pid_tgid();
    u32 fd = args->fd;

    fds.update(&tid, &fd);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_close)
{
    u32 tid = bpf_get_current_pid_tgid();
    u32 *fdp = fds.lookup(&tid);
    struct key_t key = {};

    if (fdp == NULL)
        return 0;   /* the entry came before tracing started */
    if (args->ret == -EBADF) {
        key.pid = bpf_get_current_pid_tgid() >> 32;
        key.fd = *fdp;
        bpf_get_current_comm(&key.comm, sizeof(key.comm));
        ebadf.increment(key);
    }
    fds.delete(&tid);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing close(2) failing with EBADF... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'PID':<7} {'COMM':<16} {'FD':>6} {'COUNT':>6}")
for k, v in sorted(b["ebadf"].items(), key=lambda kv: (kv[0].pid, kv[0].fd)):
    print(f"{k.pid:<7} {k.comm.decode('utf-8', 'replace'):<16} {k.fd:>6} {v.value:>6}")
