# What bpftrace asks the kernel when it attaches a tracepoint probe: strace
# shows the calls (its output goes to stderr, which is piped here; bpftrace's
# own output is discarded). The program exits after 100 ms.
sudo strace -e trace=openat,bpf,perf_event_open,ioctl \
    bpftrace -e 'tracepoint:syscalls:sys_enter_openat { @ = count(); }
                 interval:ms:100 { exit(); }' \
    2>&1 >/dev/null |
    grep -E 'sys_enter_openat/id|BPF_PROG_TYPE_TRACEPOINT|PERF_TYPE_TRACEPOINT|IOC_SET_BPF' |
    cut -c 1-110
