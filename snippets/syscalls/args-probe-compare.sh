# Which probe fired? Comparing the probe builtin with a string: bpftrace 0.17
# refuses the program before it runs (grep keeps the error's first line).
# Newer versions run it: the interval probe ends it after a second, and grep
# finds nothing.
sudo bpftrace -e '
tracepoint:syscalls:sys_enter_open,
tracepoint:syscalls:sys_enter_openat
{
	if (probe == "tracepoint:syscalls:sys_enter_open") { @old = count(); }
}
interval:s:1 { exit(); }' 2>&1 | grep 'Type mismatch'
