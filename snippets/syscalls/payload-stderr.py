#!/usr/bin/env python3
#
# payload-stderr.py  What a process writes to its standard error (fd 2), as
#                    it writes it.
#
# USAGE: sudo python3 payload-stderr.py PID     (Ctrl-C ends it)
#
# write(2)'s buffer is bytes, not a C string: the program copies count bytes
# (at most MAX_BYTES) and Python prints them with non-printable bytes escaped.

import signal
import sys

from bcc import BPF

prog = r"""
#define MAX_BYTES 128

struct event_t {
    u32 len;
    u8 data[MAX_BYTES];
};
BPF_PERF_OUTPUT(events);
BPF_PERCPU_ARRAY(scratch, struct event_t, 1);   /* lets MAX_BYTES outgrow the 512-byte stack */

TRACEPOINT_PROBE(syscalls, sys_enter_write)
{
    int zero = 0;
    struct event_t *ev;

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID || args->fd != 2)
        return 0;
    ev = scratch.lookup(&zero);
    if (ev == NULL)
        return 0;
    u64 len = args->count;
    if (len > MAX_BYTES)
        len = MAX_BYTES;
    ev->len = len;
    bpf_probe_read_user(ev->data, len, args->buf);
    events.perf_submit(args, ev, sizeof(*ev));
    return 0;
}
"""

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit("usage: payload-stderr.py PID")
b = BPF(text=prog.replace("TARGET_PID", sys.argv[1]))


def show(cpu, data, size):
    ev = b["events"].event(data)
    print(repr(bytes(ev.data[: ev.len]))[2:-1], flush=True)


b["events"].open_perf_buffer(show)
print(f"Tracing write(2) to fd 2 by pid {sys.argv[1]}... Hit Ctrl-C to end.", flush=True)
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
