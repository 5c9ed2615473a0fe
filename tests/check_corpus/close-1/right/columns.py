# BCC: columns in another order, with a title line, nothing printed before Ctrl-C.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
struct key_t { u32 pid; u32 fd; char comm[16]; };
BPF_HASH(entry, u32, u32);
BPF_HASH(bad, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_close)
{
    u32 tid = bpf_get_current_pid_tgid();
    u32 fd = args->fd;
    entry.update(&tid, &fd);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_exit_close)
{
    u32 tid = bpf_get_current_pid_tgid();
    u32 *fd = entry.lookup(&tid);
    struct key_t k = {};
    if (!fd)
        return 0;
    if (args->ret == -9) {
        k.pid = bpf_get_current_pid_tgid() >> 32;
        k.fd = *fd;
        bpf_get_current_comm(&k.comm, sizeof(k.comm));
        bad.increment(k);
    }
    entry.delete(&tid);
    return 0;
}
"""
)
try:
    sleep(1e6)
except KeyboardInterrupt:
    pass
print("close(2) on descriptors that are not open:")
print(f"{'COMM':<16} {'FD':>5} {'PID':>7} {'ERRORS':>7}")
for k, v in sorted(b["bad"].items(), key=lambda kv: kv[0].fd):
    print(f"{k.comm.decode():<16} {k.fd:>5} {k.pid:>7} {v.value:>7}")
