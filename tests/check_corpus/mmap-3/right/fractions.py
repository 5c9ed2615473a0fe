# BCC: fractions, not percentages.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
struct key_t { char comm[16]; u32 shared; };
BPF_HASH(calls, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_mmap)
{
    struct key_t key = {};
    u32 t = args->flags & 0x0f;
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.shared = (t == 1 || t == 3);
    calls.increment(key);
    return 0;
}
"""
)
try:
    sleep(1e6)
except KeyboardInterrupt:
    pass
totals = {}
for k, v in b["calls"].items():
    t = totals.setdefault(k.comm.decode(), [0, 0])
    t[0 if k.shared else 1] += v.value
for comm, (shared, private) in totals.items():
    n = shared + private
    print(f"{comm}: shared={shared / n:.3f} private={private / n:.3f}")
