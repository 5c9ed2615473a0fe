# What detaching costs: bpftrace attaches to two system call events and exits at
# once (-c /bin/true); strace -T times each call it makes. awk groups the fds of
# each event (its perf_event_open fd, and the BPF link newer bpftrace makes on
# it) and prints the close() that drops an event's last fd: that one detaches
# it, and waits for the kernel's grace periods before it returns (5 ms or more).
sudo strace -T -e trace=perf_event_open,bpf,close \
    bpftrace -e 'tracepoint:syscalls:sys_enter_getppid,
                 tracepoint:syscalls:sys_enter_getpgid { @ = count(); }' -c /bin/true \
    2>&1 >/dev/null |
    awk '/^perf_event_open\(\{type=PERF_TYPE_TRACEPOINT/ && $(NF-1) ~ /^[0-9]+$/ {
             ev[$(NF-1)] = ++events; fds[events]++ }
         /^bpf\(BPF_LINK_CREATE/ && $(NF-1) ~ /^[0-9]+$/ {
             on = $0; sub(/.*target_fd=/, "", on); sub(/[^0-9].*/, "", on)
             if (on in ev) { ev[$(NF-1)] = ev[on]; fds[ev[on]]++ } }
         /^close\(/ { n = $1; gsub(/[^0-9]/, "", n)
             if (n in ev) { e = ev[n]; delete ev[n]; if (--fds[e] == 0) {
                 t = substr($NF, 2) + 0; if (t >= 0.005) slow++
                 printf "close(%d): %.0f ms\n", n, t * 1000 } } }
         END { printf "events attached: %d, detaching closes that waited: %d\n", events, slow }'
