# The record of the one real tracepoint on system call entry.
sudo cat /sys/kernel/tracing/events/raw_syscalls/sys_enter/format
