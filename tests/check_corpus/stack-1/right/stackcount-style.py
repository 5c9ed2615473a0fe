# Prints each stack a frame a line with its count below it, as BCC's stackcount does.
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
#include <linux/sched.h>
struct key_t { u32 pid; int id; };
BPF_STACK_TRACE(stacks, 1024);
BPF_HASH(opens, struct key_t, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    char comm[TASK_COMM_LEN];
    char want[] = "ferryd";
    bpf_get_current_comm(&comm, sizeof(comm));
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return 0;
    struct key_t key = {};
    key.pid = bpf_get_current_pid_tgid() >> 32;
    key.id = stacks.get_stackid(args, BPF_F_USER_STACK);
    opens.increment(key);
    return 0;
}
"""
)
try:
    sleep(99999999)
except KeyboardInterrupt:
    pass
for k, v in b["opens"].items():
    if k.id < 0:
        continue
    for addr in b["stacks"].walk(k.id):
        print("    " + b.sym(addr, k.pid, show_offset=True).decode())
    print(f"        {v.value}")
