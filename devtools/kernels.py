"""The kernel matrix: the docs examples on the kernels readers run, each in a virtual machine.

    sudo ./dev matrix --kernel 6.1|6.12|7.x|all [-k FILTER] [--capture] [--kernel-timeout S]

Each kernel is Debian's own (`linux-image-amd64` of a release), booted with virtme-ng under
QEMU with the release's toolchain chroot (devtools.chroot) as its root filesystem, shared over
9p: Debian 12's 6.1 with Debian 12's bpftrace, Debian 13's 6.12 with Debian 13's, unstable's
7.x with unstable's.  The guest runs `./dev setup` and the docs examples against the labs'
workloads (devtools/guest-examples.sh), and writes a report into the chroot.

Before the boot, on the host, the chroot gets that kernel's modules and headers (BCC compiles
against them) and udev (virtme-ng's init wants it).  The kernel package is downloaded once and
kept under CACHE/kernels.  QEMU uses KVM when a test boot with it works (devtools.kvm), and
otherwise emulates the CPU (TCG, `--disable-kvm`): no hardware virtualisation is needed then,
which makes it slow, so guests get more time.  A guest that runs past its timeout is killed and
reported; QEMU is killed with its whole process group whatever happens.  `./dev matrix --kernel`
installs what the host needs (qemu-system-x86, kmod for depmod, busybox-static for virtme-ng's
initramfs, python3-venv); virtme-ng itself comes from PyPI into a venv of its own.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfhol import config, process
from bpfhol.examples.collect import Project, collect
from devtools import chroot
from devtools import report as suite_report
from devtools.chroot import Chroot, say
from devtools.kvm import Accel

# virtme-ng is a tool of the matrix, not of the course: it lives in a venv of its own in the cache.
VIRTME_NG = "virtme-ng==1.42"
VENV = chroot.CACHE / "virtme-ng"
KERNELS_DIR = chroot.CACHE / "kernels"
GUEST_SCRIPT = "devtools/guest-examples.sh"  # in the checkout; the guest runs it
GUEST_REPORT = ".matrix-kernel"  # in the chroot's checkout: report.jsonl (devtools.report), times.json
# Under TCG a guest's clock is real time, but its CPU is about 20x slower (devtools.kvm): every program
# takes longer to start and attach, BCC's clang most.  Examples get this much more time with two vCPUs,
# and twice that with one; under KVM, a margin for 9p and virtualised system calls.
TIMEOUT_SCALE = {"tcg": 6.0, "kvm": 2.0}
MEMORY = "6G"
GUEST_TIMEOUT = 3600.0  # seconds, under TCG: a guest still running then is killed and reported
KVM_GUEST_TIMEOUT = 1200.0  # under KVM a whole run takes minutes
BOOT_AND_SETUP = 300  # seconds the guest's boot and `./dev setup` may take, besides the examples
CPUS = 2  # the host's cores; a kernel may ask for fewer (Kernel.cpus)
GUEST_PACKAGES = ("udev", "kmod")


@dataclass(frozen=True)
class Kernel:
    series: str  # what the command line and the pages call it: 6.1, 6.12, 7.x
    toolchain: str  # the toolchain matrix's chroot that is its root filesystem
    cpus: int = CPUS  # the guest's vCPUs

    @property
    def jobs(self) -> int:
        """Examples run at once in the guest: as `./dev test` with two vCPUs; one at a time with one, where
        three BCC compiles sharing the vCPU each outran their timeout (measured on 6.1)."""
        return config.DOCS_JOBS if self.cpus > 1 else 1

    def timeout_scale(self, accel: Accel) -> float:
        return TIMEOUT_SCALE[accel.name] * CPUS / self.cpus

    @property
    def result_name(self) -> str:
        return f"{self.toolchain}-linux{self.series}"


# Debian 12's 6.1 with two vCPUs livelocked under QEMU 7.2's TCG (3 runs, others finished): both vCPUs spin in
# syscall_trace_enter() while the first probe's attach patches the sys_enter tracepoint's static branch
# with int3 (text_poke_bp), soft lockups and RCU stalls every 63 s.  Debian 13's 6.12 with two vCPUs oopsed
# twice on the same path ("Oops: int3" in syscall_trace_enter(), a vCPU meeting the int3 of a patch in
# flight), in -k runs while probes attached and detached one after another; never on 7.2.  One vCPU has
# no other CPU to race the patched site.
KERNELS = {
    k.series: k
    for k in (Kernel("6.1", "debian12", cpus=1), Kernel("6.12", "debian13", cpus=1), Kernel("7.x", "unstable"))
}
# A series named by its major alone (7.x) is also `7` on the command line.
ALIASES = {**{s: s for s in KERNELS}, **{s.split(".")[0]: s for s in KERNELS if s.endswith(".x")}}


def resolve(names: list[str]) -> list[Kernel]:
    """Command-line names (comma lists too, and `all`) -> kernels; ValueError names the bad one."""
    wanted: list[Kernel] = []
    for name in (n for arg in names for n in arg.split(",") if n):
        if name == "all":
            wanted += KERNELS.values()
        elif name in ALIASES:
            wanted.append(KERNELS[ALIASES[name]])
        else:
            raise ValueError(f"no kernel {name!r} (there are: {', '.join(KERNELS)}, all)")
    return list(dict.fromkeys(wanted))


# --- host tools ---------------------------------------------------------------------------------------


def vng() -> Path:
    """virtme-ng's `vng`, installed into its own venv on first use."""
    exe = VENV / "bin" / "vng"
    stamp = VENV / ".bpfhol-installed"
    if exe.exists() and stamp.is_file() and stamp.read_text().strip() == VIRTME_NG:
        return exe
    say(f"installing {VIRTME_NG} into {VENV}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin/pip"), "install", "-q", "--disable-pip-version-check", VIRTME_NG], check=True)
    stamp.write_text(VIRTME_NG + "\n")
    return exe


