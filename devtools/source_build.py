"""Another distribution's bpftrace and BCC, built from their release tags in a Debian 12 chroot.

Ubuntu's toolchains have no Debian package: a cell for one is a bookworm chroot (its LLVM 13-16
and build tools from the mirror, like any cell) into which BCC, then bpftrace against that BCC,
are built and installed under /usr, as Ubuntu's packages install them.  The chroot's package
database then names them (bpftrace, python3-bpfcc, bpfcc-tools at those versions), so the
course's `./dev setup` finds them installed and leaves them alone.  The built chroot is cached
like any other; its stamp holds the versions, so a second run builds nothing.

Sources: the upstream git repositories, fetched at build time (only the tags needed), or the
clones in the directory BPFHOL_SOURCES names (bpftrace/, bcc/, libbpf/: bare or not).  BCC's tree
takes libbpf as a submodule, which a tag's archive leaves out: it comes from libbpf's repository
at the commit BCC's tree names.  Where the sources cannot be had, `unavailable` says why in one
line and the cell is skipped.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bpfhol import config

UPSTREAM = {
    "bpftrace": "https://github.com/bpftrace/bpftrace",
    "bcc": "https://github.com/iovisor/bcc",
    "libbpf": "https://github.com/libbpf/libbpf",
}
SRC = "usr/src/bpfhol-toolchain"  # inside the chroot: the sources and their build trees
REACH_TIMEOUT = 30.0  # seconds `git ls-remote` may take to say whether upstream answers
JOBS = 2  # make -j: the machines that run the matrix are small and shared
BCC_LIBBPF = "src/cc/libbpf"  # the submodule's path in BCC's tree
# What both builds need besides LLVM (Debian 12's names).
COMMON = (
    "build-essential", "cmake", "bison", "flex", "python3", "python3-setuptools", "zlib1g-dev", "libelf-dev",
    "libfl-dev", "liblzma-dev", "libzstd-dev", "libdw-dev", "libcereal-dev", "libpcap-dev", "binutils-dev",
    "libedit-dev", "xz-utils", "pkg-config",
)  # fmt: skip


@dataclass(frozen=True)
class Build:
    """One distribution's toolchain: its release tags, and the LLVM of Debian 12's that they accept."""

    distro: str  # whose toolchain it is, as the pages name it
    bpftrace: str  # release tags
    bcc: str
    llvm: int
    libbpf: str = ""  # a libbpf release bpftrace is built against (0.x); "" for Debian 12's libbpf-dev (1.x)
    # A project's own later commits applied onto its tag, as a distribution's package carries them:
    # (repository, commit), the fixes that let an older release build with Debian 12's LLVM and binutils.
    fixes: tuple[tuple[str, str], ...] = ()
    python_shebang: bool = False  # BCC's tools say #!/usr/bin/python (0.18 to 0.24), not #!/usr/bin/env python

    def packages(self) -> tuple[str, ...]:
        llvm: tuple[str, ...] = (f"llvm-{self.llvm}-dev", f"libclang-{self.llvm}-dev", f"clang-{self.llvm}")
        if self.llvm >= 14:  # Debian 12 has Polly apart (libpolly-N-dev) for LLVM 14 and later only
            llvm += (f"libpolly-{self.llvm}-dev",)
        return (*COMMON, *llvm, *(() if self.libbpf else ("libbpf-dev",)))

    def stamp(self) -> dict[str, object]:
        return {
            "distro": self.distro,
            "bpftrace": self.bpftrace,
            "bcc": self.bcc,
            "llvm": self.llvm,
            "libbpf": self.libbpf,
            "fixes": [list(f) for f in self.fixes],
            "recipe": hashlib.sha256(recipe(self).encode()).hexdigest()[:16],  # a changed recipe builds anew
        }


def _git(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, timeout=timeout)


def local(repo: str) -> Path | None:
    """The clone BPFHOL_SOURCES holds for `repo`, or None when the setting is not given."""
    where = config.sources()
    return where / repo if where else None


def has(git_dir: Path, rev: str) -> bool:
    return _git("-C", str(git_dir), "rev-parse", "--verify", "-q", f"{rev}^{{commit}}").returncode == 0


def unavailable(b: Build) -> str:
    """Why the sources of `b` cannot be had, in one line; "" when they can."""
    wanted = [("bcc", b.bcc), ("bpftrace", b.bpftrace), *((("libbpf", b.libbpf),) if b.libbpf else ())]
    if config.sources() is not None:
        for repo, rev in [*wanted, *b.fixes]:
            clone = local(repo)
            assert clone is not None
            if not has(clone, rev):
                return f"no {repo} sources: BPFHOL_SOURCES={config.sources()} has no {repo}/ clone with {rev}"
        commit = submodule(local("bcc"), b.bcc)  # type: ignore[arg-type]
        if not has(local("libbpf"), commit):  # type: ignore[arg-type]
            return f"no libbpf sources: BPFHOL_SOURCES={config.sources()} has no libbpf/ clone with {commit}"
        return ""
    for repo, rev in wanted:
        try:
            done = _git("ls-remote", "--exit-code", "--tags", UPSTREAM[repo], rev, timeout=REACH_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"no {repo} sources: {UPSTREAM[repo]} does not answer (set BPFHOL_SOURCES to local clones)"
        if done.returncode == 2:  # --exit-code: it answered, without that tag
            return f"no {repo} sources: {UPSTREAM[repo]} has no {rev}"
        if done.returncode != 0:
            why = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1].removeprefix("fatal: ")
            return f"no {repo} sources: {why} (BPFHOL_SOURCES may name local clones)"
    return ""


def submodule(git_dir: Path, rev: str, path: str = BCC_LIBBPF) -> str:
    """The commit a tree at `rev` names for its submodule at `path`."""
    out = _git("-C", str(git_dir), "ls-tree", rev, path).stdout.split()
    if len(out) < 3 or out[1] != "commit":
        raise RuntimeError(f"{git_dir} at {rev} has no submodule {path}")
    return out[2]


def fetched(repo: str, rev: str, cache: Path) -> Path:
    """A git directory holding `rev` of `repo`: the local clone, or upstream's fetched into `cache`."""
    if clone := local(repo):
        return clone
    git_dir = cache / f"{repo}.git"
    if not has(git_dir, rev):
        if not (git_dir / "HEAD").exists():
            subprocess.run(["git", "init", "-q", "--bare", str(git_dir)], check=True)
        ref = f"refs/tags/{rev}:refs/tags/{rev}" if not _is_sha(rev) else rev
        depth = "2" if repo != "libbpf" and _is_sha(rev) else "1"  # a fix: its parent too, to diff against
        subprocess.run(["git", "-C", str(git_dir), "fetch", "-q", "--depth", depth, UPSTREAM[repo], ref], check=True)
    return git_dir


