# What bpftrace asks the kernel to attach one tracepoint probe. strace writes the
# calls to stderr, piped here to grep; bpftrace's own output is discarded. sed
# shortens the long structures (... marks what it cut). -c /bin/true: run a
# command that exits at once, so bpftrace exits right after attaching.
sudo strace -e trace=openat,bpf,perf_event_open,ioctl \
    bpftrace -e 'tracepoint:syscalls:sys_enter_openat { @ = count(); }' -c /bin/true \
    2>&1 >/dev/null |
    grep -E 'BPF_PROG_TYPE_TRACEPOINT|sys_enter_openat/id|PERF_TYPE_TRACEPOINT|IOC_SET_BPF|BPF_PERF_EVENT' |
    sed -E -e 's/(prog_type=BPF_PROG_TYPE_TRACEPOINT), .*\}, /\1, ...}, /' \
           -e 's/(type=PERF_TYPE_TRACEPOINT), .*(config=[0-9]+), [^}]*\}/\1, \2, ...}/'
