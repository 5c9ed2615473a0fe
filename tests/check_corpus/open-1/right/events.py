# BCC: one line per open, as it happens.
from bcc import BPF

b = BPF(
    text=r"""
struct ev_t { u32 at; char name[64]; };
BPF_PERF_OUTPUT(events);
static int ev(void *ctx, const char __user *f, u32 at)
{
    struct ev_t e = {};
    e.at = at;
    bpf_probe_read_user_str(&e.name, sizeof(e.name), f);
    events.perf_submit(ctx, &e, sizeof(e));
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_enter_open) { return ev(args, args->filename, 0); }
TRACEPOINT_PROBE(syscalls, sys_enter_openat) { return ev(args, args->filename, 1); }
"""
)


def show(cpu, data, size):
    e = b["events"].event(data)
    print(f"{'openat' if e.at else 'open'}: {e.name.decode('utf-8', 'replace')}")


b["events"].open_perf_buffer(show)
try:
    while True:
        b.perf_buffer_poll()
except KeyboardInterrupt:
    pass
