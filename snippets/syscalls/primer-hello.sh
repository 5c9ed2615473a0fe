# A first bpftrace program: one probe, one action. -e gives the program on the
# command line; -c runs a command once the probe is attached, and bpftrace ends
# when the command does. The sync command makes the sync(2) system call (it
# asks the kernel to write cached data to disk), which few programs make.
sudo bpftrace -c /usr/bin/sync -e 'tracepoint:syscalls:sys_enter_sync { printf("hello from sync(2)\n"); }'
