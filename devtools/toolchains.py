"""The toolchain matrix's cells: each a bpftrace, BCC and Python the course runs with, in a chroot.

The one list of them (the workflow's jobs and the *Tested on* page follow it).  A Debian cell is
that release's own packages; an Ubuntu cell is that release's bpftrace and BCC versions, built
from their tags in a Debian 12 chroot (devtools.source_build), with Debian 12's Python.
"""

from __future__ import annotations

from devtools import chroot
from devtools.chroot import Chroot
from devtools.source_build import Build

DEBIAN = {"debian12": "bookworm", "debian13": "trixie", "unstable": "sid"}
BUILT = {
    "ubuntu2404": Build("Ubuntu 24.04", bpftrace="v0.20.2", bcc="v0.29.1", llvm=16),
    # BCC 0.18 predates LLVM 13, the oldest Debian 12 has: BCC's own fixes for LLVM 13 go on top,
    # and bpftrace's for binutils 2.39; bpftrace 0.14 fails against libbpf 1.x (Ubuntu 22.04 has 0.5).
    "ubuntu2204": Build(
        "Ubuntu 22.04",
        bpftrace="v0.14.0",
        bcc="v0.18.0",
        llvm=13,
        libbpf="v0.5.0",
        python_shebang=True,
        fixes=(
            ("bcc", "999939785e28d756e9a44526c76f00b9dc10154b"),  # codegen_llvm.cc
            ("bcc", "5e1be547a37c4539d65e6b059934a076a28271d6"),  # bcc_debug.cc: MCContext
            ("bcc", "5d77f50e929e4ee22b1dc08924960913e32d9e3b"),  # bcc_debug.cc: MCObjectFileInfo
            ("bcc", "8e6c05daa935b200b5f55d6c02c0255795f1b5ca"),  # APInt::toString
            ("bpftrace", "0fba258d63d3609692fb4772af4e02cc747552ad"),  # init_disassemble_info, binutils 2.39
        ),
    ),
}
TOOLCHAINS = {**DEBIAN, **dict.fromkeys(BUILT, "bookworm")}  # cell -> the Debian suite its chroot is
REFERENCE = "debian12"  # where the pages' outputs are captured
ALIASES = {**{n: n for n in TOOLCHAINS}, **{s: n for n, s in DEBIAN.items()}}


def toolchain(name: str) -> Chroot:
    return Chroot(name, TOOLCHAINS[name], chroot.host_mirror(), BUILT.get(name))


def distro(name: str) -> str:
    """Whose toolchain a cell is, as the pages name it."""
    if name in BUILT:
        return BUILT[name].distro
    return "Debian unstable" if DEBIAN[name] == "sid" else f"Debian {name.removeprefix('debian')}"


def resolve(names: list[str]) -> list[str]:
    """Command-line names (a cell's or its suite's) -> cells, all of them for none; ValueError names a bad one."""
    unknown = [n for n in names if n not in ALIASES]
    if unknown:
        raise ValueError(f"no toolchain {', '.join(unknown)} (there are: {', '.join(TOOLCHAINS)})")
    return list(dict.fromkeys(ALIASES[n] for n in names)) or list(TOOLCHAINS)
