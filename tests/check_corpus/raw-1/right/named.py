# Names in a free line, by process and call.
from time import sleep

from bcc import BPF
from bcc.syscall import syscall_name

b = BPF(
    text=r"""
#include <linux/sched.h>
struct key_t { char comm[TASK_COMM_LEN]; long id; };
BPF_HASH(calls, struct key_t, u64);
TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.id = args->id;
    calls.increment(key);
    return 0;
}
"""
)
print("Tracing... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    pass
for k, v in sorted(b["calls"].items(), key=lambda kv: kv[1].value):
    if k.comm == b"harbord":
        print(f"harbord made {syscall_name(k.id).decode()} {v.value} times")
