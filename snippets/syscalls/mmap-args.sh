# The arguments of the mmap(2) entry probe, with their C types.
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_mmap'
