# Let the kernel's own table name each number, in the one raw probe. x86_64
# keeps sys_call_table, an array of pointers to each call's entry function
# (__x64_sys_mmap, ...), indexed by number: kaddr() gives the table's
# address, the 8 bytes at slot args->id are the function's address, and
# ksym() names it. kaddr() looks the table up in /proc/kallsyms, which lists
# data objects like it only on kernels built with CONFIG_KALLSYMS_ALL; so
# look first. The traced program is the same mmap loop as above.
if ! sudo grep -qw sys_call_table /proc/kallsyms; then
	echo "sys_call_table is not in /proc/kallsyms (kernel $(uname -r)): kaddr() cannot find it"
else
	sudo bpftrace -c '/usr/bin/python3 -' -e '
	tracepoint:raw_syscalls:sys_enter
	/pid == cpid && args->id >= 0 && args->id < 512/
	{
		@[ksym(*(kaddr("sys_call_table") + (uint64)args->id * 8))] = count();
	}

	tracepoint:raw_syscalls:sys_exit
	/pid == cpid && args->id == 230/
	{
		@naps++;
		if (@naps == 10) {
			delete(@naps);
			exit();
		}
	}' <<'EOF_PYTHON'
import mmap
import time

while True:
    for _ in range(100):
        mmap.mmap(-1, 4096).close()
    time.sleep(0.1)
EOF_PYTHON
fi
