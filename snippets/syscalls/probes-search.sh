# Every syscall with "open" in its name that has an entry probe.
sudo bpftrace -l 'tracepoint:syscalls:sys_enter_*open*'
