"""`./dev`'s Python side: the set-up steps that must change nothing the second time, and the commands' help."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bpfhol import config
from devtools import chroot, cli, machine


def _headers(src: Path, name: str) -> Path:
    tree = src / name
    (tree / "include/generated").mkdir(parents=True)
    (tree / "include/generated/autoconf.h").write_text("")
    return tree


def test_generic_headers_are_the_newest_and_linking_them_twice_changes_nothing(tmp_path: Path) -> None:
    src, modules = tmp_path / "usr/src", tmp_path / "lib/modules/6.18.44-custom"
    _headers(src, "linux-headers-6.1.0-9-amd64")
    newest = _headers(src, "linux-headers-6.1.0-50-amd64")  # sort -V: 50 after 9
    common = src / "linux-headers-6.1.0-50-common"
    (common / "include/linux").mkdir(parents=True)
    (common / "include/linux/kconfig.h").write_text("")
    assert not machine.headers_ready(modules)
    assert machine.link_generic_headers(modules, src, "amd64") == (newest, common)
    assert machine.headers_ready(modules)
    before = {p.name: os.readlink(p) for p in modules.iterdir()}
    machine.link_generic_headers(modules, src, "amd64")
    assert (
        {p.name: os.readlink(p) for p in modules.iterdir()} == before == {"build": str(newest), "source": str(common)}
    )
    with pytest.raises(machine.SetupError, match="no generic headers tree"):
        machine.link_generic_headers(modules, tmp_path / "empty", "amd64")


def test_the_bpfhol_command_is_linked_once(tmp_path: Path) -> None:
    link = tmp_path / "bin/bpfhol"
    link.parent.mkdir()
    link.write_text("someone else's")
    assert machine.link_cli(tmp_path / "venv", link) is True
    assert os.readlink(link) == str(tmp_path / "venv/bin/bpfhol")
    assert machine.link_cli(tmp_path / "venv", link) is False


def test_help_lists_every_command_and_a_wrong_one_gets_one_line() -> None:
    done = subprocess.run([str(config.ROOT / "dev"), "help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for name in cli.COMMANDS:
        assert f"\n  {name} " in done.stdout, name
    done = subprocess.run([str(config.ROOT / "dev"), "frobnicate"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
    assert "invalid choice: 'frobnicate'" in done.stderr


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> chroot.Chroot:
    """A busybox chroot of a plain directory (not a mount point)."""
    busybox = shutil.which("busybox")
    if os.geteuid() != 0 or not busybox:
        pytest.skip("needs root (mounts) and busybox (busybox-static)")
    monkeypatch.setattr(chroot, "CACHE", tmp_path)
    ch = chroot.Chroot("tiny", "none", "none")
    for d in ("bin", "usr/bin", "proc", "sys", "dev", "etc"):
        (ch.root / d).mkdir(parents=True)
    shutil.copy(busybox, ch.root / "bin/busybox")
    for tool in ("bin/sh", "usr/bin/env", "bin/awk", "bin/cat", "bin/sleep"):
        (ch.root / tool).symlink_to("/bin/busybox")
    return ch


def test_a_command_in_a_chroot_sees_its_mounts_and_the_host_keeps_none(tiny: chroot.Chroot) -> None:
    """/ is a mount point inside, /proc and /sys are there; after, nothing is mounted on the host."""
    done = chroot.run_in(tiny, ["sh", "-c", "awk '{print $5}' /proc/self/mountinfo"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    points = done.stdout.split()
    assert points[0] == "/" and "/proc" in points and "/sys/kernel/tracing" in points, points
    assert str(tiny.root) not in Path("/proc/self/mountinfo").read_text(), "a mount was left on the host"
    assert chroot.processes_in(tiny.root) == []


def test_a_killed_matrix_leaves_nothing_running_in_its_chroot(tiny: chroot.Chroot) -> None:
    """SIGKILL of the process that owns the chroot: its namespace holder and its commands die with it."""
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom devtools import chroot\n"
        f"chroot.CACHE = Path({str(tiny.root.parent)!r})\nch = chroot.Chroot('tiny', 'none', 'none')\n"
        "with chroot.owned(ch):\n"
        "    chroot.popen_in(ch, ['sleep', '300'], {})\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(300)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=config.ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout and owner.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 5  # the command enters the chroot a moment after it starts
        while len(chroot.processes_in(tiny.root)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(chroot.processes_in(tiny.root)) == 2  # the holder and the command
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 5
    while chroot.processes_in(tiny.root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chroot.processes_in(tiny.root) == []
