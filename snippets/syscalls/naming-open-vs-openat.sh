# Which probe sees which open? A Python program (read from stdin) opens
# /etc/hostname three times: with os.open() and open(), and with the open(2)
# system call itself, made by number through glibc's syscall() (2 is open on
# x86_64; arm64 has no open(2)). -c runs the command once the probes are
# attached; cpid is its process id. strncmp() over 14 bytes, the final NUL
# included, keeps only that exact file name.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_open,
tracepoint:syscalls:sys_enter_openat
/pid == cpid && strncmp(str(args->filename), "/etc/hostname", 14) == 0/
{
	@[probe] = count();
}' <<'EOF_PYTHON'
import ctypes
import os

os.close(os.open("/etc/hostname", os.O_RDONLY))
with open("/etc/hostname"):
    pass
libc = ctypes.CDLL(None, use_errno=True)
os.close(libc.syscall(2, b"/etc/hostname", os.O_RDONLY))
EOF_PYTHON
