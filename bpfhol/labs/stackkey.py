"""The syscalls lab's stacks exercises: which C library function makes most of ferryd's openat(2)
calls (stack-1), which path each of its two ways in opens (stack-2), and how the answer key says it.

The paths come from a random source of their own per seed, so drawing them shifts none of the
scenario's other choices (the share included).
"""

from __future__ import annotations

from typing import Any

from bpfhol.labs.seeded import chooser
from workloads import common, poller

# Seed 0's: the state file and the inbox it checks for work.
CLASSIC_PATHS = (poller.FILE, poller.LISTED)


def paths(seed: int) -> tuple[str, str]:
    """The state file ferryd opens with os.open and the directory it lists with os.listdir."""
    if seed == 0:
        return CLASSIC_PATHS
    pick = chooser("syscalls-stacks-paths", seed)
    return pick(poller.FILES), pick(poller.DIRS)


def key(seed: int, opens: int, comm: str) -> dict[str, Any]:
    total = poller.CALLS_PER_TICK
    top_open = opens * 2 > total
    file, listed = paths(seed)
    return {
        "comm": comm,
        "syscall": "openat",
        # the Python call behind the larger share, and the C library function it goes through
        "top_python": "os.open" if top_open else "os.listdir",
        "top_libc": "open64" if top_open else "opendir",
        "top_percent": 100 * max(opens, total - opens) // total,
        "calls_per_second": total * common.TICK_HZ,
        # stack-2: the paths each way in passes openat(2), relative to ferryd's working directory
        "open_path": file,
        "listdir_path": listed,
        "open_percent": 100 * opens // total,
    }
