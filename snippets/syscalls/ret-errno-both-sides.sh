# One failing close(2), seen from both sides: the kernel's return value (the
# tracer's view) and what the C library hands the program. The program (Python,
# read from stdin) calls glibc's close() on descriptor 99, which is not open.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_close
/pid == cpid && args->fd == 99/
{
	@inflight[tid] = 1;
}

tracepoint:syscalls:sys_exit_close
/@inflight[tid]/
{
	@ret = args->ret;
	delete(@inflight[tid]);
}

END
{
	printf("tracer:  sys_exit_close ret = %d (%s)\n", @ret, strerror(-@ret));
	clear(@ret);
}' <<'EOF_PYTHON'
import ctypes
import errno
import os

libc = ctypes.CDLL(None, use_errno=True)
ret = libc.close(99)
err = ctypes.get_errno()
print(f"program: close(99) = {ret}, errno = {err} ({errno.errorcode[err]}: {os.strerror(err)})")
EOF_PYTHON
