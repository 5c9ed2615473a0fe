# The first ten syscall entry probes (the list is sorted by name).
sudo bpftrace -l 'tracepoint:syscalls:sys_enter_*' | sed -n '1,10p'
