#!/usr/bin/env python3
#
# payload-buffer-order.py  In what order do a perf buffer and a ring buffer
#                          deliver events made on different CPUs?
#
# USAGE: sudo python3 payload-buffer-order.py     (ends by itself)
#
# A child process makes eight write(2) calls of 1 to 8 bytes, one after the
# other, moving to another CPU before each (CPU n % CPUs for call n). The BPF
# program sends each call's size and CPU to both buffers; Python reads them
# only after the child has finished, so every event is waiting in a buffer.

import os
import subprocess
import sys

from bcc import BPF

CHILD = r"""
import os, sys
sys.stdin.readline()                      # wait until the tracer is attached
cpus = os.cpu_count()
fd = os.open(os.devnull, os.O_WRONLY)
for n in range(1, 9):
    os.sched_setaffinity(0, {n % cpus})   # run the next call on another CPU
    os.write(fd, b"x" * n)
"""

prog = r"""
struct event_t {
    u32 cpu;
    u32 size;
};
BPF_PERF_OUTPUT(perf_events);         /* one buffer per CPU */
BPF_RINGBUF_OUTPUT(ring_events, 8);   /* one buffer for all CPUs, 8 pages */

TRACEPOINT_PROBE(syscalls, sys_enter_write)
{
    struct event_t ev = {};

    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    ev.cpu = bpf_get_smp_processor_id();
    ev.size = args->count;
    perf_events.perf_submit(args, &ev, sizeof(ev));
    ring_events.ringbuf_output(&ev, sizeof(ev), 0);
    return 0;
}
"""

child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, text=True)
try:
    b = BPF(text=prog.replace("TARGET_PID", str(child.pid)))
    seen: dict[str, list[str]] = {"perf buffer": [], "ring buffer": []}

    def on_perf(cpu, data, size):
        ev = b["perf_events"].event(data)
        seen["perf buffer"].append(f"{ev.size}@{ev.cpu}")

    def on_ring(ctx, data, size):
        ev = b["ring_events"].event(data)
        seen["ring buffer"].append(f"{ev.size}@{ev.cpu}")

    b["perf_events"].open_perf_buffer(on_perf)
    b["ring_events"].open_ring_buffer(on_ring)
    print(f"Tracing write(2) by pid {child.pid} on {os.cpu_count()} CPUs...", flush=True)
    child.communicate("go\n")
    b.perf_buffer_poll(timeout=100)
    b.ring_buffer_poll(timeout=100)
    for name, events in seen.items():
        print(f"{name}: {' '.join(events)}  (size@cpu, in the order received)")
finally:
    child.kill()
    child.wait()
