# A predicate, between slashes, decides whether the action runs. cpid is the
# process id of the command -c started, so only its openat(2) calls are printed,
# not those of every other process on the machine. str() copies the file name
# from the process's memory.
sudo bpftrace -c '/bin/sh -c true' -e 'tracepoint:syscalls:sys_enter_openat /pid == cpid/ {
	printf("%s (pid %d) opens %s\n", comm, pid, str(args->filename));
}'
