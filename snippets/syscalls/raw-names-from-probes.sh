# Count the same process's system calls for one second, letting the per-syscall
# probes name them: the wildcard attaches one probe per system call whose name
# starts with "m" (37 on Linux 6.18), enough for mmap and munmap. The probe
# builtin is the full name of the probe that fired.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_m*
/pid == cpid/
{
	@[probe] = count();
}

interval:s:1
{
	exit();
}' <<'EOF_PYTHON'
import mmap
import time

while True:
    for _ in range(100):
        mmap.mmap(-1, 4096).close()
    time.sleep(0.1)
EOF_PYTHON
