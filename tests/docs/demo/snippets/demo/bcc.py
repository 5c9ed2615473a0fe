# bcc.py  Attach to getppid(2), then wait for Ctrl-C.
from time import sleep

from bcc import BPF

b = BPF(text="TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; }")
print("Tracing getppid... Hit Ctrl-C to end.")
try:
    sleep(99)
except KeyboardInterrupt:
    print("done")
