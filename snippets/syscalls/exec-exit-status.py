#!/usr/bin/env python3
#
# exec-exit-status.py  How the programs started while tracing end: the name
#                      they were started under (their parent's), their own
#                      name, and their exit status.
#
# USAGE: sudo python3 exec-exit-status.py     (Ctrl-C prints the counts)
#
# A process ends with exit_group(2), whose one argument, error_code, is its
# exit status; the call never returns, so only its entry fires. At execve(2)'s
# entry the new process still has its parent's comm: note it, and at
# exit_group(2) it has the program's own.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct name_t {
    char comm[TASK_COMM_LEN];
};
struct key_t {
    char parent[TASK_COMM_LEN];     /* the name at execve(2): the parent's */
    char comm[TASK_COMM_LEN];       /* the program's own */
    int status;
};
BPF_HASH(started, u32, struct name_t);
BPF_HASH(ends, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct name_t name = {};

    bpf_get_current_comm(&name.comm, sizeof(name.comm));
    started.update(&pid, &name);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_exit_group)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct name_t *name = started.lookup(&pid);
    struct key_t key = {};

    if (name == NULL)
        return 0;
    __builtin_memcpy(key.parent, name->comm, sizeof(key.parent));
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.status = args->error_code;
    ends.increment(key);
    started.delete(&pid);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing how started programs end... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'PARENT':<16} {'COMM':<16} {'STATUS':>6} {'COUNT':>6}")
for k, v in sorted(b["ends"].items(), key=lambda kv: kv[1].value, reverse=True):
    print(f"{k.parent.decode('utf-8', 'replace'):<16} {k.comm.decode('utf-8', 'replace'):<16} "
          f"{k.status:>6} {v.value:>6}")
