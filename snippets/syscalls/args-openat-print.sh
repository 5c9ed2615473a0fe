# Print every openat(2) call of one tiny command. `sh -c </etc/hostname` is a
# shell whose whole job is to open /etc/hostname for reading (an input
# redirection with no command). -c starts it once the probe is attached (its
# arguments are split at spaces, hence no space inside), and cpid is its pid.
sudo bpftrace -c '/bin/sh -c </etc/hostname' -e '
tracepoint:syscalls:sys_enter_openat
/pid == cpid/
{
	printf("%s: openat(dfd %d, filename \"%s\", flags 0x%x, mode %d)\n",
	    comm, args->dfd, str(args->filename), args->flags, args->mode);
}'
