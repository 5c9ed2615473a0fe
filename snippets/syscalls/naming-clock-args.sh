# What a clock read that reaches the kernel carries: clock_gettime(2)'s
# entry probe and its arguments.
sudo bpftrace -lv 'tracepoint:syscalls:sys_enter_clock_gettime'
