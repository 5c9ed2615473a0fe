"""KVM when there is KVM: a test boot decides how the kernel matrix's guests run.

/dev/kvm existing proves little: a nested hypervisor can expose it and still fail to run a vCPU
with the host's CPU model.  So QEMU boots a one-sector image with exactly the accelerator and CPU
model the guests would get; the sector writes to an isa-debug-exit port, which ends QEMU with a
status no failure can give.  Only then do the guests run under KVM; otherwise under TCG, as
before, and the reason is one line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

QEMU = "qemu-system-x86_64"
PROBE_TIMEOUT = 30.0  # seconds: a working accelerator needs well under one
# mov al, 0x31; out 0xf4, al; hlt; jmp $-1 -- then the boot signature.  QEMU exits (0x31 << 1) | 1.
SECTOR = bytes([0xB0, 0x31, 0xE6, 0xF4, 0xF4, 0xEB, 0xFD])
RAN = (0x31 << 1) | 1


@dataclass(frozen=True)
class Accel:
    """How the guests run: the accelerator, its CPU model, and how much slower than the host they are."""

    name: str  # kvm or tcg
    cpu: str  # QEMU's -cpu
    slowdown: float  # a guest's CPU work against the host's (TCG: measured, a Python loop)
    reason: str  # one line: why this one

    @property
    def kvm(self) -> bool:
        return self.name == "kvm"


# virtme-ng asks QEMU for `-cpu max`; TCG runs the plain qemu64 model faster (measured on Debian 13 with
# 6.12, 2 vCPUs: a one-second bpftrace tracepoint program 13.6 s against 19.2 s, a BCC compile 24.5 s
# against 32.2 s). Nothing the course traces depends on the CPU's features.
TCG_CPU = "qemu64"
TCG_SLOWDOWN = 20.0
KVM_CPU = "host"
KVM_SLOWDOWN = 1.2  # virtualised syscalls and 9p file access: an allowance, not a measurement


def boot_sector(path: Path) -> Path:
    path.write_bytes(SECTOR + bytes(510 - len(SECTOR)) + b"\x55\xaa")
    return path


def test_boot(accel: str, cpu: str, timeout: float = PROBE_TIMEOUT, qemu: str = QEMU) -> str:
    """Boot the sector under `accel` with `cpu`: "" when its code ran, else why not, in one line."""
    exe = shutil.which(qemu)
    if exe is None:
        return f"{qemu} is not installed"
    with tempfile.TemporaryDirectory(prefix="bpfhol-kvm-") as tmp:
        image = boot_sector(Path(tmp) / "boot.img")
        cmd = [exe, "-accel", accel, "-cpu", cpu, "-machine", "pc", "-m", "16", "-nodefaults", "-display", "none"]
        cmd += ["-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        cmd += ["-drive", f"file={image},format=raw,if=ide"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return f"a test boot with -accel {accel} -cpu {cpu} did not finish in {timeout:.0f} s"
    if done.returncode == RAN:
        return ""
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()] or done.stderr.splitlines()
    said = errors[0].strip() if errors else f"exit status {done.returncode}"
    return f"a test boot with -accel {accel} -cpu {cpu} failed ({said})"


def detect(dev: Path = Path("/dev/kvm"), qemu: str = QEMU) -> Accel:
    """KVM if a test boot with it works, else TCG; `reason` says why in one line."""
    if not dev.exists():
        why = f"no {dev}"
    elif not os.access(dev, os.R_OK | os.W_OK):
        why = f"{dev} is not readable and writable by this user"
    else:
        why = test_boot("kvm", KVM_CPU, qemu=qemu)
        if not why:
            return Accel("kvm", KVM_CPU, KVM_SLOWDOWN, f"KVM: a test boot with {dev} and -cpu {KVM_CPU} ran")
    return Accel("tcg", TCG_CPU, TCG_SLOWDOWN, f"no usable KVM ({why}): QEMU emulates the CPU (TCG)")
