# A table whose path comes before the function, each under its heading.
from collections import Counter
from time import sleep

from bcc import BPF

b = BPF(
    text=r"""
#include <linux/sched.h>
struct key_t { u32 pid; int id; char path[64]; };
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
    bpf_probe_read_user_str(&key.path, sizeof(key.path), args->filename);
    opens.increment(key);
    return 0;
}
"""
)
try:
    sleep(99999999)
except KeyboardInterrupt:
    pass
counts = Counter()
for k, v in b["opens"].items():
    if k.id >= 0:
        counts[k.path.decode(), b.sym(next(b["stacks"].walk(k.id)), k.pid).decode()] += v.value
print(f"{'PATH':<12} {'SYMBOL':<28} {'CALLS':>6}")
for (path, sym), n in counts.items():
    print(f"{path:<12} {sym:<28} {n:>6}")
