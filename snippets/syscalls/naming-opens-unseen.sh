# Three ways to open one file, and what the open probes see of each. The
# program (Python, read from stdin) works in a new temporary directory: it
# makes the file "data" with glibc's creat(), opens it with os.open(), and
# opens it once more through io_uring (an IORING_OP_OPENAT request, set up
# with the raw io_uring_setup(2) and io_uring_enter(2) calls, since Python
# has no io_uring module). x86_64 only: the two calls are made by number.
# strncmp() over 5 bytes, the final NUL included, keeps only that exact name.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_open,
tracepoint:syscalls:sys_enter_openat
/pid == cpid && strncmp(str(args->filename), "data", 5) == 0/
{
	@[probe] = count();
}

tracepoint:syscalls:sys_enter_creat,
tracepoint:syscalls:sys_enter_io_uring_enter
/pid == cpid/
{
	@[probe] = count();
}' <<'EOF_PYTHON'
import ctypes
import mmap
import os
import struct
import tempfile

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
IO_URING_SETUP, IO_URING_ENTER = 425, 426  # x86_64 numbers
IORING_OP_OPENAT, AT_FDCWD = 18, -100


def uring_openat(path: bytes) -> int:
    params = ctypes.create_string_buffer(120)  # struct io_uring_params
    ring = libc.syscall(IO_URING_SETUP, 1, params)
    sq_entries, cq_entries = struct.unpack_from("II", params, 0)
    sq_head, sq_tail, sq_mask, _, _, _, sq_array = struct.unpack_from("7I", params, 40)
    cq_head, _, cq_mask, _, _, cqes = struct.unpack_from("6I", params, 80)
    sq = mmap.mmap(ring, sq_array + 4 * sq_entries, offset=0)
    cq = mmap.mmap(ring, cqes + 16 * cq_entries, offset=0x8000000)
    sqes = mmap.mmap(ring, 64 * sq_entries, offset=0x10000000)
    name = ctypes.create_string_buffer(path)
    # struct io_uring_sqe: opcode, flags, ioprio, fd, off, addr, len, open_flags, user_data
    struct.pack_into("BBHiQQIIQ", sqes, 0, IORING_OP_OPENAT, 0, 0, AT_FDCWD, 0,
                     ctypes.addressof(name), 0, os.O_RDONLY, 1)
    tail = struct.unpack_from("I", sq, sq_tail)[0]
    struct.pack_into("I", sq, sq_array + 4 * (tail & struct.unpack_from("I", sq, sq_mask)[0]), 0)
    struct.pack_into("I", sq, sq_tail, tail + 1)
    libc.syscall(IO_URING_ENTER, ring, 1, 1, 1, None, 0)  # submit 1, wait for 1
    head = struct.unpack_from("I", cq, cq_head)[0]
    index = head & struct.unpack_from("I", cq, cq_mask)[0]
    _, res, _ = struct.unpack_from("QiI", cq, cqes + 16 * index)
    os.close(ring)
    return res


with tempfile.TemporaryDirectory() as tmp:
    os.chdir(tmp)
    fds = [libc.creat(b"data", 0o600), os.open("data", os.O_RDONLY), uring_openat(b"data")]
    print("creat(), os.open() and io_uring opened data as fds", fds, flush=True)
    for fd in fds:
        os.close(fd)
    os.chdir("/")
EOF_PYTHON
