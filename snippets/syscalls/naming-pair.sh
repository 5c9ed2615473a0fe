# Both probes of openat(2); t: is short for tracepoint:.
sudo bpftrace -l 't:syscalls:sys_*_openat'
