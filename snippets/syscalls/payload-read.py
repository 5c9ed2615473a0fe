#!/usr/bin/env python3
#
# payload-read.py  What a process reads: the data of each read(2), taken when
#                  the call returns, since the kernel fills the buffer during
#                  the call.
#
# USAGE: sudo python3 payload-read.py PID     (Ctrl-C ends it)
#
# The entry probe keeps the buffer's address per thread; the exit probe copies
# as many bytes as the call returned (at most MAX_BYTES).

import signal
import sys

from bcc import BPF

prog = r"""
#define MAX_BYTES 128

struct event_t {
    u32 len;
    u8 data[MAX_BYTES];
};
BPF_HASH(bufs, u32, u64);           /* thread id -> the buffer read(2) fills */
BPF_PERF_OUTPUT(events);
BPF_PERCPU_ARRAY(scratch, struct event_t, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_read)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    u64 buf = (u64)args->buf;

    if ((id >> 32) == TARGET_PID)
        bufs.update(&tid, &buf);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_read)
{
    u32 tid = bpf_get_current_pid_tgid();
    u64 *buf = bufs.lookup(&tid);
    int zero = 0;
    struct event_t *ev;

    if (buf == NULL)
        return 0;
    ev = scratch.lookup(&zero);
    if (ev != NULL && args->ret > 0) {
        u64 len = args->ret;
        if (len > MAX_BYTES)
            len = MAX_BYTES;
        ev->len = len;
        bpf_probe_read_user(ev->data, len, (void *)*buf);
        events.perf_submit(args, ev, sizeof(*ev));
    }
    bufs.delete(&tid);
    return 0;
}
"""

if len(sys.argv) != 2 or not sys.argv[1].isdigit():
    sys.exit("usage: payload-read.py PID")
b = BPF(text=prog.replace("TARGET_PID", sys.argv[1]))


def show(cpu, data, size):
    ev = b["events"].event(data)
    print(f"--- read {ev.len} bytes:")
    print(bytes(ev.data[: ev.len]).decode("utf-8", "replace"), end="", flush=True)


b["events"].open_perf_buffer(show)
print(f"Tracing read(2) by pid {sys.argv[1]}... Hit Ctrl-C to end.", flush=True)
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
