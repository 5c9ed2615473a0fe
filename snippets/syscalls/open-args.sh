# The arguments of the open(2) and openat(2) entry probes.
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_open'
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_openat'
