# What detaching costs: bpftrace attaches to two system call events and exits at
# once (-c /bin/true); strace -T times each call it makes. awk keeps the fds of
# the two events (perf_event_open, and the BPF links newer bpftrace makes on
# them) and prints each close() of one that took 5 ms or more: the last close of
# an event waits for the kernel's grace periods before it returns.
sudo strace -T -e trace=perf_event_open,bpf,close \
    bpftrace -e 'tracepoint:syscalls:sys_enter_getppid,
                 tracepoint:syscalls:sys_enter_getpgid { @ = count(); }' -c /bin/true \
    2>&1 >/dev/null |
    awk '/^(perf_event_open\(\{type=PERF_TYPE_TRACEPOINT|bpf\(BPF_LINK_CREATE)/ && $(NF-1) >= 0 {
             fd[$(NF-1)] = 1; if ($1 ~ /^perf/) events++ }
         /^close\(/ { n = $1; gsub(/[^0-9]/, "", n); t = $NF; gsub(/[<>]/, "", t)
             if ((n in fd) && t >= 0.005) { slow++; printf "close(%d): %.0f ms\n", n, t * 1000 } }
         END { printf "events attached: %d, closes that waited: %d\n", events, slow }'
