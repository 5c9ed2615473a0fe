# BCC: "process -> file (call)" lines at the end.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
struct key_t { u32 at; char comm[16]; char name[64]; };
BPF_HASH(opens, struct key_t, u64);
static int count_open(const char __user *f, u32 at)
{
    struct key_t k = {};
    k.at = at;
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    bpf_probe_read_user_str(&k.name, sizeof(k.name), f);
    opens.increment(k);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_enter_open) { return count_open(args->filename, 0); }
TRACEPOINT_PROBE(syscalls, sys_enter_openat) { return count_open(args->filename, 1); }
"""
)
try:
    sleep(1e6)
except KeyboardInterrupt:
    pass
for k, v in b["opens"].items():
    call = "openat" if k.at else "open"
    print(f"{k.comm.decode()} -> {k.name.decode('utf-8', 'replace')} ({call}, {v.value}x)")