def _is_sha(rev: str) -> bool:
    return len(rev) == 40 and all(c in "0123456789abcdef" for c in rev)


def export(git_dir: Path, rev: str, dest: Path) -> None:
    """The tree at `rev` into `dest` (git archive: no history, no submodules)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(["git", "-C", str(git_dir), "archive", "--format=tar", rev], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise RuntimeError(f"git archive {rev} of {git_dir} failed")


def put_sources(b: Build, root: Path, cache: Path) -> None:
    """bcc/ (with its libbpf), bpftrace/ and (when wanted) libbpf/ under the chroot's SRC."""
    src = root / SRC
    shutil.rmtree(src, ignore_errors=True)
    bcc = fetched("bcc", b.bcc, cache)
    export(bcc, b.bcc, src / "bcc")
    commit = submodule(bcc, b.bcc)
    export(fetched("libbpf", commit, cache), commit, src / "bcc" / BCC_LIBBPF)
    export(fetched("bpftrace", b.bpftrace, cache), b.bpftrace, src / "bpftrace")
    for repo, fix in b.fixes:  # the code only: a release's CHANGELOG has moved on
        git = ["git", "-C", str(fetched(repo, fix, cache)), "diff", f"{fix}^", fix, "--", ".", ":!CHANGELOG.md"]
        diff = subprocess.run(git, capture_output=True, check=True).stdout
        subprocess.run(["patch", "-s", "-p1", "-d", str(src / repo)], input=diff, check=True)
    if b.libbpf:
        export(fetched("libbpf", b.libbpf, cache), b.libbpf, src / "libbpf")


def version(tag: str) -> str:
    return tag.removeprefix("v")


