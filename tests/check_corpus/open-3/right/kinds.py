# BCC: per event, the kind named in words.
from bcc import BPF

b = BPF(
    text=r"""
#include <uapi/linux/fcntl.h>
struct ev_t { u32 pid; u32 kind; char comm[16]; char name[64]; };
BPF_PERF_OUTPUT(events);
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct ev_t e = {};
    if ((args->flags & O_TMPFILE) == O_TMPFILE)
        e.kind = 1;
    else if ((args->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        e.kind = 2;
    else
        return 0;
    e.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&e.comm, sizeof(e.comm));
    bpf_probe_read_user_str(&e.name, sizeof(e.name), args->filename);
    events.perf_submit(args, &e, sizeof(e));
    return 0;
}
"""
)


def show(cpu, data, size):
    e = b["events"].event(data)
    kind = "unnamed tmpfile in" if e.kind == 1 else "exclusive create of"
    print(f"{e.comm.decode()} ({e.pid}): {kind} {e.name.decode('utf-8', 'replace')}")


b["events"].open_perf_buffer(show)
try:
    while True:
        b.perf_buffer_poll()
except KeyboardInterrupt:
    pass
