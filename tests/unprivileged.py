"""Run a command as `nobody`, wherever the checkout lives.

Tests of the non-root paths (one-line "needs root" errors, skips without BPF) run the real
command as uid 65534.  When a tree the command needs is out of nobody's reach (a checkout
under /root, say), the command runs in a private mount namespace where that tree is also
bind-mounted at a path nobody can traverse, and its paths are rewritten to point there.
The mounts vanish with the namespace: nothing is left behind.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

NOBODY = "65534"

_ENTER = (
    'set -e; top=$1; shift; while [ "$1" != -- ]; do mount --bind "$1" "$2"; shift 2; done; shift; '
    'cd "$top"; exec setpriv --reuid=' + NOBODY + " --regid=" + NOBODY + ' --clear-groups -- "$@"'
)


def root_is_mount_point(mountinfo: Path = Path("/proc/self/mountinfo")) -> bool:
    """Is / a mount point of its own? Not in a chroot of a plain directory (mountinfo lists none at /)."""
    return any(line.split()[4] == "/" for line in mountinfo.read_text().splitlines())


def _reachable(tree: Path) -> bool:
    """Can others enter every directory down to `tree`, and list it?"""
    tree = tree.resolve()
    if tree.stat().st_mode & 0o005 != 0o005:
        return False
    return all(p.stat().st_mode & 0o001 for p in tree.parents)


def run_as_nobody(cmd: list[str], *, cwd: Path, trees: list[Path], **kwargs) -> subprocess.CompletedProcess[str]:
    """subprocess.run(cmd) as nobody; `trees` are the directories it must be able to read."""
    for tool in ("unshare", "setpriv", "mount"):
        assert shutil.which(tool), f"{tool} (util-linux) is needed to run a command as nobody"
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    if all(_reachable(t) for t in trees):
        setpriv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        return subprocess.run([*setpriv, *cmd], cwd=cwd, **kwargs)
    if not root_is_mount_point():
        pytest.skip(
            "/ is not a mount point (a chroot of a plain directory): `unshare --propagation private` cannot make"
            " the mount namespace that puts the checkout within nobody's reach (the toolchain matrix binds its"
            " chroots onto themselves, so this runs there)"
        )
    base = Path(tempfile.mkdtemp(prefix="bpfhol-nobody-"))
    try:
        base.chmod(0o755)
        moved: dict[str, str] = {}
        binds: list[str] = []
        for i, tree in enumerate(trees):
            point = base / str(i)
            point.mkdir()
            moved[str(tree.resolve())] = str(point)
            binds += [str(tree.resolve()), str(point)]

        def where(arg: str) -> str:
            for old, new in moved.items():
                if arg == old or arg.startswith(old + "/"):
                    return new + arg[len(old) :]
            return arg

        wrapped = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            _ENTER,
            "sh",
            where(str(cwd.resolve())),
            *binds,
            "--",
            *[where(a) for a in cmd],
        ]
        result = subprocess.run(wrapped, **kwargs)
        # Report paths as the caller knows them.
        for old, new in moved.items():
            result.stdout = result.stdout.replace(new, old) if isinstance(result.stdout, str) else result.stdout
            result.stderr = result.stderr.replace(new, old) if isinstance(result.stderr, str) else result.stderr
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)
