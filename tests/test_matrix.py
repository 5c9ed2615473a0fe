"""The toolchain matrix's pieces that need no chroot: mirror, checkout copy, result, page."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from devtools import chroot, matrix, results, tested_on, toolchains


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
    assert matrix.parse([]).names == list(toolchains.TOOLCHAINS)
    assert matrix.parse(["trixie", "unstable"]).names == ["debian13", "unstable"]
    with pytest.raises(SystemExit):
        matrix.parse(["debian99"])


def test_committed_result_renders_every_toolchain_and_example() -> None:
    result = json.loads(results.RESULT.read_text())
    page = tested_on.render(result)
    for t in result["toolchains"]:
        assert f"| {t['bpftrace']} |" in page
    examples = {(e["page"], e["line"]) for t in result["toolchains"] for e in t["examples"]}
    assert len(examples) >= 40 and page.count("\n| [") == len(examples)


def test_the_generated_tested_on_tables_are_in_step_with_the_result() -> None:
    """snippets/tested-on.md is what the writer makes of docs/tested-on.json (python -m devtools.tested_on)."""
    assert tested_on.PAGE.read_text() == tested_on.generated(results.load(results.RESULT))
    assert f'--8<-- "{tested_on.PAGE.name}"' in (results.RESULT.parent / "tested-on.md").read_text()


def _cell(name: str, outcome: str) -> dict:
    return {
        **dict(name=name, suite=toolchains.TOOLCHAINS[name], debian="12", bpftrace="0.17.0", bcc="0.26.0"),
        **dict(python="3.11", kernel="6.18", arch="x86_64", date="2026-12-01", commit="abc"),
        **dict(passed=1, failed=int(outcome == "failed"), skipped=0, wall_seconds=1.0, failures=[], skips=[]),
        "examples": [{"page": "docs/a.md", "line": 3, "snippet": "s.bt", "outcome": outcome, "reason": ""}],
    }


def test_the_result_schema_refuses_what_the_page_could_not_show() -> None:
    good = {"reference": "debian12", "toolchains": [_cell("debian12", "passed")]}
    results.validate(good)
    for broken in (
        {"toolchains": []},
        {**good, "toolchains": [{**_cell("debian12", "passed"), "passed": "282"}]},
        {**good, "toolchains": [{**_cell("debian12", "passed"), "examples": [{"page": "a.md", "line": 1}]}]},
    ):
        with pytest.raises(ValueError, match="does not fit tested-on.schema.json"):
            results.validate(broken)


def test_cells_run_apart_merge_in_matrix_order_and_a_failed_example_fails_the_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parts = []
    for name, outcome in (("unstable", "passed"), ("debian12", "passed"), ("debian13", "failed")):
        parts.append(tmp_path / f"{name}.json")
        parts[-1].write_text(json.dumps({"reference": "debian12", "toolchains": [_cell(name, outcome)]}))
    out = tmp_path / "merged.json"
    assert matrix.main(["--merge", *map(str, parts), "--output", str(out)]) == 1
    assert "FAILED debian13: example docs/a.md:3 (s.bt) failed" in capsys.readouterr().out
    merged = json.loads(out.read_text())
    assert [t["name"] for t in merged["toolchains"]] == ["debian12", "debian13", "unstable"]
    assert matrix.main(["--merge", str(parts[0]), str(parts[1]), "--output", str(out)]) == 0
    parts[0].write_text("{}")
    assert matrix.main(["--merge", str(parts[0]), "--output", str(out)]) == 2
    assert "does not fit" in capsys.readouterr().err


def test_merge_and_output_refuse_what_does_not_go_with_them() -> None:
    for bad in (["debian12", "--merge", "a.json"], ["--no-result", "--output", "x.json"], ["--merge"]):
        with pytest.raises(SystemExit):
            matrix.parse(bad)


def test_each_cell_runs_once_and_a_failed_build_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr(
        matrix, "build_missing", lambda names, rebuild: {"debian13": RuntimeError("mmdebstrap trixie failed")}
    )
    monkeypatch.setattr(
        matrix,
        "run_toolchain",
        lambda name, **kw: ran.append(name) or results.CellResult(name, toolchains.TOOLCHAINS[name], exitstatus=0),
    )
    outcomes = matrix.run(matrix.parse([]))
    assert ran == ["debian12", "unstable", "ubuntu2404", "ubuntu2204"]
    assert [(o.name, o.error) for o in outcomes] == [
        ("debian12", ""),
        ("debian13", "mmdebstrap trixie failed"),
        ("unstable", ""),
        ("ubuntu2404", ""),
        ("ubuntu2204", ""),
    ]


def test_ubuntu_cells_are_debian_12_chroots_whose_stamp_holds_the_versions_built() -> None:
    assert matrix.parse(["bookworm"]).names == ["debian12"]  # a suite names its Debian cell only
    ch = toolchains.toolchain("ubuntu2404")
    assert ch.suite == "bookworm" and ch.build is not None
    assert {"llvm-16-dev", "libbpf-dev"} <= set(ch.include)
    assert {k: v for k, v in ch.build.stamp().items() if k != "recipe"} == {
        "distro": "Ubuntu 24.04", "bpftrace": "v0.20.2", "bcc": "v0.29.1", "llvm": 16, "libbpf": "", "fixes": []
    }  # fmt: skip
    assert ch.stamp()["source_build"] == ch.build.stamp()  # the versions key the cached chroot
    old = toolchains.toolchain("ubuntu2204")
    assert (
        old.build is not None and old.build.llvm <= 14 and "libbpf-dev" not in old.include
    )  # bpftrace 0.14: libbpf 0.x
    assert "source_build" not in toolchains.toolchain("debian12").stamp()  # a Debian cell's stamp is unchanged


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


def _repo(path: Path, tag: str, submodule: str = "") -> str:
    """A clone with one commit tagged `tag` (with a gitlink to `submodule` at BCC's libbpf path): its commit."""
    _git("init", "-q", str(path))
    (path / "README").write_text(f"{path.name} {tag}\n")
    _git("-C", str(path), "add", "README")
    if submodule:
        _git("-C", str(path), "update-index", "--add", "--cacheinfo", f"160000,{submodule},src/cc/libbpf")
    _git("-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", tag)
    _git("-C", str(path), "tag", tag)
    return _git("-C", str(path), "rev-parse", "HEAD")


def test_without_their_sources_the_ubuntu_cells_are_skipped_saying_why_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(chroot, "CACHE", tmp_path / "cache")
    monkeypatch.setenv("BPFHOL_SOURCES", str(tmp_path / "src"))
    outcomes = matrix.run(matrix.parse(["ubuntu2404", "ubuntu2204"]))
    assert [(o.name, o.ok) for o in outcomes] == [("ubuntu2404", True), ("ubuntu2204", True)]
    lines = capsys.readouterr().out.splitlines()
    setting = f"BPFHOL_SOURCES={tmp_path / 'src'}"
    assert lines == [
        f"[matrix] ubuntu2404: skipped: no bcc sources: {setting} has no bcc/ clone with v0.29.1",
        f"[matrix] ubuntu2204: skipped: no bcc sources: {setting} has no bcc/ clone with v0.18.0",
    ]
    out = tmp_path / "result.json"
    results.write_result(outcomes, out)
    assert json.loads(out.read_text())["toolchains"] == []  # nothing ran: nothing recorded
    assert not (tmp_path / "cache" / "ubuntu2404").exists()


def test_local_clones_give_the_tags_and_bccs_libbpf_at_the_commit_its_tree_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from devtools import source_build

    src = tmp_path / "src"
    build = toolchains.BUILT["ubuntu2404"]
    libbpf = _repo(src / "libbpf", "v1.2.0")
    _repo(src / "bcc", build.bcc, submodule="0" * 39 + "1")
    _repo(src / "bpftrace", build.bpftrace)
    monkeypatch.setenv("BPFHOL_SOURCES", str(src))
    assert (
        source_build.unavailable(build)
        == f"no libbpf sources: BPFHOL_SOURCES={src} has no libbpf/ clone with {'0' * 39}1"
    )
    subprocess.run(["rm", "-rf", str(src / "bcc")], check=True)
    _repo(src / "bcc", build.bcc, submodule=libbpf)
    assert source_build.unavailable(build) == ""
    root = tmp_path / "root"
    source_build.put_sources(build, root, tmp_path / "cache")
    tree = root / source_build.SRC
    assert (tree / "bcc/README").read_text() == f"bcc {build.bcc}\n"
    assert (tree / "bcc/src/cc/libbpf/README").read_text() == "libbpf v1.2.0\n"
    assert (tree / "bpftrace/README").read_text() == f"bpftrace {build.bpftrace}\n"
    assert not (tmp_path / "cache").exists()  # local clones: nothing fetched


def test_only_warnings_the_pages_explain_leave_a_cell_passing() -> None:
    bcc_018 = (
        "include/linux/compiler-clang.h:69:9: warning: '__HAVE_BUILTIN_BSWAP32__' macro redefined [-Wmacro-redefined]"
    )
    other = "prog.c:3:1: warning: unused variable 'x' [-Wunused-variable]"

    def cell(warnings: list[str]) -> results.CellResult:
        example = {"page": "docs/a.md", "line": 3, "snippet": "s.py", "outcome": "passed", "warnings": warnings}
        test = {"id": "docs/a.md::line:3,column:1", "outcome": "passed"}
        return results.CellResult("ubuntu2204", "bookworm", tests=[test], examples=[example], exitstatus=0)

    assert cell([bcc_018]).ok
    assert not cell([bcc_018, other]).ok
    assert cell([bcc_018, other]).warnings() == [("s.py", other)]