# --- the kernel and what the chroot needs for it ----------------------------------------------------------


def kernel_package(ch: Chroot) -> str:
    """The versioned image package that the release's linux-image-amd64 points at now."""
    out = chroot.run_in(ch, ["apt-cache", "depends", "linux-image-amd64"], capture_output=True, text=True).stdout
    m = re.search(r"Depends: (linux-image-(\d\S*-amd64))$", out, re.MULTILINE)
    if not m:
        raise RuntimeError(f"{ch.suite}: apt knows no linux-image-amd64 (apt-cache depends said: {out.strip()!r})")
    return m.group(1)


def release_of(package: str) -> str:
    return package.removeprefix("linux-image-")


def _parts(ch: Chroot, package: str) -> list[str]:
    """The packages that make up the kernel: the image, and from Debian 14 on the binary and modules it splits into."""
    out = chroot.run_in(ch, ["apt-cache", "depends", package], capture_output=True, text=True).stdout
    release = release_of(package)
    split = re.findall(rf"Depends: (linux-(?:binary|modules)-{re.escape(release)})$", out, re.MULTILINE)
    return [package, *dict.fromkeys(split)]


def image(tree: Path, release: str) -> Path | None:
    """The kernel image in an unpacked tree: /boot up to Debian 13, /usr/lib/modules/<release> from Debian 14."""
    for path in (tree / "boot" / f"vmlinuz-{release}", tree / "usr/lib/modules" / release / "vmlinuz"):
        if path.is_file():
            return path
    return None


def fetch_kernel(ch: Chroot, package: str) -> Path:
    """The kernel's packages unpacked under KERNELS_DIR/<release> (downloaded by the chroot's apt, once)."""
    release = release_of(package)
    dest = KERNELS_DIR / release
    if image(dest, release):
        return dest
    parts = _parts(ch, package)
    say(f"{ch.name}: downloading {' '.join(parts)}")
    with chroot.downloaded(ch, parts) as debs, chroot.replacing(dest) as tmp:
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
        if not image(tmp, release):
            raise RuntimeError(f"{' '.join(parts)} hold no kernel image (vmlinuz) for {release}")
    return dest


def _modules(tree: Path, release: str) -> Path:
    for sub in ("usr/lib/modules", "lib/modules"):
        if (tree / sub / release).is_dir():
            return tree / sub / release
    raise RuntimeError(f"no modules for {release} in {tree}")


def install_in_chroot(ch: Chroot, kernel_tree: Path, release: str) -> None:
    """The kernel's modules (depmod'ed), its headers (for BCC) and udev, in the chroot: only what is missing."""
    if missing := chroot.ensure_packages(ch, [*GUEST_PACKAGES, f"linux-headers-{release}"]):
        say(f"{ch.name}: installed {' '.join(missing)} in the chroot")
    # The modules go next to what the headers package put there (build, source): merged-usr's /usr/lib/modules.
    target = ch.root / "usr/lib/modules" / release
    src = _modules(kernel_tree, release)
    if not (target / "kernel").is_dir():
        say(f"{ch.name}: copying the {release} modules into the chroot")
        target.mkdir(parents=True, exist_ok=True)
        for entry in src.iterdir():
            dst = target / entry.name
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, dst, symlinks=True, dirs_exist_ok=True)
            elif not dst.exists():
                shutil.copy2(entry, dst, follow_symlinks=False)
    if not (target / "modules.dep").is_file():
        chroot.run_in(ch, ["depmod", release], check=True)


# --- the guest -------------------------------------------------------------------------------------------


