# Two things a program does a thousand times that syscall probes barely see.
# The program (Python, read from stdin) reads the clock 1000 times with
# time.clock_gettime(), which glibc answers from the vDSO, code and data the
# kernel maps into every process, without entering the kernel; then it
# prints 1000 short lines into a file, which Python's buffered file object
# collects and hands to write(2) a few kilobytes at a time. The vDSO can read
# the clock only from a clock source that user space may read (tsc, kvm-clock);
# the first line says which one this machine uses.
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_clock_gettime,
tracepoint:syscalls:sys_enter_write
/pid == cpid/
{
	@[probe] = count();
}' <<'EOF_PYTHON'
import tempfile
import time

for _ in range(1000):
    time.clock_gettime(time.CLOCK_MONOTONIC)
with tempfile.TemporaryFile("w") as out:
    for i in range(1000):
        print("line", i, file=out)
print("1000 clock reads, 1000 lines printed", flush=True)
EOF_PYTHON
