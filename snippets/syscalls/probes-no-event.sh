# Names in the x86_64 syscall table (as the C library's headers list them)
# that have no sys_enter_ probe on the running kernel.
# Needs the linux-libc-dev package (it provides asm/unistd_64.h).
table=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
comm -23 <(sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' "$table" | sort) \
         <(sudo bpftrace -l 'tracepoint:syscalls:sys_enter_*' | sed 's/.*sys_enter_//' | sort) |
    pr -4 -t -w 72 | expand
