# Builtins: what the action knows about the thread that made the call. comm is
# the process name, pid the process id, tid the thread id, nsecs a timestamp in
# nanoseconds (since boot).
sudo bpftrace -c /usr/bin/sync -e 'tracepoint:syscalls:sys_enter_sync {
	printf("comm %s, pid %d, tid %d, nsecs %llu\n", comm, pid, tid, nsecs);
}'
