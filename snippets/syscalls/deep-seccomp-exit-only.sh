# A system call that seccomp refuses has an exit event and no entry event. The
# program (Python, read from stdin) calls getppid() once, then installs a
# seccomp filter that fails getppid(2) with EPERM (SECCOMP_RET_ERRNO, what
# Docker's default profile does for the calls it forbids), and calls it twice
# more. x86_64 only: the filter tests for syscall number 110 on AUDIT_ARCH_X86_64.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:syscalls:sys_enter_getppid
/pid == cpid/
{
	@entries = count();
}

tracepoint:syscalls:sys_exit_getppid
/pid == cpid && args->ret >= 0/
{
	@exits_ok = count();
}

tracepoint:syscalls:sys_exit_getppid
/pid == cpid && args->ret < 0/
{
	@exits_failed[args->ret] = count();
}' <<'EOF_PYTHON'
import ctypes
import os
import struct

libc = ctypes.CDLL(None, use_errno=True)
os.getppid()

# struct sock_filter {u16 code; u8 jt, jf; u32 k}: classic BPF, seccomp's filter language
insns = [
    (0x20, 0, 0, 4),              # load seccomp_data.arch
    (0x15, 0, 3, 0xC000003E),     # not AUDIT_ARCH_X86_64: allow
    (0x20, 0, 0, 0),              # load seccomp_data.nr
    (0x15, 0, 1, 110),            # not getppid: allow
    (0x06, 0, 0, 0x00050000 | 1), # SECCOMP_RET_ERRNO | EPERM
    (0x06, 0, 0, 0x7FFF0000),     # SECCOMP_RET_ALLOW
]
code = b"".join(struct.pack("<HBBI", *i) for i in insns)
buf = ctypes.create_string_buffer(code, len(code))
prog = struct.pack("<HxxxxxxQ", len(insns), ctypes.addressof(buf))  # struct sock_fprog
libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: lets an unprivileged process add a filter
if libc.prctl(22, 2, ctypes.c_char_p(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
    raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")
os.getppid()
os.getppid()
EOF_PYTHON
