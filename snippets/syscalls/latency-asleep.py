#!/usr/bin/env python3
#
# latency-asleep.py  Waiting or working? For read(2) and getrandom(2), per
#                    process: the calls made, and how many of them slept.
#
# USAGE: sudo python3 latency-asleep.py     (Ctrl-C prints the table)
#
# sched_switch fires in the thread that leaves the CPU; its prev_state is 1
# (S) or 2 (D) when the thread goes to sleep, another value when it is only
# preempted.

from time import sleep

from bcc import BPF

prog = r"""
#include <linux/sched.h>

struct key_t {
    char comm[TASK_COMM_LEN];
    u32 call;                       /* 0: read, 1: getrandom */
};
struct val_t {
    u64 calls;
    u64 slept;
};
BPF_HASH(in_call, u32, u8);         /* thread id -> 1 in a call, 2 in a call that slept */
BPF_HASH(stats, struct key_t, struct val_t);

static int enter(void)
{
    u32 tid = bpf_get_current_pid_tgid();
    u8 one = 1;

    in_call.update(&tid, &one);
    return 0;
}

static int leave(u32 call)
{
    u32 tid = bpf_get_current_pid_tgid();
    u8 *state = in_call.lookup(&tid);
    struct key_t key = {};
    struct val_t zero = {}, *val;

    if (state == NULL)
        return 0;
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.call = call;
    val = stats.lookup_or_try_init(&key, &zero);
    if (val) {
        val->calls++;
        if (*state == 2)
            val->slept++;
    }
    in_call.delete(&tid);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_read) { return enter(); }
TRACEPOINT_PROBE(syscalls, sys_enter_getrandom) { return enter(); }
TRACEPOINT_PROBE(syscalls, sys_exit_read) { return leave(0); }
TRACEPOINT_PROBE(syscalls, sys_exit_getrandom) { return leave(1); }

TRACEPOINT_PROBE(sched, sched_switch)
{
    u32 tid = bpf_get_current_pid_tgid();
    u8 *state = in_call.lookup(&tid);

    if (state && (args->prev_state == 1 || args->prev_state == 2))
        *state = 2;
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing read(2) and getrandom(2)... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print(f"{'COMM':<16} {'CALL':<10} {'CALLS':>7} {'SLEPT':>7} {'ASLEEP%':>8}")
rows = sorted(b["stats"].items(), key=lambda kv: -kv[1].calls)
rows = [(k, v) for k, v in rows if v.calls >= 5]  # the processes that call often enough to tell
for k, v in rows:
    share = 100 * v.slept // v.calls if v.calls else 0
    call = ("read", "getrandom")[k.call]
    print(f"{k.comm.decode('utf-8', 'replace'):<16} {call:<10} {v.calls:>7} {v.slept:>7} {share:>7}%")
