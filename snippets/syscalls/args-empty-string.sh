# Read openat(2)'s filename at entry and again at exit, for a path that sits in a
# page the calling process has never touched. The program (Python, read from
# stdin) maps a file holding "/etc/hostname" and opens that path twice; it renames
# itself "coldpage" first so the probes can tell its calls from Python's own.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_openat
/comm == "coldpage"/
{
	@filename[tid] = args->filename;
	printf("enter: filename \"%s\"\n", str(args->filename));
}

tracepoint:syscalls:sys_exit_openat
/@filename[tid]/
{
	printf("exit:  filename \"%s\", ret %d\n", str(@filename[tid]), args->ret);
	delete(@filename[tid]);
}' <<'EOF_PYTHON'
import ctypes
import mmap
import tempfile

libc = ctypes.CDLL(None)
with tempfile.TemporaryFile() as f:
    f.write(b"/etc/hostname".ljust(mmap.PAGESIZE, b"\0"))
    f.flush()
    page = mmap.mmap(f.fileno(), mmap.PAGESIZE, access=mmap.ACCESS_COPY)  # mapped, not yet read
    path = ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    libc.prctl(15, b"coldpage", 0, 0, 0)  # 15 = PR_SET_NAME
    for _ in range(2):
        libc.close(libc.open(path, 0))  # glibc's open() makes the openat(2) call
EOF_PYTHON