def recipe(b: Build) -> str:
    """The build, as a shell script run in the chroot: libbpf (when wanted), BCC, bpftrace; then their packages."""
    llvm = f"/usr/lib/llvm-{b.llvm}"
    steps = ["set -eux", f"cd /{SRC}"]
    if b.libbpf:  # a 0.x libbpf for bpftrace alone, where nothing else looks (BCC carries its own inside)
        steps.append(
            f"make -j{JOBS} -C libbpf/src PREFIX=/opt/libbpf LIBDIR=/opt/libbpf/lib install install_uapi_headers"
        )
    steps += [
        "cmake -S bcc -B bcc/build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DPYTHON_CMD=python3"
        f" -DREVISION={version(b.bcc)} -DLLVM_DIR={llvm}/lib/cmake/llvm -DENABLE_LLVM_SHARED=ON"
        " -DENABLE_TESTS=OFF -DENABLE_EXAMPLES=OFF -DENABLE_MAN=OFF -DENABLE_LIBDEBUGINFOD=OFF",
        f"make -j{JOBS} -C bcc/build",
        "make -C bcc/build install",
        # as Debian's and Ubuntu's packages do: the tools' `#!/usr/bin/env python` (`#!/usr/bin/python`
        # up to BCC 0.24 at least) names a command Debian 12 lacks
        "find /usr/share/bcc/tools -maxdepth 1 -type f"
        + (
            " -exec sed -i -E '1s|^#!/usr/bin/(env )?python$|#!/usr/bin/python3|' {} +"
            if b.python_shebang
            else " -exec sed -i '1s|^#!/usr/bin/env python$|#!/usr/bin/python3|' {} +"
        ),
        "ldconfig",
        # Ubuntu's bpfcc-tools names each tool NAME-bpfcc in /usr/sbin
        'for t in /usr/share/bcc/tools/*; do [ -f "$t" ] && ln -sf "$t" "/usr/sbin/$(basename "$t")-bpfcc"; done',
    ]
    prefix = "/opt/libbpf;" if b.libbpf else ""
    steps += [
        "cmake -S bpftrace -B bpftrace/build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr"
        f" -DBUILD_TESTING=OFF -DENABLE_MAN=OFF -DLLVM_REQUESTED_VERSION={b.llvm}"
        f" -DCMAKE_PREFIX_PATH='{prefix}{llvm}'"
        + (
            " -DLIBBPF_INCLUDE_DIRS=/opt/libbpf/include -DLIBBPF_LIBRARIES=/opt/libbpf/lib/libbpf.so"
            if b.libbpf
            else ""
        ),
        f"make -j{JOBS} -C bpftrace/build",
        "make -C bpftrace/build install",
        *(["echo /opt/libbpf/lib > /etc/ld.so.conf.d/bpfhol-libbpf.conf"] if b.libbpf else []),
        "ldconfig",
        "bpftrace --version",
        "python3 -c 'import bcc'",
    ]
    for name, tag in (("bpftrace", b.bpftrace), ("python3-bpfcc", b.bcc), ("bpfcc-tools", b.bcc)):
        steps.append(_registered(name, version(tag), b))
    steps.append(f"rm -rf /{SRC}")  # the build trees: hundreds of MB the cell never reads
    return "\n".join(steps) + "\n"


def _registered(name: str, ver: str, b: Build) -> str:
    """Shell that records `name` as installed at `ver` (an empty package: the files came from `make install`)."""
    d = f"/tmp/pkg-{name}"
    control = (
        f"Package: {name}\\nVersion: {ver}+bpfhol\\nArchitecture: all\\nMaintainer: bpfhol <root@localhost>\\n"
        f"Description: {name} {ver} as {b.distro} ships it, built from its release tag by devtools/source_build.py\\n"
    )
    return (
        f"mkdir -p {d}/DEBIAN && printf '{control}' > {d}/DEBIAN/control"
        f" && dpkg-deb -b {d} {d}.deb >/dev/null && dpkg -i {d}.deb && rm -rf {d} {d}.deb"
    )


def build_in(b: Build, root: Path, run: Callable[[list[str], IO[str]], int], log: Path, cache: Path) -> None:
    """Sources into the chroot at `root`, then the recipe there (its output to `log`)."""
    put_sources(b, root, cache)
    script = root / "tmp" / "bpfhol-build.sh"
    script.write_text(recipe(b))
    with log.open("a") as out:
        done = run(["bash", "/tmp/bpfhol-build.sh"], out)
    if done != 0:
        raise RuntimeError(
            f"building {b.distro}'s bpftrace {b.bpftrace} and BCC {b.bcc} failed (exit {done}); see {log}"
        )
    script.unlink()
