"""`mapcheck`: a small process a check of the mmap exercises runs beside the workload.

The workload maps with MAP_SHARED and MAP_PRIVATE only, so a program that tests one bit of the
flags (`flags & MAP_PRIVATE`) gets its percentages right by luck. mapcheck makes the cases
the workload does not: MAP_SHARED_VALIDATE mappings (0x03: both bits set, and shared), and a
stream of munmap(2) calls with no mmap(2) behind them, so a program counting munmap(2) names
the wrong process. It makes few mmap(2) calls (50 a second), so it never tops the count.

It runs as a bpfhol.process.Child, which dies with the check however the check ends.
"""

from __future__ import annotations

import subprocess
import sys

from bpfhol.grading.reference import COMPANION_COMM
from bpfhol.process import Child

MMAPS_PER_SECOND = 50
MUNMAPS_PER_SECOND = 3000

_CODE = f"""
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
fd = os.memfd_create("{COMPANION_COMM}")
os.ftruncate(fd, 4096)
MAP_SHARED_VALIDATE, PROT_READ = 0x03, 0x1
# An address range that stays unmapped: munmap(2) of it succeeds and does nothing.
hole = libc.mmap(None, 1 << 20, 0, 0x22, -1, 0)
libc.munmap(hole, 1 << 20)
# Named only now: the hole's private mapping must not count as mapcheck's (it maps shared only).
libc.prctl(15, b"{COMPANION_COMM}", 0, 0, 0)    # PR_SET_NAME
tick = 0.01
per_tick_map, per_tick_unmap = {MMAPS_PER_SECOND} / 100, {MUNMAPS_PER_SECOND} // 100
owed = 0.0
next_t = time.monotonic()
while True:
    owed += per_tick_map
    while owed >= 1:
        owed -= 1
        a = libc.mmap(None, 4096, PROT_READ, MAP_SHARED_VALIDATE, fd, 0)
        if a not in (None, ctypes.c_void_p(-1).value):
            libc.munmap(a, 4096)
    for _ in range(per_tick_unmap):
        libc.munmap(hole, 4096)
    next_t += tick
    time.sleep(max(0.0, next_t - time.monotonic()))
"""


class Companion:
    def __init__(self) -> None:
        self.child: Child | None = None

    def start(self) -> None:
        self.child = Child([sys.executable, "-c", _CODE], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None
