#!/usr/bin/env python3
#
# payload-buffer-loss.py  What do a perf buffer and a ring buffer do with the
#                         events their reader has no room for?
#
# USAGE: sudo python3 payload-buffer-loss.py     (ends by itself)
#
# A child process, kept on one CPU, makes 1000 write(2) calls of 1 byte while
# Python reads nothing, then one more of 2 bytes once Python has read what
# the buffers kept. Both buffers are one page: a few hundred events fit. The
# perf buffer counts what it dropped and tells the reader with its next event
# (the 2-byte write); the ring buffer refuses the event to the BPF program,
# which counts the refusals in a map of its own.

import subprocess
import sys

from bcc import BPF

CALLS = 1000

CHILD = rf"""
import os, sys
os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})  # one CPU, one perf buffer
fd = os.open(os.devnull, os.O_WRONLY)
sys.stdin.readline()                      # wait until the tracer is attached
for _ in range({CALLS}):
    os.write(fd, b"x")
os.write(1, b"done\n")
sys.stdin.readline()                      # wait until the tracer has read
os.write(fd, b"xx")
"""

prog = r"""
struct event_t {
    u32 size;
};
BPF_PERF_OUTPUT(perf_events);         /* one page per CPU (page_cnt=1 below) */
BPF_RINGBUF_OUTPUT(ring_events, 1);   /* one page for all CPUs */
BPF_ARRAY(ring_drops, u64, 1);        /* ringbuf_output() failures */

TRACEPOINT_PROBE(syscalls, sys_enter_write)
{
    struct event_t ev = {};

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    if (args->count > 2)              /* only the 1- and 2-byte writes, not "done\n" */
        return 0;
    ev.size = args->count;
    perf_events.perf_submit(args, &ev, sizeof(ev));
    if (ring_events.ringbuf_output(&ev, sizeof(ev), 0) != 0)
        ring_drops.increment(0);
    return 0;
}
"""

cmd = [sys.executable, "-c", CHILD]
child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
try:
    b = BPF(text=prog.replace("TARGET_PID", str(child.pid)))
    got = {"perf": 0, "ring": 0, "perf lost": 0}

    def on_perf(cpu, data, size):
        if b["perf_events"].event(data).size == 1:
            got["perf"] += 1

    def on_perf_lost(lost):
        got["perf lost"] += lost

    def on_ring(ctx, data, size):
        if b["ring_events"].event(data).size == 1:
            got["ring"] += 1

    b["perf_events"].open_perf_buffer(on_perf, page_cnt=1, lost_cb=on_perf_lost)
    b["ring_events"].open_ring_buffer(on_ring)
    print(f"Tracing {CALLS} writes by pid {child.pid}, reading none until done...")
    child.stdin.write("go\n")
    child.stdin.flush()
    child.stdout.readline()  # "done": every event is made
    b.perf_buffer_poll(timeout=100)
    b.ring_buffer_poll(timeout=100)
    child.communicate("again\n")  # the 2-byte write, once there is room
    b.perf_buffer_poll(timeout=100)
    ring_lost = b["ring_drops"][0].value
    perf, perf_lost, ring = got["perf"], got["perf lost"], got["ring"]
    print(f"{'BUFFER':<6} {'RECEIVED':>8} {'LOST':>5} {'TOTAL':>5}")
    print(f"{'perf':<6} {perf:>8} {perf_lost:>5} {perf + perf_lost:>5}")    # lost: lost_cb's
    print(f"{'ring':<6} {ring:>8} {ring_lost:>5} {ring + ring_lost:>5}")    # lost: ring_drops'
finally:
    child.kill()
    child.wait()
