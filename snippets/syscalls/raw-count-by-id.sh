# Count every system call of one process by number, until it has slept ten
# times. The process (Python, read from stdin) maps and unmaps a page of memory
# a hundred times, sleeps a tenth of a second (clock_nanosleep, 230 on x86_64),
# and starts again. -c runs it once the probes are attached; cpid is its
# process id. bpftrace stops it when it exits.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:raw_syscalls:sys_enter
/pid == cpid/
{
	@[args->id] = count();
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
