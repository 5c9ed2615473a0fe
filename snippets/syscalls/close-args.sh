# What the close(2) probes carry: the descriptor on entry, the result on exit.
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_close'
sudo bpftrace -lv 'tracepoint:syscalls:sys_exit_close'
