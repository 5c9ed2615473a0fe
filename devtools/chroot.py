"""Minimal Debian chroots that trace on the host's kernel: build once, reuse, mount, clean up.

A chroot is `debootstrap --variant=minbase` of one Debian suite from the mirror the host's
apt already uses, cached under BPFHOL_MATRIX_CACHE (default /var/cache/bpfhol-matrix).  A
stamp records what was bootstrapped; a later run reuses the chroot when the stamp matches.
While a suite runs, /proc, /sys (with tracefs) and /dev are mounted inside; `mounted()`
undoes them, and kills whatever still runs in the chroot, however the block ends.
"""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfhol import process

CACHE = Path(os.environ.get("BPFHOL_MATRIX_CACHE", "/var/cache/bpfhol-matrix"))
STAMP = ".bpfhol-matrix-stamp"
CHECKOUT = "root/bpfhol"  # where the course's checkout lives inside a chroot
# Besides minbase: the CA bundle (pip needs it before setup installs it), and git, as on a machine
# that cloned the course.  A chroot built without one gets it installed by configure().
INCLUDE = ("ca-certificates", "git")
# Files of the host's network setup a chroot needs (name resolution, locally trusted CAs).
HOST_FILES = ("etc/resolv.conf", "etc/hosts")
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
# Index files of a suite still in development can be past their Valid-Until on a mirror.
APT_CONF = 'Acquire::Check-Valid-Until "false";\n'
CLEAN_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}


def say(msg: str) -> None:
    """A progress line of the matrix (toolchains and kernels alike)."""
    print(f"[matrix] {msg}", flush=True)


@dataclass(frozen=True)
class Chroot:
    name: str
    suite: str
    mirror: str

    @property
    def root(self) -> Path:
        return CACHE / self.name

    @property
    def checkout(self) -> Path:
        return self.root / CHECKOUT

    def stamp(self) -> dict[str, object]:
        return {"suite": self.suite, "mirror": self.mirror, "variant": "minbase"}


def host_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror the host's apt uses (first `debian` URI of its sources)."""
    files = [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))]
    for f in files:
        try:
            text = f.read_text()
        except OSError:
            continue
        for m in re.finditer(r"(?:^deb\s+(?:\[[^]]*\]\s+)?|^URIs:\s*)(\S+/debian)/?\s", text, re.MULTILINE):
            return m.group(1)
    return "http://deb.debian.org/debian"


