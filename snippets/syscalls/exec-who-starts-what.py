#!/usr/bin/env python3
#
# exec-who-starts-what.py  Programs that a process starts more than once:
#                          the parent's pid and name, the caller's name, the
#                          program and its arguments, shown at the second start.
#
# USAGE: sudo python3 exec-who-starts-what.py     (Ctrl-C ends it)
#
# A child starts as a copy of its parent, with the parent's comm, and calls
# execve(2) under that name. The scheduler's sched_process_fork tracepoint
# fires in the parent as the copy is made: it notes each child's parent.
# execve(2)'s entry counts the starts per parent and program and, at the
# second, sends argv (an array of strings ending in NULL) one string at a
# time, then a last event that ends the line.

from bcc import BPF

prog = r"""
#include <linux/sched.h>

#define MAX_ARGS 16
#define ARG_LEN 128

struct parent_t {
    u32 pid;
    char comm[TASK_COMM_LEN];
};
struct start_t {
    u32 ppid;                       /* 0: made before tracing started */
    char comm[TASK_COMM_LEN];
    char path[ARG_LEN];
};
struct event_t {
    u32 pid;
    u32 ppid;
    char pcomm[TASK_COMM_LEN];
    char comm[TASK_COMM_LEN];
    u8 last;                        /* 1: argv is complete */
    char arg[ARG_LEN];
};
BPF_TABLE("lru_hash", u32, struct parent_t, parents, 10240);    /* child -> parent */
BPF_HASH(starts, struct start_t, u64);
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
    u64 none = 0, *n;
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct parent_t *p = parents.lookup(&pid);
    struct start_t key = {};
    struct event_t *e;
    const char *arg = NULL;

    key.ppid = p ? p->pid : 0;
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    bpf_probe_read_user_str(key.path, sizeof(key.path), args->filename);
    n = starts.lookup_or_try_init(&key, &none);
    if (n == NULL)
        return 0;
    (*n)++;
    if (*n != 2)
        return 0;

    e = scratch.lookup(&zero);
    if (e == NULL)
        return 0;
    e->pid = pid;
    e->ppid = key.ppid;
    __builtin_memset(e->pcomm, 0, sizeof(e->pcomm));
    if (p)
        __builtin_memcpy(e->pcomm, p->comm, sizeof(e->pcomm));
    __builtin_memcpy(e->comm, key.comm, sizeof(e->comm));
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
    comm = e.comm.decode("utf-8", "replace")
    print(f"{ppid:<7} {pcomm:<16} {comm:<16} {' '.join(argv.pop(e.pid, []))}", flush=True)


b["events"].open_perf_buffer(show)
print("Tracing programs started more than once... Hit Ctrl-C to end.")
print(f"{'PPID':<7} {'PARENT':<16} {'COMM':<16} ARGV", flush=True)
try:
    while True:
        b.perf_buffer_poll()
except KeyboardInterrupt:
    pass
