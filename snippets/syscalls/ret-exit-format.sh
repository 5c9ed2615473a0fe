# The arguments of three exit probes: the result is always "long ret".
sudo bpftrace -lv 'tracepoint:syscalls:sys_exit_close'
sudo bpftrace -lv 'tracepoint:syscalls:sys_exit_mmap'
sudo bpftrace -lv 'tracepoint:syscalls:sys_exit_write'
