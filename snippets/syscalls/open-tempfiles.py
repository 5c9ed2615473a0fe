#!/usr/bin/env python3
#
# open-tempfiles.py  Show the opens that create temporary files.
#
# USAGE: sudo python3 open-tempfiles.py     (Ctrl-C ends it)
#
# Two kinds: O_TMPFILE (an unnamed file in the given directory, as tmpfile(3)
# makes) and O_CREAT|O_EXCL (a new file that must not exist yet, as mkstemp(3)
# makes). The flag values come from the kernel headers BCC compiles with, so
# O_TMPFILE is right for the architecture (x86_64 0x410000, arm64 0x404000).
# arm64 has no open(2): delete its probe there.

import signal

from bcc import BPF

prog = r"""
#include <linux/sched.h>
#include <uapi/linux/fcntl.h>

#define NAME_LEN 128

enum kind { TMPFILE = 1, CREAT_EXCL = 2 };

struct event_t {
    u32 pid;
    u32 kind;
    u32 flags;
    char comm[TASK_COMM_LEN];
    char fname[NAME_LEN];
};
BPF_PERF_OUTPUT(events);

static int check_open(void *ctx, const char __user *filename, int flags)
{
    struct event_t ev = {};

    if ((flags & O_TMPFILE) == O_TMPFILE)
        ev.kind = TMPFILE;
    else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        ev.kind = CREAT_EXCL;
    else
        return 0;

    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.flags = flags;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    bpf_probe_read_user_str(&ev.fname, sizeof(ev.fname), filename);
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
    return check_open(args, args->filename, args->flags);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    return check_open(args, args->filename, args->flags);
}
"""

KINDS = {1: "O_TMPFILE", 2: "O_CREAT|O_EXCL"}

b = BPF(text=prog)


def print_event(cpu, data, size):
    ev = b["events"].event(data)
    comm, path = ev.comm.decode("utf-8", "replace"), ev.fname.decode("utf-8", "replace")
    flags = f"0x{ev.flags:x}"
    print(f"{ev.pid:<7} {comm:<16} {KINDS[ev.kind]:<14} {flags:<8} {path}")


b["events"].open_perf_buffer(print_event)
print("Tracing open(2) and openat(2)... Hit Ctrl-C to end.")
print(f"{'PID':<7} {'COMM':<16} {'KIND':<14} {'FLAGS':<8} PATH")
# Ctrl-C may land while show() runs, called back from inside BCC's C code: an
# exception raised there is printed and dropped ("Exception ignored on calling
# ctypes callback function") and the loop would go on. A flag is never lost.
stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGINT, stop)
while not stopping:
    b.perf_buffer_poll(timeout=100)
