# The probes of exit(2) and exit_group(2).
sudo bpftrace -l 'tracepoint:syscalls:sys_*_exit*'
