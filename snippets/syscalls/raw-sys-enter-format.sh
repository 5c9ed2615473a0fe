# The two raw syscall tracepoints and their fields.
sudo bpftrace -lv 'tracepoint:raw_syscalls:*'
