# How many syscalls have an entry probe, and how many an exit probe, on this kernel.
sudo bpftrace -l 'tracepoint:syscalls:sys_enter_*' | wc -l
sudo bpftrace -l 'tracepoint:syscalls:sys_exit_*' | wc -l
