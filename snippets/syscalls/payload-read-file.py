#!/usr/bin/env python3
#
# payload-read-file.py  Which files a process reads: each read(2)'s descriptor
#                       turned back into the path that was opened, the reads
#                       counted per path.
#
# USAGE: sudo python3 payload-read-file.py PID     (Ctrl-C prints the counts)
#
# openat(2) takes a path at its entry and gives a descriptor at its exit:
# `files` remembers which path each descriptor got, read(2) looks its
# descriptor up there, and close(2) forgets it. A descriptor opened before
# tracing began has no path: its reads count under an empty name.

import sys
from time import sleep

from bcc import BPF

prog = r"""
#define NAME_MAX_BYTES 64

struct path_t {
    char name[NAME_MAX_BYTES];
};
BPF_HASH(opening, u32, u64);             /* thread id -> the path's address, during openat */
BPF_HASH(files, u32, struct path_t);     /* descriptor -> the path it was opened with */
BPF_HASH(reads, struct path_t, u64);     /* path -> reads */

static int traced(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == TARGET_PID;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 addr = (u64)args->filename;

    if (traced())
        opening.update(&tid, &addr);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 *addr = opening.lookup(&tid);
    struct path_t path = {};

    if (addr == NULL)
        return 0;
    if (args->ret >= 0) {
        u32 fd = args->ret;
        bpf_probe_read_user_str(path.name, sizeof(path.name), (void *)*addr);
        files.update(&fd, &path);
    }
    opening.delete(&tid);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_read)
{
    u32 fd = args->fd;
    struct path_t none = {}, *path;

    if (!traced())
        return 0;
    path = files.lookup(&fd);
    reads.increment(path ? *path : none);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_close)
{
    u32 fd = args->fd;

    if (traced())
        files.delete(&fd);
    return 0;
}
"""

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit("usage: payload-read-file.py PID")
b = BPF(text=prog.replace("TARGET_PID", sys.argv[1]))
print(f"Tracing read(2) by pid {sys.argv[1]}, by file... Hit Ctrl-C to end.", flush=True)
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'READS':>7}  FILE")
for k, v in sorted(b["reads"].items(), key=lambda kv: -kv[1].value):
    print(f"{v.value:>7}  {k.name.decode('utf-8', 'replace')}")
