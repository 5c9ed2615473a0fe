"""The machine set-up `./dev setup` does: packages, kernel headers, tracefs, BCC, the `bpfhol` command, a browser.

Each step changes only what is missing, so a second run changes nothing and prints one line.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from bpfhol import config

VENV = config.ROOT / ".venv"
LINK = Path("/usr/local/bin/bpfhol")  # `sudo bpfhol ...` as the course writes it: sudo's secure_path has it
# linux-libc-dev: the syscall tables (asm/unistd_64.h) some examples read; strace: the deep dive.
# gcc, libc6-dev: the primer compiles a small C program to show a user stack.
# graphviz: dot renders the figures (devtools/figures.py), and their test re-renders them.
PACKAGES = (
    "ca-certificates",
    "python3",
    "python3-venv",
    "sudo",
    "procps",
    "strace",
    "linux-libc-dev",
    "graphviz",
    "gcc",
    "libc6-dev",
)
TRACERS = ("bpftrace", "bpfcc-tools", "python3-bpfcc")
BCC_PROBE = 'from bcc import BPF\nBPF(text="TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { return 0; }")\n'


class SetupError(Exception):
    """What stops the set-up, in one line."""


def say(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def warn(msg: str) -> None:
    print(f"[dev] WARNING: {msg}", file=sys.stderr, flush=True)


def installed(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", package], capture_output=True, text=True)
    return done.stdout == "install ok installed"


def have_package(package: str) -> bool:
    """Does apt know the package (installable here)?"""
    return subprocess.run(["apt-cache", "show", package], capture_output=True).returncode == 0


class Apt:
    """apt-get install of what is missing; one `apt-get update` a run, only when something is."""

    def __init__(self) -> None:
        self.updated = False

    def install(self, packages: Iterable[str]) -> list[str]:
        missing = [p for p in packages if not installed(p)]
        if not missing:
            return []
        say(f"installing: {' '.join(missing)}")
        if not self.updated:
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
            self.updated = True
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
        return missing


def packages(apt: Apt) -> None:
    apt.install([*PACKAGES, *TRACERS])
    if have_package("bpftool"):  # its own package on Debian 12+; Ubuntu ships it in linux-tools
        apt.install(["bpftool"])


def _version_key(path: Path) -> list[object]:
    """`sort -V` for headers directories: numbers compare as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.name)]


def headers_ready(modules: Path) -> bool:
    """Debian splits a headers tree in two: kconfig.h is in the -common one (source)."""
    kconfig = "include/linux/kconfig.h"
    return (modules / "build/include/generated/autoconf.h").exists() and any(
        (modules / d / kconfig).exists() for d in ("build", "source")
    )


def link_generic_headers(modules: Path, src: Path, arch: str) -> tuple[Path, Path]:
    """Point the kernel's build/source links at the newest generic headers trees under `src`."""
    builds = sorted([*src.glob(f"linux-headers-*-{arch}"), *src.glob("linux-headers-*-generic")], key=_version_key)
    if not builds:
        raise SetupError(f"found no generic headers tree under {src}")
    commons = sorted(src.glob("linux-headers-*-common"), key=_version_key)
    build, source = builds[-1], (commons or builds)[-1]
    modules.mkdir(parents=True, exist_ok=True)
    for name, target in (("build", build), ("source", source)):
        link = modules / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return build, source


def headers(apt: Apt, modules: Path | None = None, src: Path = Path("/usr/src")) -> None:
    """BCC compiles its C programs against the running kernel's headers."""
    release = platform.release()
    modules = modules or Path("/lib/modules") / release
    if headers_ready(modules):
        return
    if have_package(f"linux-headers-{release}"):
        apt.install([f"linux-headers-{release}"])
        return
    # A custom kernel has no headers package: the distro's generic headers are a fallback that works
    # for tracepoint programs (their layout is stable ABI).
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    meta = next((m for m in (f"linux-headers-{arch}", "linux-headers-generic") if have_package(m)), None)
    if meta is None:
        raise SetupError(f"no kernel headers package for {release} and no generic fallback: BCC cannot compile")
    apt.install([meta])
    build, _ = link_generic_headers(modules, src, arch)
    warn(
        f"no headers package for kernel {release}: linked the distro's generic headers ({build.name}) as a"
        " fallback; BCC tracepoint programs work with them, kprobe programs on struct layouts may not"
    )


def tracefs() -> None:
    """bpftrace resolves tracepoint ids through tracefs; a fresh machine may not mount it."""
    if not Path("/sys/kernel/tracing/events").exists():
        say("mounting tracefs at /sys/kernel/tracing")
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=True)
    # Lockdown mode is published in securityfs (read by bpfhol doctor).
    if not Path("/sys/kernel/security/lockdown").exists() and "securityfs" in Path("/proc/filesystems").read_text():
        subprocess.run(["mount", "-t", "securityfs", "securityfs", "/sys/kernel/security"], stderr=subprocess.DEVNULL)


def bcc_compiles() -> None:
    done = subprocess.run([config.DEFAULT_PYTHON, "-c", BCC_PROBE], capture_output=True, text=True)
    if done.returncode != 0:
        print("\n".join((done.stdout + done.stderr).splitlines()[-5:]), file=sys.stderr)
        raise SetupError("BCC could not compile a one-line TRACEPOINT_PROBE (see above)")


def link_cli(venv: Path = VENV, link: Path = LINK) -> bool:
    """/usr/local/bin/bpfhol -> this checkout's; True when it changed."""
    target = venv / "bin" / "bpfhol"
    if link.is_symlink() and os.readlink(link) == str(target):
        return False
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
    return True


def browser(apt: Apt) -> None:
    """Debian's Chromium drives the browser tests; Playwright never downloads a browser here."""
    if Path(config.chromium()).exists() or not config.browser_wanted():  # preinstalled, or not wanted
        return
    if have_package("chromium"):
        apt.install(["chromium", "fonts-dejavu-core"])
    else:
        warn("no chromium package: browser tests will fail under CI")


def setup() -> str:
    """Every step; the doctor's verdict on the result (SetupError when the machine cannot run the labs)."""
    apt = Apt()
    packages(apt)
    headers(apt)
    tracefs()
    bcc_compiles()
    link_cli()
    browser(apt)
    doctor = subprocess.run([str(VENV / "bin" / "bpfhol"), "doctor", "--summary"], capture_output=True, text=True)
    verdict = doctor.stdout.strip()
    if doctor.returncode != 0:
        raise SetupError(f"this machine cannot run the labs: {verdict} (run: {VENV}/bin/bpfhol doctor)")
    return verdict
