#!/usr/bin/env python3
#
# ret-close-errors.py  Count failed close(2) calls by return value, with the
#                      errno name and message.
#
# USAGE: sudo python3 ret-close-errors.py     (Ctrl-C prints the counts)
#
# The kernel returns -errno on failure; Python's errno and os modules turn the
# number into its name and its message.

import errno
import os
from time import sleep

from bcc import BPF

prog = r"""
BPF_HASH(failed, long, u64);

TRACEPOINT_PROBE(syscalls, sys_exit_close)
{
    long ret = args->ret;

    if (ret < 0)
        failed.increment(ret);
    return 0;
}
"""

b = BPF(text=prog)
print("Tracing failed close(2) calls... Hit Ctrl-C to end.")
try:
    sleep(99999999)
except KeyboardInterrupt:
    print()

print("%-5s %-8s %-24s %8s" % ("RET", "ERRNO", "MESSAGE", "CALLS"))
for k, v in sorted(b["failed"].items(), key=lambda kv: kv[1].value, reverse=True):
    err = -k.value
    print("%-5d %-8s %-24s %8d" % (k.value, errno.errorcode.get(err, "?"), os.strerror(err), v.value))
