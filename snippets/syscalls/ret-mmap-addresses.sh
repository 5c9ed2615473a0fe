# mmap(2)'s result seen from both sides: the address the program got, and the
# exit probe's ret, in decimal and in hex. The program (Python, read from stdin)
# maps three regions of anonymous memory, 40000 bytes each, and prints where
# each one starts; the tracer keeps the mmap(2) calls of that length (cpid is
# the process id of the command that -c runs) and prints their results at the end.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_mmap
/pid == cpid && args->len == 40000/
{
	@inflight[tid] = 1;
}

tracepoint:syscalls:sys_exit_mmap
/@inflight[tid]/
{
	@ret[@n++] = args->ret;
	delete(@inflight[tid]);
}

END
{
	printf("tracer:  mmap returned %ld, in hex 0x%lx\n", @ret[0], @ret[0]);
	printf("tracer:  mmap returned %ld, in hex 0x%lx\n", @ret[1], @ret[1]);
	printf("tracer:  mmap returned %ld, in hex 0x%lx\n", @ret[2], @ret[2]);
	clear(@ret);
	clear(@n);
}' <<'EOF_PYTHON'
import ctypes
import mmap

maps = [mmap.mmap(-1, 40000) for _ in range(3)]
for m in maps:
    print(f"program: mmap gave address {ctypes.addressof(ctypes.c_char.from_buffer(m)):#x}")
EOF_PYTHON