def is_built(ch: Chroot) -> bool:
    try:
        stamp = json.loads((ch.root / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return all(stamp.get(k) == v for k, v in ch.stamp().items())


def build(ch: Chroot, log: Path) -> None:
    """debootstrap into a temporary directory, then move it into place: never a half chroot."""
    tmp = ch.root.with_name(ch.name + ".new")
    unmount_all(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    if ch.root.exists():
        unmount_all(ch.root)
        shutil.rmtree(ch.root)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", ch.suite, str(tmp), ch.mirror]
    try:
        with log.open("a") as out:
            done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f"debootstrap {ch.suite} failed (exit {done.returncode}); see {log}")
    except BaseException:  # Ctrl-C too: debootstrap mounts /proc and /sys in the target while it works
        kill_all_in(tmp)
        unmount_all(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / STAMP).write_text(json.dumps(ch.stamp()) + "\n")
    tmp.rename(ch.root)


def _install(src: Path, dst: Path) -> bool:
    """Copy src to dst unless identical; True when dst changed."""
    if dst.is_file() and not dst.is_symlink() and filecmp.cmp(src, dst, shallow=False):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    shutil.copy2(src, dst)
    return True


def configure(ch: Chroot) -> None:
    """The host's network view (DNS, local CAs, apt's Valid-Until leniency); only what changed."""
    for name in HOST_FILES:
        if (Path("/") / name).is_file():
            _install(Path("/") / name, ch.root / name)
    conf = ch.root / "etc/apt/apt.conf.d/99bpfhol-matrix"
    if not conf.is_file() or conf.read_text() != APT_CONF:
        conf.write_text(APT_CONF)
    ensure_packages(ch)
    cas = ch.root / "usr/local/share/ca-certificates"
    changed = [_install(c, cas / c.name) for c in sorted(LOCAL_CAS.glob("*.crt"))]
    if any(changed):
        run_in(ch, ["update-ca-certificates"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ensure_packages(ch: Chroot, packages: tuple[str, ...] | list[str] = INCLUDE) -> list[str]:
    """Install those of `packages` the chroot lacks (the chroot mounted); the ones installed."""
    missing = [
        p
        for p in packages
        if run_in(ch, ["dpkg-query", "-W", "-f", "${Status}", p], capture_output=True, text=True).stdout
        != "install ok installed"
    ]
    if missing:
        run_in(ch, ["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
        run_in(
            ch,
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
            env={"DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
            check=True,
        )
    return missing


@contextlib.contextmanager
def downloaded(ch: Chroot, packages: list[str]) -> Iterator[list[Path]]:
    """The .deb files of `packages`, fetched by the chroot's own apt into its /tmp; removed after the block."""
    work = ch.root / "tmp" / "bpfhol-download"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        run_in(
            ch,
            ["sh", "-c", "cd /tmp/bpfhol-download && apt-get download -q " + " ".join(packages)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        yield sorted(work.glob("*.deb"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def replacing(dest: Path) -> Iterator[Path]:
    """A fresh directory beside `dest` to fill; it becomes `dest` only if the block completes."""
    tmp = dest.with_name(dest.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def tracked_files(checkout: Path) -> list[str]:
    """The checkout's files as a clone would have them: tracked and new ones, not ignored ones."""
    out = subprocess.run(
        ["git", "-C", str(checkout), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted({f for f in out.split("\0") if f and (checkout / f).is_file()})


def sync_checkout(src: Path, ch: Chroot) -> int:
    """Mirror the checkout's files into the chroot; keep what setup made there (.venv). Files changed."""
    dst = ch.checkout
    manifest = dst / ".bpfhol-matrix-files"
    files = tracked_files(src)
    before = set(manifest.read_text().splitlines()) if manifest.is_file() else set()
    for gone in before - set(files):
        (dst / gone).unlink(missing_ok=True)
    changed = 0
    for f in files:
        s, d = src / f, dst / f
        if d.is_file() and s.stat().st_mtime == d.stat().st_mtime and s.stat().st_size == d.stat().st_size:
            continue
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(s, d)
        changed += 1
    manifest.write_text("\n".join(files) + "\n")
    return changed


def run_in(ch: Chroot, argv: list[str], *, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    """Run argv in the chroot with a clean environment (nothing of the host's shell leaks in)."""
    cmd = ["chroot", str(ch.root), "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in {**CLEAN_ENV, **(env or {})}.items())]
    return subprocess.run([*cmd, *argv], **kw)


def popen_in(ch: Chroot, argv: list[str], env: dict[str, str], **kw: Any) -> process.Child:
    """Start argv in the chroot as a bpfhol.process.Child (its own process group; it dies with us)."""
    cmd = ["chroot", str(ch.root), "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in {**CLEAN_ENV, **env}.items())]
    return process.Child([*cmd, *argv], **kw)


# --- mounts --------------------------------------------------------------------------------------------


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below root, deepest last (from /proc/self/mountinfo)."""
    prefix = str(root.resolve()) if root.exists() else str(root)
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    return found


def processes_in(root: Path) -> list[int]:
    """Processes whose root directory is the chroot (or below it)."""
    want = str(root.resolve())
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                r = os.readlink(d / "root")
            except OSError:
                continue
            if r == want or r.startswith(want + "/"):
                pids.append(int(d.name))
    return pids


def kill_all_in(root: Path, timeout: float = 5.0) -> list[int]:
    """SIGKILL every process in the chroot; return those still there after `timeout`."""
    deadline = time.monotonic() + timeout
    while (pids := processes_in(root)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    return processes_in(root)


def unmount_all(root: Path) -> None:
    """Undo every mount under root, deepest first; lazily if one stays busy."""
    if not root.exists():
        return
    for point in reversed(mounts_under(root)):
        if subprocess.run(["umount", point], stderr=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)
    left = mounts_under(root)
    if left:
        raise RuntimeError(f"could not unmount: {', '.join(left)}")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


@contextlib.contextmanager
def mounted(ch: Chroot) -> Iterator[Chroot]:
    """/ bound on itself, /proc, /sys (rbind: tracefs, securityfs, BTF) and /dev inside; undone on any exit."""
    root = ch.root
    if busy := processes_in(root):
        raise RuntimeError(f"{root} is in use (pids {', '.join(map(str, busy))}): leave it, then run again")
    unmount_all(root)  # a previous run killed before it could clean up
    try:
        # The chroot's / a mount point of its own, as on a machine: `unshare --propagation` needs one.
        _mount("--bind", str(root), str(root))
        _mount("--make-private", str(root))
        _mount("-t", "proc", "proc", str(root / "proc"))
        for fs in ("sys", "dev"):
            _mount("--rbind", f"/{fs}", str(root / fs))
            _mount("--make-rslave", str(root / fs))  # unmounting here never reaches the host's mounts
        yield ch
    finally:
        kill_all_in(root)
        unmount_all(root)
