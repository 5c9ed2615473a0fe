"""Check the deep dive's table of kernel functions and files against each kernel's own source.

    python3 -m devtools.kernel_sources [SERIES...]      (root; default: every series the kernel matrix boots)

docs/syscalls/deep-dive.md holds a table between `<!-- kernel-sources -->` and the next blank
line: a row per function or macro the page names, a column per kernel series (6.1, 6.12,
6.18, 7.2), each cell the file that defines it there, or `—` where it does not exist.  For a
series the kernel matrix boots, this downloads Debian's `linux-source-<series>` with the
release's chroot's apt (once, kept under CACHE/kernel-sources) and checks every cell: the file
exists and defines the name, or, for `—`, no file extracted defines it.  The kernel matrix runs
it for each kernel (devtools.kernel_run) and records the verdict in docs/tested-on.json.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfhol import config
from bpfhol.examples.markers import page_markers
from devtools import chroot, kernels, toolchains
from devtools.chroot import Chroot

PAGE = config.DOCS / "syscalls" / "deep-dive.md"
MARK = "<!-- kernel-sources -->"
CACHE = chroot.CACHE / "kernel-sources"
ABSENT = "—"
# Where to look for a definition that the table says is absent (and for stray ones): the trees the page covers.
SEARCHED = (
    "arch/x86/entry",
    "arch/x86/include/asm",
    "include/linux",
    "include/trace",
    "kernel/entry",
    "kernel/trace",
    "kernel/bpf",
    "kernel/events",
    "kernel/fork.c",
    "kernel/tracepoint.c",
    "mm",
)


@dataclass(frozen=True)
class Row:
    name: str  # as the page writes it: `foo()`, `FOO`
    cells: dict[str, str]  # series -> file or ABSENT
    line: int

    @property
    def symbol(self) -> str:
        return self.name.strip("`").removesuffix("()")


def table(page: Path = PAGE) -> list[Row]:
    """The rows of the page's table (ValueError when the page has none, or a malformed one)."""
    lines = page.read_text().splitlines()
    marks = [m.line for m in page_markers(page) if m.name == "kernel-sources"]  # the docs suite's own reading
    if not marks:
        raise ValueError(f"{page}: no {MARK} line")
    start = marks[0]  # the line after the marker's (0-based)
    head = [c.strip() for c in lines[start].strip("|").split("|")]
    series = head[1:]
    rows = []
    for n, text in enumerate(lines[start + 2 :], start + 3):
        if not text.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in text.strip().strip("|").split("|")]
        if len(cells) != len(head):
            raise ValueError(f"{page}:{n}: {len(cells)} cells, the header has {len(head)}")
        rows.append(Row(cells[0], dict(zip(series, cells[1:])), n))
    return rows


def _definition(symbol: str) -> re.Pattern[str]:
    s = re.escape(symbol)
    return re.compile(
        rf"^(?:#\s*define\s+{s}\b"  # a macro
        rf"|SYM_\w+\({s}\b"  # an assembly entry point
        rf"|BPF_CALL_\d\({s}\b"  # a BPF helper
        rf"|(?!return\b)[A-Za-z_][^;=]*\b{s}\((?![^)]*\)\s*;))",  # a C function at the top level, not a prototype
        re.MULTILINE,
    )


def defines(path: Path, symbol: str) -> bool:
    try:
        return bool(_definition(symbol).search(path.read_text(errors="replace")))
    except OSError:
        return False


def defined_anywhere(tree: Path, symbol: str) -> list[str]:
    found = []
    for sub in SEARCHED:
        top = tree / sub
        for f in [top] if top.is_file() else sorted(top.rglob("*")):
            if f.suffix in (".c", ".h", ".S") and defines(f, symbol):
                found.append(str(f.relative_to(tree)))
    return found


def mismatches(tree: Path, series: str, rows: list[Row]) -> list[str]:
    """What the table gets wrong for this series (empty when every cell holds)."""
    wrong = []
    for row in rows:
        want = row.cells.get(series)
        if want is None:
            return [f"the table has no column for Linux {series}"]
        if want == ABSENT:
            if found := defined_anywhere(tree, row.symbol):
                wrong.append(f"line {row.line}: {row.name} is defined in Linux {series} ({', '.join(found)})")
        elif not (tree / want).is_file():
            wrong.append(f"line {row.line}: {row.name}: no file {want} in Linux {series}")
        elif not defines(tree / want, row.symbol):
            where = defined_anywhere(tree, row.symbol)
            wrong.append(
                f"line {row.line}: {row.name} is not defined in {want} in Linux {series}"
                + (f" but in {', '.join(where)}" if where else "")
            )
    return wrong


# --- the source trees ------------------------------------------------------------------------------------


def series_of(release: str) -> str:
    """6.1.0-50-amd64 -> 6.1; 7.2.13+deb14-amd64 -> 7.2."""
    return ".".join(re.findall(r"\d+", release)[:2])


def source_tree(ch: Chroot, series: str) -> tuple[Path, str]:
    """Debian's linux-source-<series>, the parts the table needs, unpacked (once): (tree, package version)."""
    dest = CACHE / series
    stamp = dest / ".bpfhol-source"
    if stamp.is_file():
        return dest, stamp.read_text().strip()
    package = f"linux-source-{series}"
    with chroot.downloaded(ch, [package]) as debs, chroot.replacing(dest) as tmp:
        (deb,) = debs
        version = subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
        ).stdout.strip()
        unpacked = deb.parent / "x"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
        (tarball,) = (unpacked / "usr/src").glob("linux-source-*.tar.*")
        top = tarball.name.split(".tar")[0]
        subprocess.run(
            [
                "tar",
                "-xf",
                str(tarball),
                "-C",
                str(tmp),
                "--strip-components=1",
                "--wildcards",
                *(f"{top}/{sub}" + ("" if "." in sub else "/*") for sub in SEARCHED),
            ],
            check=True,
        )
        (tmp / ".bpfhol-source").write_text(f"{package} {version}\n")
    return dest, stamp.read_text().strip()


def verify(ch: Chroot, release: str) -> dict[str, Any]:
    """The verdict for one kernel, as the matrix records it."""
    series = series_of(release)
    tree, source = source_tree(ch, series)
    rows = table()
    wrong = mismatches(tree, series, rows)
    return {"series": series, "source": source, "checked": len(rows), "wrong": wrong}


def main(argv: list[str]) -> int:
    try:
        wanted = kernels.resolve(argv or ["all"])
    except ValueError as e:
        print(f"kernel_sources: {e}", file=sys.stderr)
        return 2
    worst = 0
    for k in wanted:
        ch = toolchains.toolchain(k.toolchain)
        release = kernels.release_of(kernels.kernel_package(ch))
        verdict = verify(ch, release)
        print(
            f"Linux {verdict['series']} ({verdict['source']}): {verdict['checked']} names,"
            f" {len(verdict['wrong'])} wrong"
        )
        for w in verdict["wrong"]:
            print(f"  {w}")
        worst = max(worst, 1 if verdict["wrong"] else 0)
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
