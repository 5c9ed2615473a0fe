#!/usr/bin/env python3
#
# mystery-diagnose.py  Everything the capstone asks of one process, in one pass:
#                      per syscall its calls, failures (and the last errno) and
#                      time; and the paths its failing openat(2) calls asked for.
#
# USAGE: sudo python3 mystery-diagnose.py PID     (Ctrl-C prints the report)
#
# Syscall names come from BCC's table (bcc.syscall), built for x86_64; other
# architectures need ausyscall (auditd) installed.

import sys
from time import sleep

from bcc import BPF
from bcc.syscall import syscall_name

prog = r"""
struct stat_t {
    u64 calls;
    u64 failed;
    s64 last_err;
    u64 total_ns;
};
struct path_t {
    char name[64];
    s64 ret;
};
BPF_HASH(start, u32, u64);          /* thread id -> entry time */
BPF_HASH(paths, u32, struct path_t);
BPF_HASH(stats, u64, struct stat_t);
BPF_HASH(failed_opens, struct path_t, u64);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    u64 now = bpf_ktime_get_ns();

    if ((id >> 32) != TARGET_PID)
        return 0;
    start.update(&tid, &now);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    struct path_t p = {};

    if ((id >> 32) != TARGET_PID)
        return 0;
    bpf_probe_read_user_str(&p.name, sizeof(p.name), args->filename);
    paths.update(&tid, &p);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct path_t *p = paths.lookup(&tid);

    if (p == NULL)
        return 0;
    if (args->ret < 0) {
        p->ret = args->ret;
        failed_opens.increment(*p);
    }
    paths.delete(&tid);
    return 0;
}

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 *t0 = start.lookup(&tid);
    u64 nr = args->id;
    struct stat_t zero = {}, *s;

    if (t0 == NULL)
        return 0;
    s = stats.lookup_or_try_init(&nr, &zero);
    if (s) {
        s->calls++;
        s->total_ns += bpf_ktime_get_ns() - *t0;
        if (args->ret < 0) {
            s->failed++;
            s->last_err = args->ret;
        }
    }
    start.delete(&tid);
    return 0;
}
"""

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit("usage: mystery-diagnose.py PID")
b = BPF(text=prog.replace("TARGET_PID", sys.argv[1]))
print(f"Tracing pid {sys.argv[1]}... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'SYSCALL':<18} {'CALLS':>6} {'FAILED':>6} {'ERRNO':>6} {'TOTAL ms':>9} {'AVG ms':>7}")
for k, s in sorted(b["stats"].items(), key=lambda kv: -kv[1].total_ns):
    name = syscall_name(k.value).decode()
    err = str(s.last_err) if s.failed else "-"
    print(f"{name:<18} {s.calls:>6} {s.failed:>6} {err:>6} {s.total_ns / 1e6:>9.1f} {s.total_ns / 1e6 / s.calls:>7.1f}")
print()
print(f"{'FAILED OPENAT PATH':<32} {'RET':>4} {'COUNT':>6}")
for k, n in sorted(b["failed_opens"].items(), key=lambda kv: -kv[1].value):
    print(f"{k.name.decode('utf-8', 'replace'):<32} {k.ret:>4} {n.value:>6}")
