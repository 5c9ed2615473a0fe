"""The toolchain matrix's cells: each a Debian release whose bpftrace, BCC and Python the course runs with.

The one list of them (the workflow's jobs and the *Tested on* page follow it).
"""

from __future__ import annotations

from devtools import chroot
from devtools.chroot import Chroot

TOOLCHAINS = {"debian12": "bookworm", "debian13": "trixie", "unstable": "sid"}
REFERENCE = "debian12"  # where the pages' outputs are captured
ALIASES = {**{n: n for n in TOOLCHAINS}, **{s: n for n, s in TOOLCHAINS.items()}}


def toolchain(name: str) -> Chroot:
    return Chroot(name, TOOLCHAINS[name], chroot.host_mirror())


def resolve(names: list[str]) -> list[str]:
    """Command-line names (a cell's or its suite's) -> cells, all of them for none; ValueError names a bad one."""
    unknown = [n for n in names if n not in ALIASES]
    if unknown:
        raise ValueError(f"no toolchain {', '.join(unknown)} (there are: {', '.join(TOOLCHAINS)})")
    return list(dict.fromkeys(ALIASES[n] for n in names)) or list(TOOLCHAINS)
