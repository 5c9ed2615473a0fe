# What the execve(2) probes carry: the program's path, its argument list and
# its environment on entry; the result on exit.
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_execve'
sudo bpftrace -lv 'tracepoint:syscalls:sys_exit_execve'