def vng_command(
    kernel_tree: Path,
    release: str,
    ch: Chroot,
    k: Kernel,
    accel: Accel,
    *,
    capture: bool = False,
    only: str = "",
    timeout: float = GUEST_TIMEOUT,
) -> list[str]:
    script = f"/{chroot.CHECKOUT}/{GUEST_SCRIPT}"
    # The examples get Ctrl-C in the guest well before the host kills it: the report of those that ran survives.
    budget = max(60, int(timeout - BOOT_AND_SETUP))
    guest = shlex.join(
        [script, f"{k.timeout_scale(accel):g}", "capture" if capture else "test", only, str(budget), str(k.jobs)]
    )
    return [
        str(vng()),
        "--run",
        str(image(kernel_tree, release)),
        "--root",
        str(ch.root),
        "--rw",
        "--force-9p",
        *(() if accel.kvm else ("--disable-kvm",)),
        "--cpus",
        str(k.cpus),
        "--memory",
        MEMORY,
        "--user",
        "root",
        "--name",
        f"bpfhol-{ch.name}",
        f"--qemu-opts=-cpu {accel.cpu}",
        # The kernel's console goes to the log too: a guest that dies (an oops, a panic) says why there.
        "--verbose",
        "--exec",
        guest,
    ]


def boot(cmd: list[str], log: Path, timeout: float) -> tuple[int | None, float]:
    """Run the guest to its end or the timeout; (exit status or None when killed, seconds)."""
    t0 = time.monotonic()
    # virtme-ng's own files (its exit status): removed after, or by the guard if we are killed.
    with process.tempdir("bpfhol-vm-") as tmp, log.open("ab") as out:
        env = {**chroot.CLEAN_ENV, "PATH": f"{VENV / 'bin'}:{chroot.CLEAN_ENV['PATH']}", "TMPDIR": tmp}
        # A pipe, not the log itself: QEMU opens its stdout anew for the guest's console and for its
        # programs' output (/proc/self/fd/1), and two opens of one file overwrite each other.
        # Ctrl-C, a timeout or a normal end: QEMU and vng go with their process group.
        with process.Child(cmd, env=env, cwd="/", stderr=subprocess.STDOUT, copy_to=out) as guest:
            rc = guest.wait(timeout)
    return rc, time.monotonic() - t0


def read_guest(ch: Chroot) -> dict[str, Any]:
    """What the guest wrote: {"report": pytest's report or None, "times": the script's clock readings}."""
    out: dict[str, Any] = {"report": None, "times": {}}
    base = ch.checkout / GUEST_REPORT
    with contextlib.suppress(OSError):
        out["report"] = suite_report.read(base / "report.jsonl")
    with contextlib.suppress(OSError, ValueError):
        out["times"] = json.loads((base / "times.json").read_text())
    return out


def kernel_scoped_outputs(docs: Path) -> set[str]:
    """Shown outputs (snippets-relative) of the examples that declare a kernel range or a kernel feature
    (kprobes, CONFIG_KALLSYMS_ALL): made on another kernel.

    Every other shown output is the reference toolchain's, captured on the course machine.
    """
    examples = collect(Project(docs.parent))  # the docs suite's own reading of the pages
    return {
        ex.shown_name
        for ex in examples
        if ex.shown_name and any(r.what in ("kernel", "feature") for r in ex.spec.requires)
    }


def captured(ch: Chroot, checkout: Path) -> list[Path]:
    """Copy back the kernel-scoped shown outputs the guest re-captured; the files that changed.

    The chroot's copy of the checkout was the checkout's just before the boot, so an output that
    differs now is one the guest wrote.  Only the outputs of examples that declare a kernel range
    come back: the others, and the note naming the capture's versions, stay the reference's.
    """
    changed = []
    for name in sorted(kernel_scoped_outputs(checkout / "docs")):
        src, dst = ch.checkout / "snippets" / name, checkout / "snippets" / name
        if src.is_file() and (not dst.is_file() or dst.read_bytes() != src.read_bytes()):
            shutil.copyfile(src, dst)
            changed.append(dst)
    return changed


def clear_guest(ch: Chroot) -> None:
    shutil.rmtree(ch.checkout / GUEST_REPORT, ignore_errors=True)
    (ch.checkout / GUEST_REPORT).mkdir(parents=True)


def prepare_kernel(ch: Chroot) -> str:
    """The release's current kernel, unpacked in the cache and installed in the (mounted) chroot: its release."""
    try:
        package = kernel_package(ch)
        tree = fetch_kernel(ch, package)
    except (RuntimeError, subprocess.CalledProcessError):  # an index too old for the mirror: refresh, once
        chroot.run_in(ch, ["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
        package = kernel_package(ch)
        tree = fetch_kernel(ch, package)
    release = release_of(package)
    install_in_chroot(ch, tree, release)
    return release
