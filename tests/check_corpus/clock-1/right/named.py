# Names, not numbers: a free line per process and clock, at Ctrl-C.
from time import sleep

from bcc import BPF

NAMES = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID", 3: "CLOCK_THREAD_CPUTIME_ID"}
b = BPF(
    text=r"""
#include <linux/sched.h>
struct key_t { char comm[TASK_COMM_LEN]; int clock; };
BPF_HASH(reads, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_clock_gettime)
{
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.clock = args->which_clock;
    reads.increment(key);
    return 0;
}
"""
)
print("Tracing... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    pass
for k, v in b["reads"].items():
    print(f"{k.comm.decode()} read {NAMES.get(k.clock, k.clock)} {v.value} times")
