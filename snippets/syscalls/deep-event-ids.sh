# Every event has an id: the number perf_event_open(2) takes to attach to it.
# One per-syscall event, then the raw tracepoint behind all of them.
sudo cat /sys/kernel/tracing/events/syscalls/sys_enter_openat/id
sudo cat /sys/kernel/tracing/events/raw_syscalls/sys_enter/id
