# A 64-bit Python process calls getpid() three times the usual way (the syscall
# instruction, x86_64 number 39) and three times through int $0x80, the 32-bit
# entry (i386 number 20, which is writev in the x86_64 table). x86_64 only.
# -c runs the command once the probes are attached; cpid is its process id.
# TS_COMPAT (0x2, arch/x86/include/asm/thread_info.h) marks a 32-bit syscall;
# the map's second key is the width, 32 or 64.
sudo bpftrace -c '/usr/bin/python3 -' -e '
tracepoint:raw_syscalls:sys_enter
/pid == cpid && (args->id == 39 || args->id == 20)/
{
	@raw[args->id, curtask->thread_info.status & 0x2 ? 32 : 64] = count();
}

tracepoint:syscalls:sys_enter_getpid,
tracepoint:syscalls:sys_enter_writev
/pid == cpid/
{
	@named[probe] = count();
}' <<'EOF_PYTHON'
import ctypes
import mmap
import os

# mov eax, 20; int $0x80; ret: a 32-bit getpid(), as machine code in an executable page
code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(code)
getpid_int80 = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))

for _ in range(3):
    assert os.getpid() == getpid_int80()
print("getpid() made 3 times each way; both ways answered the same pid")
EOF_PYTHON
