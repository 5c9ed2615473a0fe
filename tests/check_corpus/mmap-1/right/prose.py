# BCC, printing sentences instead of a table, and nothing before Ctrl-C.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
struct key_t { char comm[16]; };
BPF_HASH(calls, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    calls.increment(key);
    return 0;
}
"""
)
try:
    sleep(1e6)
except KeyboardInterrupt:
    pass
for k, v in sorted(b["calls"].items(), key=lambda kv: -kv[1].value)[:5]:
    print(f"{k.comm.decode()} made {v.value} mmap calls")
