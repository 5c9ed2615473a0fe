# Print every openat(2) call of one short command: cmp, comparing a file with itself.
# -c runs the command once the probes are attached; cpid is its process id.
sudo bpftrace -c '/usr/bin/cmp /etc/hostname /etc/hostname' -e '
tracepoint:syscalls:sys_enter_openat
/pid == cpid/
{
	printf("%s: openat(dfd %d, filename \"%s\", flags 0x%x, mode 0%o)\n",
	    comm, args->dfd, str(args->filename), args->flags, args->mode);
}'
