"""Minimal Debian chroots that trace on the host's kernel: built once by mmdebstrap, each command in a mount namespace.

A chroot is `mmdebstrap --variant=minbase` of one Debian suite from the mirror the host's apt
already uses, cached under BPFHOL_MATRIX_CACHE (default /var/cache/bpfhol-matrix).  A stamp
records what was built; a later run reuses the chroot when the stamp matches.

Every command runs through `unshare --mount`: in a mount namespace of its own, the chroot is
bound onto itself (so its / is a mount point, as `unshare --propagation private` inside needs),
and /proc, /sys (tracefs, BTF) and /dev are mounted in it.  Those mounts live as long as the
namespace's processes do: nothing is ever unmounted by hand, and nothing is left on the host.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from typing import IO, Any

from bpfhol import config, process
from devtools import source_build
from devtools.source_build import Build

CACHE = config.matrix_cache()
STAMP = ".bpfhol-matrix-stamp"
CHECKOUT = "root/bpfhol"  # where the course's checkout lives inside a chroot
# Besides minbase: the CA bundle (pip needs it before set-up installs it), and git, as on a machine
# that cloned the course.
INCLUDE = ("ca-certificates", "git")
# Index files of a suite still in development can be past their Valid-Until on a mirror.
APT_OPTIONS = ('Acquire::Check-Valid-Until "false"',)
# Locally trusted CAs (a proxy's) go in too: pip in the chroot reaches PyPI through them.
LOCAL_CAS = "/usr/local/share/ca-certificates"
CLEAN_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}
# Run by `unshare --mount --propagation private`: $1 the chroot, then `env -i` assignments and argv.
# The host's name resolution is bound over the chroot's, so a changed resolv.conf never needs a rebuild.
ENTER = r"""set -e
r=$1; shift
mount --bind "$r" "$r"
mount -t proc proc "$r/proc"
mount --rbind /sys "$r/sys"
mount --rbind /dev "$r/dev"
for f in etc/resolv.conf etc/hosts; do
  if [ -f "/$f" ] && [ -f "$r/$f" ] && [ ! -L "$r/$f" ]; then mount --bind "/$f" "$r/$f"; fi
