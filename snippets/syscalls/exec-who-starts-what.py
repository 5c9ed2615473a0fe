#!/usr/bin/env python3
#
# exec-who-starts-what.py  Trace execve(2): every program started, with its
#                          arguments, and the process that started it.
#
# USAGE: sudo python3 exec-who-starts-what.py     (Ctrl-C ends it)
#
# A child starts as a copy of its parent, with the parent's comm, and calls
# execve(2) under that name. The scheduler's sched_process_fork tracepoint
# fires in the parent as the copy is made: it notes each child's parent. The
# execve(2) entry sends argv (an array of strings ending in NULL) one string
# at a time, then a last event that ends the line.

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define MAX_ARGS 16
#define ARG_LEN 128

struct parent_t {
    u32 pid;
    char comm[TASK_COMM_LEN];
};
struct event_t {
    u32 pid;
    u32 ppid;                       /* 0: made before tracing started */
    char pcomm[TASK_COMM_LEN];
    char comm[TASK_COMM_LEN];
    u8 last;                        /* 1: argv is complete */
    char arg[ARG_LEN];
};
BPF_TABLE("lru_hash", u32, struct parent_t, parents, 10240);    /* child -> parent */
BPF_PERCPU_ARRAY(scratch, struct event_t, 1);
BPF_PERF_OUTPUT(events);

/* A new task: the current one is its parent. */
TRACEPOINT_PROBE(sched, sched_process_fork)
{
    struct parent_t p = {};
    u32 child = args->child_pid;

    p.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&p.comm, sizeof(p.comm));
    parents.update(&child, &p);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
    int zero = 0;
    struct event_t *e = scratch.lookup(&zero);
    const char *arg = NULL;

    if (e == NULL)
        return 0;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    struct parent_t *p = parents.lookup(&e->pid);
    e->ppid = p ? p->pid : 0;
    __builtin_memset(e->pcomm, 0, sizeof(e->pcomm));
    if (p)
        __builtin_memcpy(e->pcomm, p->comm, sizeof(e->pcomm));
    bpf_get_current_comm(&e->comm, sizeof(e->comm));
    e->last = 0;
#pragma unroll
    for (int i = 0; i < MAX_ARGS; i++) {
        if (bpf_probe_read_user(&arg, sizeof(arg), &args->argv[i]) || arg == NULL)
            break;
        bpf_probe_read_user_str(e->arg, sizeof(e->arg), arg);
        events.perf_submit(args, e, sizeof(*e));
    }
    e->last = 1;
    e->arg[0] = 0;
    events.perf_submit(args, e, sizeof(*e));
    return 0;
}
"""

b = BPF(text=prog)

argv = {}  # pid -> the strings received so far


def show(cpu, data, size):
    e = b["events"].event(data)
    if not e.last:
        argv.setdefault(e.pid, []).append(e.arg.decode("utf-8", "replace"))
        return
    ppid = str(e.ppid) if e.ppid else "?"
    pcomm = e.pcomm.decode("utf-8", "replace") if e.ppid else "?"
    args = " ".join(argv.pop(e.pid, []))
    print(f"{ppid:<7} {pcomm:<16} {e.pid:<7} {e.comm.decode('utf-8', 'replace'):<16} {args}", flush=True)


b["events"].open_perf_buffer(show)
print(f"{'PPID':<7} {'PARENT':<16} {'PID':<7} {'COMM':<16} ARGV", flush=True)
try:
    while True:
        b.perf_buffer_poll()
except KeyboardInterrupt:
    pass
