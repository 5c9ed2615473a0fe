# The record the kernel makes for the openat(2) entry event: its name, its id
# and its fields, with their offsets in the record.
sudo cat /sys/kernel/tracing/events/syscalls/sys_enter_openat/format
