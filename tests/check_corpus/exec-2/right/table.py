# The name and the status, in a table printed at Ctrl-C.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
#include <linux/sched.h>
struct key_t { char comm[TASK_COMM_LEN]; int status; };
BPF_HASH(ends, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_exit_group)
{
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.status = args->error_code;
    ends.increment(key);
    return 0;
}
"""
)
print("Tracing... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    pass
print("COMM STATUS COUNT")
for k, v in b["ends"].items():
    print(k.comm.decode(), k.status, v.value)