done
exec chroot "$r" "$@"
"""
# A source-built cell's BCC may be older than 0.26, which finds tracepoints only under debugfs
# (/sys/kernel/debug/tracing; BCC's dcd8a9ad added tracefs): systemd mounts it on an Ubuntu or
# Debian machine, and this one, in the namespace only, as that machine would have it.
ENTER_DEBUGFS = ENTER.replace("exec chroot", 'mount -t debugfs debugfs "$r/sys/kernel/debug"\nexec chroot')
# Chroot name -> the process holding the mount namespace its commands share while `owned()`.
_HOLDERS: dict[str, process.Child] = {}
HOLDER_START = 10.0  # seconds the holder may take to mount and enter the chroot


def say(msg: str) -> None:
    """A progress line of the matrix (toolchains and kernels alike)."""
    print(f"[matrix] {msg}", flush=True)


@dataclass(frozen=True)
class Chroot:
    name: str
    suite: str
    mirror: str
    build: Build | None = None  # another distribution's bpftrace and BCC, built from source in it

    @property
    def include(self) -> list[str]:
        return [*INCLUDE, *(self.build.packages() if self.build else ())]

    @property
    def root(self) -> Path:
        return CACHE / self.name

    @property
    def checkout(self) -> Path:
        return self.root / CHECKOUT

    def stamp(self) -> dict[str, object]:
        """What the chroot holds: a cached one is reused only while all of it matches."""
        return {
            "suite": self.suite,
            "mirror": self.mirror,
            "variant": "minbase",
            "include": self.include,
            "aptopt": list(APT_OPTIONS),
            **({"source_build": self.build.stamp()} if self.build else {}),
        }


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


def mmdebstrap_command(ch: Chroot, target: Path) -> list[str]:
    """One call builds and configures the chroot; its own mounts stay in a namespace that dies with it."""
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "mmdebstrap",
        "--variant=minbase",
        f"--include={','.join(ch.include)}",
        *(f"--aptopt={opt}" for opt in APT_OPTIONS),
        f'--customize-hook=if ls {LOCAL_CAS}/*.crt >/dev/null 2>&1; then cp {LOCAL_CAS}/*.crt "$1{LOCAL_CAS}/";'
        ' chroot "$1" update-ca-certificates >/dev/null; fi',
        ch.suite,
        str(target),
        ch.mirror,
    ]


def build(ch: Chroot, log: Path) -> None:
    """mmdebstrap into a temporary directory, then move it into place: never a half chroot."""
    tmp = ch.root.with_name(ch.name + ".new")
    kill_all_in(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log.open("a") as out:
            done = subprocess.run(mmdebstrap_command(ch, tmp), stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise RuntimeError(f"mmdebstrap {ch.suite} failed (exit {done.returncode}); see {log}")
        if ch.build:
            built = dataclasses.replace(ch, name=tmp.name)

            def run(argv: list[str], out: IO[str]) -> int:
                return run_in(built, argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT).returncode

            source_build.build_in(ch.build, tmp, run, log, CACHE / "sources")
        (tmp / STAMP).write_text(json.dumps(ch.stamp()) + "\n")
        if ch.root.exists():
            kill_all_in(ch.root)
            shutil.rmtree(ch.root)
        tmp.rename(ch.root)
    finally:  # Ctrl-C too: what mmdebstrap ran in the target goes, and so does the half-built tree
        kill_all_in(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def command_in(ch: Chroot, argv: list[str], env: dict[str, str] | None = None) -> list[str]:
    """argv run in the chroot with a clean environment: in the namespace `owned()` holds, else in one of its own."""
    clean = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in {**CLEAN_ENV, **(env or {})}.items()), *argv]
    if holder := _HOLDERS.get(ch.name):
        return ["nsenter", f"--mount=/proc/{holder.pid}/ns/mnt", "--", "chroot", str(ch.root), *clean]
    enter = ENTER_DEBUGFS if ch.build else ENTER
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", enter, "sh", str(ch.root), *clean]


def run_in(ch: Chroot, argv: list[str], *, env: dict[str, str] | None = None, **kw: Any) -> subprocess.CompletedProcess:
    """Run argv in the chroot (nothing of the host's shell leaks in)."""
    return subprocess.run(command_in(ch, argv, env), **kw)


def popen_in(ch: Chroot, argv: list[str], env: dict[str, str], **kw: Any) -> process.Child:
    """Start argv in the chroot as a bpfhol.process.Child: a process group of its own (Ctrl-C reaches all of
    it), and it dies with the matrix. The owner's mark goes in with it: `env -i` would drop it."""
    marked = {**env, process.OWNER_ENV: process.owner_mark()}
    return process.Child(command_in(ch, argv, marked), **kw)


def ensure_packages(ch: Chroot, packages: list[str]) -> list[str]:
    """Install those of `packages` the chroot lacks; the ones installed."""
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


# --- what runs in a chroot -----------------------------------------------------------------------------


def processes_in(root: Path) -> list[int]:
    """Processes whose root directory is the chroot (or below it), whatever mount namespace they are in."""
    want = str(root.resolve()) if root.exists() else str(root)
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


def _hold(ch: Chroot) -> process.Child:
    """A process that sleeps in the chroot, in a mount namespace the block's commands then join.

    One namespace for all: a suite's parts that run side by side see each other's processes and files
    by the same paths (a lab another part started is not taken for something left behind).
    """
    holder = popen_in(ch, ["sleep", "infinity"], {}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    want = str(ch.root.resolve())

    def entered() -> bool:
        with contextlib.suppress(OSError):
            return os.readlink(f"/proc/{holder.pid}/root") == want  # mounted, and in the chroot
        return False

    if process.until(lambda: holder.returncode is not None or entered(), HOLDER_START) and entered():
        return holder
    holder.kill()
    raise RuntimeError(f"could not enter {ch.root} in a mount namespace of its own (exit {holder.returncode})")


@contextlib.contextmanager
def owned(ch: Chroot) -> Iterator[Chroot]:
    """The chroot to ourselves for the block, its commands in one mount namespace; what is left is killed after.

    Refused while another run uses it.  With the processes gone the namespace goes too, and with it every mount.
    """
    if busy := processes_in(ch.root):
        raise RuntimeError(f"{ch.root} is in use (pids {', '.join(map(str, busy))}): leave it, then run again")
    _HOLDERS[ch.name] = _hold(ch)
    try:
        yield ch
    finally:
        holder = _HOLDERS.pop(ch.name)
        kill_all_in(ch.root)
        holder.wait()
