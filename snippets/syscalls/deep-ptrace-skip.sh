# What the tracepoints see of a call that a ptrace tracer skips by setting its
# number to -1. The program (Python, read from stdin) is a small tracer in the
# way strace is one: it forks a child named "tracee", which calls getppid()
# three times, and stops the child at each system call (PTRACE_SYSCALL). At
# the entry of the second getppid() it writes -1 over the number
# (PTRACE_POKEUSER on orig_rax), and the kernel skips the call. x86_64 only:
# the register's offset and getppid's number (110) are x86_64's.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:raw_syscalls:sys_enter
/comm == "tracee" && (args->id == 110 || args->id == -1)/
{
	@raw_enter[args->id] = count();
}

tracepoint:raw_syscalls:sys_exit
/comm == "tracee" && (args->id == 110 || args->id == -1)/
{
	@raw_exit[args->id] = count();
}

tracepoint:raw_syscalls:sys_exit
/comm == "tracee" && args->id == -1/
{
	@raw_exit_ret[args->ret] = count();
}

tracepoint:syscalls:sys_enter_getppid
/comm == "tracee"/
{
	@enter_getppid = count();
}

tracepoint:syscalls:sys_exit_getppid
/comm == "tracee"/
{
	@exit_getppid = count();
}' <<'EOF_PYTHON'
import ctypes
import os
import signal

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_TRACEME, PTRACE_PEEKUSER, PTRACE_POKEUSER, PTRACE_SYSCALL = 0, 3, 6, 24
ORIG_RAX = 15 * 8  # offsetof(struct user_regs_struct, orig_rax)

child = os.fork()
if child == 0:
    libc.prctl(15, b"tracee", 0, 0, 0)  # PR_SET_NAME
    libc.ptrace(PTRACE_TRACEME, 0, None, None)
    os.kill(os.getpid(), signal.SIGSTOP)  # wait for the tracer
    print("tracee: getppid() returned", [os.getppid() for _ in range(3)], flush=True)
    os._exit(0)

os.waitpid(child, 0)
entering, getppids = True, 0
while True:
    libc.ptrace(PTRACE_SYSCALL, child, None, None)  # run to the next syscall stop
    _, status = os.waitpid(child, 0)
    if os.WIFEXITED(status):
        break
    if entering and libc.ptrace(PTRACE_PEEKUSER, child, ORIG_RAX, None) == 110:
        getppids += 1
        if getppids == 2:
            libc.ptrace(PTRACE_POKEUSER, child, ORIG_RAX, ctypes.c_void_p(-1 % 2**64))
    entering = not entering  # stops alternate: entry, exit, entry, ...
EOF_PYTHON
