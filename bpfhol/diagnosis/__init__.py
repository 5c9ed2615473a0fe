"""The machine checks behind `bpfhol doctor`.

Each check is a function of an `Env`: where /sys, /proc, /boot and /lib/modules
are, the kernel release and architecture, the effective uid and the environment
variables. `Env.real()` is this machine; tests point an `Env` at a fake tree
(tracefs unmounted, lockdown=confidentiality, no BTF...) to reach the failure
paths. The bpftrace and BCC checks always run the real programs named by
BPFHOL_BPFTRACE and BPFHOL_PYTHON.

The checks live in two modules, the tools' (tools.py) and the kernel's (kernel.py), over the
machine they look at (env.py); this module names them all, in the order doctor prints them.
"""

from __future__ import annotations

from typing import Callable

from bpfhol.diagnosis.env import *  # noqa: F403 (the names tests and doctor use, in one place)
from bpfhol.diagnosis.env import Env, Result
from bpfhol.diagnosis.kernel import *  # noqa: F403
from bpfhol.diagnosis.kernel import (
    check_arch,
    check_btf,
    check_kprobes,
    check_lockdown,
    check_tracefs,
    check_tracepoints,
)
from bpfhol.diagnosis.tools import *  # noqa: F403
from bpfhol.diagnosis.tools import check_bcc, check_bpftrace, check_privileges, check_python3

CHECKS: tuple[Callable[[Env], Result], ...] = (
    check_privileges,
    check_bpftrace,
    check_bcc,
    check_python3,
    check_btf,
    check_tracefs,
    check_lockdown,
    check_kprobes,
    check_tracepoints,
    check_arch,
)
