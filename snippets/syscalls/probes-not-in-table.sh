# Syscall probes on the running kernel whose name is not in the C library's x86_64 table:
# syscalls newer than the headers, and probes named after the kernel function.
table=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
comm -13 <(sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' "$table" | sort) \
         <(sudo bpftrace -l 'tracepoint:syscalls:sys_enter_*' | sed 's/.*sys_enter_//' | sort) |
    pr -4 -t -w 72 | expand
