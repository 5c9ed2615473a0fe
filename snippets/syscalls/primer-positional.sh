# Positional parameters: the words after the program are $1, $2, ... inside it.
# str($1) reads the first one as a string (bpftrace 0.17 needs the str()). The
# interval probe ends the program after one second.
sudo bpftrace -e '
tracepoint:syscalls:sys_enter_clock_nanosleep
/comm == str($1)/
{
	@sleeps[comm] = count();
}

interval:s:1
{
	exit();
}' beacond
