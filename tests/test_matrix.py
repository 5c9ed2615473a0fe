"""The toolchain matrix's pieces that need no chroot: mirror, checkout copy, result, page."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from devtools import chroot, matrix, tested_on


def test_host_mirror_reads_deb822_and_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    assert chroot.host_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "sources.list").write_text("deb [arch=amd64] http://other.example/debian/ bookworm main\n")
    assert chroot.host_mirror(tmp_path) == "http://other.example/debian"


def test_checkout_copy_is_a_clone_and_keeps_the_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    (src / ".gitignore").write_text("ignored\n")
    (src / "a").write_text("a\n")
    (src / "ignored").write_text("x\n")
    monkeypatch.setattr(chroot, "CACHE", tmp_path / "cache")
    ch = chroot.Chroot("t", "sid", "http://m/debian")
    assert chroot.sync_checkout(src, ch) == 2  # a and .gitignore, never an ignored file
    assert not (ch.checkout / "ignored").exists()
    (ch.checkout / ".venv").mkdir()
    assert chroot.sync_checkout(src, ch) == 0  # nothing changed: nothing copied
    (src / "a").unlink()
    (src / "b").write_text("b\n")
    assert chroot.sync_checkout(src, ch) == 1
    assert not (ch.checkout / "a").exists() and (ch.checkout / "b").is_file() and (ch.checkout / ".venv").is_dir()


def test_names_select_toolchains_by_name_or_suite() -> None:
    assert matrix.parse([]).names == list(matrix.TOOLCHAINS)
    assert matrix.parse(["trixie", "unstable"]).names == ["debian13", "unstable"]
    with pytest.raises(SystemExit):
        matrix.parse(["debian99"])


def test_committed_result_renders_every_toolchain_and_example() -> None:
    result = json.loads(tested_on.RESULT.read_text())
    page = tested_on.render(result)
    for t in result["toolchains"]:
        assert f"| {t['bpftrace']} |" in page
    examples = {(e["page"], e["line"]) for t in result["toolchains"] for e in t["examples"]}
    assert len(examples) >= 40 and page.count("\n| [") == len(examples)
