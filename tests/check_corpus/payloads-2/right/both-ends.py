# The same in BCC, printing only the mode line.
import sys

from bcc import BPF

b = BPF(
    text=r"""
BPF_HASH(bufs, u32, u64);
BPF_PERF_OUTPUT(out);
struct line_t { char text[64]; };
TRACEPOINT_PROBE(syscalls, sys_enter_read) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 buf = (u64)args->buf;
    if ((bpf_get_current_pid_tgid() >> 32) == PID) bufs.update(&tid, &buf);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_exit_read) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 *buf = bufs.lookup(&tid);
    struct line_t line = {};
    if (buf && args->ret > 0) {
        bpf_probe_read_user(&line.text, sizeof(line.text), (void *)*buf);
        out.perf_submit(args, &line, sizeof(line));
    }
    bufs.delete(&tid);
    return 0;
}
""".replace("PID", sys.argv[1])
)


def show(cpu, data, size):
    for ln in b["out"].event(data).text.decode(errors="replace").splitlines():
        if ln.startswith("mode="):
            print(ln, flush=True)


b["out"].open_perf_buffer(show)
print("Tracing...", flush=True)
try:
    while True:
        b.perf_buffer_poll()
except KeyboardInterrupt:
    pass
