# BCC: a table of (size in KiB, calls) for every process.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
struct key_t { char comm[16]; u64 kib; };
BPF_HASH(sizes, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.kib = args->len / 1024;
    sizes.increment(key);
    return 0;
}
"""
)
try:
    sleep(1e6)
except KeyboardInterrupt:
    pass
print(f"{'COMM':<16} {'KIB':>6} {'CALLS':>6}")
for k, v in sorted(b["sizes"].items(), key=lambda kv: (kv[0].comm, kv[0].kib)):
    print(f"{k.comm.decode():<16} {k.kib:>6} {v.value:>6}")
