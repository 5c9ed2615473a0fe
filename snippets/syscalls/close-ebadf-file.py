#!/usr/bin/env python3
#
# close-ebadf-file.py  Count close(2) calls that fail with EBADF, by pid,
#                      process name, descriptor and the file that descriptor
#                      was last opened on.
#
# USAGE: sudo python3 close-ebadf-file.py     (Ctrl-C prints the counts)
#
# openat(2) gives the name at its entry and the descriptor at its exit: the
# entry saves the name's address per thread, the exit copies the name under
# (pid, fd). A descriptor no traced openat(2) returned has no file: "-".

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>
#include <uapi/asm-generic/errno-base.h>

#define NAME_LEN 64

struct fdkey_t {
    u32 pid;
    u32 fd;
};
struct name_t {
    char name[NAME_LEN];
};
struct key_t {
    u32 pid;
    u32 fd;
    char comm[TASK_COMM_LEN];
    char file[NAME_LEN];
};
BPF_HASH(names, u32, const char *);         /* thread id -> openat's filename */
BPF_HASH(files, struct fdkey_t, struct name_t);
BPF_HASH(fds, u32, u32);                    /* thread id -> fd being closed */
BPF_HASH(ebadf, struct key_t, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    const char *filename = args->filename;

    names.update(&tid, &filename);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    const char **namep = names.lookup(&tid);
    struct fdkey_t fk = {};
    struct name_t n = {};

    if (namep == NULL)
        return 0;
    if (args->ret >= 0) {
        fk.pid = bpf_get_current_pid_tgid() >> 32;
        fk.fd = args->ret;
        bpf_probe_read_user_str(n.name, sizeof(n.name), *namep);
        files.update(&fk, &n);
    }
    names.delete(&tid);
    return 0;
}

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
    struct fdkey_t fk = {};
    struct name_t *np;
    struct key_t key = {};

    if (fdp == NULL)
        return 0;   /* the entry came before tracing started */
    if (args->ret == -EBADF) {
        key.pid = bpf_get_current_pid_tgid() >> 32;
        key.fd = *fdp;
        bpf_get_current_comm(&key.comm, sizeof(key.comm));
        fk.pid = key.pid;
        fk.fd = key.fd;
        np = files.lookup(&fk);
        if (np != NULL)
            __builtin_memcpy(key.file, np->name, sizeof(key.file));
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

print(f"{'PID':<7} {'COMM':<16} {'FD':>6} {'COUNT':>6}  FILE")
for k, v in sorted(b["ebadf"].items(), key=lambda kv: (kv[0].pid, kv[0].fd)):
    file = k.file.decode("utf-8", "replace") or "-"
    print(f"{k.pid:<7} {k.comm.decode('utf-8', 'replace'):<16} {k.fd:>6} {v.value:>6}  {file}")
