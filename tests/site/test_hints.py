"""Hints teach; they never hand out the solution's program.

Each exercise has collapsed hints (`??? tip "..."`) and a collapsed solution
(`??? success "..."`) that includes its programs from snippets/.  A hint may name
what to look at, which probe, which argument, the shape of the program; a line
of the solution's program itself must not appear in any hint of the page.

Lines too trivial to give anything away are ignored: blank lines, comments and
preprocessor lines, lone braces, bare probe names (naming the probe is a hint's
job), and lines shorter than MIN_CHARS once whitespace is collapsed.  A hint's
inline code span of MIN_SPAN characters or more must not be a piece of a
solution's line either (`@openat[comm, str(args->filename)]` is most of one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"
PROGRAM_SUFFIXES = (".bt", ".py", ".sh")
MIN_CHARS = 12
MIN_SPAN = 20  # an inline code span in a hint this long may not be a piece of a solution's line

ADMONITION = re.compile(r"^(?P<indent> *)(?P<mark>\?\?\?\+?|!!!) (?P<kind>[\w-]+)(?: +\"(?P<title>[^\"]*)\")?\s*$")
INCLUDE = re.compile(r"""^\s*-{1,2}8<-{1,2}\s+["']([^"']+)["']""")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>.*)$")
PROBE_ONLY = re.compile(r"^[a-z_]+:[\w:*.\-]*,?$")
TRIVIAL = re.compile(r"^[{}()\[\];,]*$")
COMMENT = re.compile(r"^(#|//|/\*|\*|\*/|--)")
CODE_SPAN = re.compile(r"`([^`]+)`")


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the admonition's first line
    kind: str  # "tip", "success", ...
    title: str
    body: list[str]  # the body, dedented


def _blocks(page: Path, text: str | None = None) -> list[Block]:
    """Every `??? kind "title"` block of a page, nested ones included, with its body."""
    lines = (page.read_text() if text is None else text).splitlines()
    blocks = []
    for i, line in enumerate(lines):
        m = ADMONITION.match(line)
        if not m or not m["mark"].startswith("???"):
            continue
        indent = len(m["indent"]) + 4
        body = []
        for nxt in lines[i + 1 :]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip(" ")) < indent:
                break
            body.append(nxt[indent:])
        blocks.append(Block(page, i + 1, m["kind"], m["title"] or "", body))
    return blocks


def _program_lines(block: Block) -> list[tuple[str, str]]:
    """(where, line) for each line of the programs a solution shows: included snippets and inline code."""
    out = []
    in_fence = False
    for line in block.body:
        m = INCLUDE.match(line)
        if m and m[1].endswith(PROGRAM_SUFFIXES):
            path = SNIPPETS / m[1]
            out += [(f"snippets/{m[1]}", ln) for ln in path.read_text().splitlines()]
            continue
        f = FENCE.match(line)
        if f:
            in_fence = not in_fence
            continue
        if in_fence and not INCLUDE.match(line):
            out.append((f"{block.page.relative_to(ROOT)}:{block.line}", line))
    return out


def _norm(text: str) -> str:
    return " ".join(text.replace("`", " ").split())


def telling(line: str) -> bool:
    """Whether a program line says enough that a hint must not contain it."""
    s = line.strip()
    if not s or COMMENT.match(s) or TRIVIAL.match(s) or PROBE_ONLY.match(s):
        return False
    return len(_norm(s)) >= MIN_CHARS


def exercise_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if any(b.kind == "tip" for b in _blocks(p)))


def leaks(page: Path, text: str | None = None) -> list[str]:
    """Lines of a solution's program that appear inside a hint of the same page."""
    blocks = _blocks(page, text)
    hints = [(b, _norm("\n".join(b.body))) for b in blocks if b.kind == "tip"]
    spans = [
        (b, _norm(m[1]))
        for b in blocks
        if b.kind == "tip"
        for m in CODE_SPAN.finditer("\n".join(b.body))
        if len(_norm(m[1])) >= MIN_SPAN
    ]
    found = []
    for sol in (b for b in blocks if b.kind == "success"):
        for where, line in _program_lines(sol):
            if not telling(line):
                continue
            needle = _norm(line)
            for hint, text in hints:
                if needle in text:
                    found.append(
                        f'{page.relative_to(ROOT)}:{hint.line}: hint "{hint.title}" contains {needle!r} '
                        f'from the solution "{sol.title}" ({where})'
                    )
            for hint, span in spans:
                if span in needle and span != needle:
                    found.append(
                        f'{page.relative_to(ROOT)}:{hint.line}: hint "{hint.title}" quotes {span!r}, '
                        f'part of {needle!r} in the solution "{sol.title}" ({where})'
                    )
    return found


def test_some_pages_have_hints() -> None:
    assert exercise_pages(), "no page has a ??? tip block: the hint parser no longer matches the pages"


@pytest.mark.parametrize("page", exercise_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_no_solution_line_in_a_hint(page: Path) -> None:
    found = leaks(page)
    assert not found, "a hint gives the solution away:\n  " + "\n  ".join(found)


def test_the_check_catches_a_leak() -> None:
    """The checker itself: a hint quoting a solution's line is caught, a probe name is not."""
    page = DOCS / "syscalls" / "leak-probe.md"  # never written: the text is passed in
    snippet = SNIPPETS / "syscalls" / "mmap-top-caller.bt"
    body = (
        '??? tip "Hint"\n\n    Use `tracepoint:syscalls:sys_enter_mmap` and `@mmaps[comm] = count();`.\n\n'
        '??? success "Solution"\n\n    ```bpftrace\n    --8<-- "syscalls/mmap-top-caller.bt"\n    ```\n'
    )
    assert snippet.exists()
    found = leaks(page, body)
    assert len(found) == 1 and "@mmaps[comm] = count();" in found[0], found
