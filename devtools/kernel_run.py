"""One kernel cell: the docs examples in a VM booted with Debian's kernel of that series (devtools.kernels).

On the host's kernel first, in the release's toolchain chroot: the checkout, `./dev setup`, the
guest kernel's modules and headers, and the deep dive's source table checked against the kernel's
source.  Then the VM, with the chroot as its root filesystem.
"""

from __future__ import annotations

import subprocess
import time
from typing import Any

from bpfhol import config
from devtools import chroot, kernel_sources, kernels, kvm
from devtools.chroot import Chroot, say
from devtools.results import CellResult
from devtools.toolchain_run import prepare, set_up, versions
from devtools.toolchains import toolchain


def timings(times: dict[str, Any]) -> dict[str, float]:
    """The guest's own clock: boot to its first command, `./dev setup`, the examples."""
    if "booted" not in times:
        return {}
    booted, done_setup, done = float(times["booted"]), float(times["set_up"]), float(times["done"])
    return {"boot": booted, "setup": done_setup - booted, "examples": done - done_setup}


def kvm_estimate(times: dict[str, Any], accel: kvm.Accel) -> dict[str, float]:
    """An estimate, not a measurement: each phase's time had the guest's CPU work run at KVM's speed.

    A phase took `wall` seconds while the vCPUs were busy `cpu` seconds in all; at best that work was
    spread over the vCPUs, so `cpu / vcpus` seconds of the wall were CPU-bound, and KVM would do them
    `slowdown / KVM_SLOWDOWN` times faster.  The rest (sleeps, the examples' trace windows) stays.
    """
    cpu, vcpus = times.get("cpu"), int(times.get("cpus", 1))
    if accel.kvm or not cpu or "booted" not in times:
        return {}
    speedup = accel.slowdown / kvm.KVM_SLOWDOWN
    out, wall0, cpu0 = {}, 0.0, 0.0
    for name, key in (("boot", "booted"), ("setup", "set_up"), ("examples", "done")):
        wall, busy = float(times[key]) - wall0, float(cpu[key]) - cpu0
        bound = min(wall, busy / vcpus)
        out[name] = round(wall - bound + bound / speedup, 1)
        wall0, cpu0 = float(times[key]), float(cpu[key])
    return out


def prepare_host_side(ch: Chroot, result: CellResult, log_name: str) -> str:
    """The chroot made ready on the host's kernel: the guest kernel's release."""
    prepare(ch)
    log = chroot.CACHE / log_name
    if set_up(ch, log) != 0:
        raise RuntimeError(f"./dev setup failed in the chroot; see {log}")
    release = kernels.prepare_kernel(ch)
    result.versions = versions(ch)
    try:  # the deep dive's table of kernel functions and files, against this kernel's own source
        result.sources = kernel_sources.verify(ch, release)
    except (ValueError, OSError, subprocess.CalledProcessError) as e:
        result.sources = {"wrong": [f"could not check the deep dive's kernel sources: {e}"]}
    return release


def run_kernel(
    k: kernels.Kernel,
    accel: kvm.Accel,
    *,
    timeout: float,
    built: float | None = None,
    only: str = "",
    capture: bool = False,
) -> CellResult:
    """The docs examples in a VM booted with Debian's kernel of that series, the toolchain's chroot as root."""
    ch = toolchain(k.toolchain)
    log = chroot.CACHE / f"{k.result_name}.log"
    log.write_text("")
    result = CellResult(k.result_name, ch.suite, log=str(log), vm=k.series, partial=bool(only), accel=accel.name)
    t0 = time.monotonic()
    if not chroot.is_built(ch):
        raise RuntimeError(f"no {ch.suite} chroot in {ch.root}; see {log.with_name(k.toolchain + '-build.log')}")
    with chroot.owned(ch):
        release = prepare_host_side(ch, result, log.name)
        kernels.clear_guest(ch)
        cmd = kernels.vng_command(
            kernels.KERNELS_DIR / release, release, ch, k, accel, capture=capture, only=only, timeout=timeout
        )
        say(
            f"{result.name}: booting Linux {release} under QEMU ({accel.name.upper()}, {k.cpus} vCPU,"
            f" {k.jobs} example(s) at once) with the {ch.suite} chroot as root (log {log}, at most {timeout:.0f} s)"
        )
        rc, wall = kernels.boot(cmd, log, timeout)
    guest = kernels.read_guest(ch)
    if capture:
        for path in kernels.captured(ch, config.ROOT):
            say(f"{result.name}: re-captured {path.relative_to(config.ROOT)}")
    result.versions["kernel"] = guest["times"].get("kernel", release)
    read_guest_report(result, guest, rc, timeout, log_name=str(log))
    if estimate := kvm_estimate(guest["times"], accel):
        say(f"{result.name}: under KVM, estimated from the guest's CPU time (not measured): " + _phases(estimate))
    result.timings["vm"] = wall
    result.timings["wall"] = time.monotonic() - t0 + (built or 0.0)
    return result


def _phases(times: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f} s" for k, v in times.items()) + f" = {sum(times.values()) / 60:.1f} min"


def read_guest_report(result: CellResult, guest: dict[str, Any], rc: int | None, timeout: float, log_name: str) -> None:
    """What the guest wrote, into the outcome; why there is nothing, when there is nothing."""
    times = guest["times"]
    report = guest["report"] or {}
    result.tests, result.examples = report.get("tests", []), report.get("examples", [])
    result.exitstatus = rc
    if rc is None:
        result.error = f"the guest ran past {timeout:.0f} s and was killed; see {log_name}"
    elif not report:
        result.error = f"the guest wrote no report (exit status {rc}); see {log_name}"
    result.timings.update(timings(times))
