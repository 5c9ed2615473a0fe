"""Taught before used: the course, read in nav order, never uses a construct before it teaches it.

A page says where it teaches a construct with a marker right above the prose that explains it:

    <!-- teaches: $variable, if, else -->

The names are bpfhol.examples.constructs' (`delete()`, `keyed map`, `tracepoint:sched`, `bcc:BPF_HASH`).
What a program uses is never declared: it is lexed from every program a learner page shows (a
`bpftrace` block, the `bpftrace -e '...'` of a `sh` block, a `python` block's BCC program), includes
expanded as the site expands them. The walk follows mkdocs.yml's nav, authors' pages left out, and
reports each use that comes before the marker that teaches it, and each marker whose section (down
to the next heading, code blocks left out) does not show the construct it claims to teach.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs.config import load_config
from sybil import Document

from bpfhol.examples import bccapi, constructs, shellscript
from bpfhol.examples.collect import Project
from bpfhol.examples.markers import fences, markers

AUTHORS_SECTION = "For authors"  # the nav section written for the course's authors, not its learners
_INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<name>[^"]+)"\s*$', re.M)
_HEADING = re.compile(r"^#{1,6} ", re.M)


@dataclass(frozen=True)
class Taught:
    construct: str
    page: str
    line: int


@dataclass(frozen=True)
class Used:
    construct: str
    page: str
    line: int  # the program block's opening fence
    where: str  # the snippet file and its line (or the page's line, for a program written on the page)


@dataclass
class Course:
    pages: list[str] = field(default_factory=list)  # learner pages in nav order, relative to the checkout
    taught: dict[str, Taught] = field(default_factory=dict)  # each construct's first teaching marker
    used: list[Used] = field(default_factory=list)  # every use, in reading order
    problems: list[str] = field(default_factory=list)  # markers that are wrong in themselves; unreadable programs


def learner_pages(nav: list[Any]) -> list[str]:
    """The nav's pages in reading order (docs-relative), the authors' section left out."""
    found: list[str] = []
    for item in nav:
        if isinstance(item, str):
            found.append(item)
            continue
        for title, value in item.items():
            if title == AUTHORS_SECTION:
                continue
            found.extend([value] if isinstance(value, str) else learner_pages(value))
    return found


def mention(construct: str) -> re.Pattern[str]:
    """What the prose that teaches `construct` must show of it."""
    if construct in constructs.CONSTRUCTS:
        return re.compile(constructs.CONSTRUCTS[construct])
    if construct.startswith("bcc:"):
        name = construct[4:].lstrip(".")
        if name.endswith("()"):
            return re.compile(rf"`[^`]*\b{re.escape(name[:-2])}\(")
        return re.compile(rf"`[^`]*(?<!\w){re.escape(name)}\b")
    if construct.endswith("()"):
        return re.compile(rf"`[^`]*\b{re.escape(construct[:-2])}\(")
    if ":" in construct:  # tracepoint:sched: its probes' names
        return re.compile(rf"`[^`]*\b{re.escape(construct.split(':')[1])}:")
    if construct in ("tracepoint", "rawtracepoint", "interval", "profile", "kprobe", "uprobe", "usdt", "kfunc"):
        return re.compile(rf"`[^`]*\b{construct}:")
    return re.compile(rf"`[^`]*(?<![\w$@]){re.escape(construct)}\b")


def _prose(text: str, start: int, blocks: list[tuple[int, int]]) -> str:
    """The page's text from `start` to the next heading, fenced blocks left out."""
    heading = _HEADING.search(text, start)
    end = heading.start() if heading else len(text)
    kept, at = [], start
    for b_start, b_end in blocks:
        if b_end <= at or b_start >= end:
            continue
        kept.append(text[at:b_start])
        at = b_end
    kept.append(text[at:end])
    return "".join(kept)


def collapsed(text: str) -> list[tuple[int, int]]:
    """The spans of the page's collapsed blocks (`??? tip "Hint"`, `??? success "Solution"`): what is
    inside one teaches nothing, since a learner may never open it."""
    spans, lines = [], text.splitlines(keepends=True)
    starts = [sum(len(x) for x in lines[:i]) for i in range(len(lines) + 1)]
    i = 0
    while i < len(lines):
        m = re.match(r"( *)\?\?\?\+? ", lines[i])
        if not m:
            i += 1
            continue
        indent, j = len(m.group(1)), i + 1
        while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip(" ")) > indent):
            j += 1
        spans.append((starts[i], starts[j]))
        i = j
    return spans


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _program_uses(language: str, source: str) -> list[tuple[constructs.Use, int]]:
    """(use, line of the source) for every construct the block's programs use."""
    if language == "bpftrace":
        return [(u, u.line) for u in constructs.bpftrace_uses(source)]
    if language == "python":
        return [(u, u.line) for u in bccapi.bcc_uses(source)]
    found = []
    for program in shellscript.shell_programs(source):
        lexer = constructs.bpftrace_uses if program.language == "bpftrace" else bccapi.bcc_uses
        found += [(u, program.line + u.line - 1) for u in lexer(program.text)]
    return found


def read_course(root: Path) -> Course:
    """Every teaching marker and every use of the checkout's learner pages, in nav order."""
    project = Project(root)
    config = load_config(str(project.root / "mkdocs.yml"))
    course = Course()
    for rel in learner_pages(config["nav"] or []):
        path = project.docs / rel
        page = str(path.relative_to(project.root))
        course.pages.append(page)
        text = path.read_text()
        document = Document(text, str(path))
        blocks = fences(document)
        hidden = collapsed(text)
        spans = sorted([(b.start, b.end) for b in blocks] + hidden)
        found, _ = markers(document)
        for marker in (m for m in found if m.name == "teaches"):
            prose = _prose(text, marker.end, spans)
            for name in (n.strip() for n in re.split(r"[,\n]", marker.body) if n.strip()):
                here = f"{page}:{marker.line}"
                if any(start <= marker.start < end for start, end in hidden):
                    course.problems.append(f"{here}: teaches {name} inside a collapsed block, which may stay closed")
                elif not constructs.is_construct(name):
                    course.problems.append(f"{here}: teaches '{name}', which is not a construct the lexer knows")
                elif name in course.taught:
                    first = course.taught[name]
                    course.problems.append(f"{here}: teaches {name} again (first taught at {first.page}:{first.line})")
                elif not mention(name).search(prose):
                    course.problems.append(
                        f"{here}: teaches {name}, but the prose below it (to the next heading) never shows it "
                        f"(looked for /{mention(name).pattern}/)"
                    )
                else:
                    course.taught[name] = Taught(name, page, marker.line)
        for block in blocks:
            language = str(block.lexemes["language"])
            if language not in ("bpftrace", "python", "sh"):
                continue
            line = _line(text, block.start)
            raw = str(block.lexemes["source"])
            includes = _INCLUDE.findall(raw)
            try:
                uses = _program_uses(language, project.expand(raw))
            except constructs.LexError as e:
                course.problems.append(f"{page}:{line}: cannot read the {language} program: {e}")
                continue
            for use, at in uses:
                where = f"{includes[0]}:{at}" if len(includes) == 1 else f"{page}:{line + at}"
                course.used.append(Used(use.construct, page, line, where))
    return course


def untaught(course: Course) -> list[str]:
    """One line per construct a page uses before the page (or the place on its page) that teaches it:
    its first use on that page."""
    order = {page: i for i, page in enumerate(course.pages)}
    lines, seen = [], set()
    for use in course.used:
        key = (use.page, use.construct)
        if key in seen:
            continue
        seen.add(key)
        taught = course.taught.get(use.construct)
        at = f"{use.page}:{use.line} ({use.where})"
        if taught is None:
            lines.append(f"{at} uses {use.construct}, never taught")
        elif order[taught.page] > order[use.page]:
            lines.append(f"{at} uses {use.construct}, first taught on {taught.page}:{taught.line} (later)")
        elif taught.page == use.page and taught.line > use.line:
            lines.append(f"{at} uses {use.construct}, taught further down the page (line {taught.line})")
    return lines


def main(argv: list[str] | None = None) -> int:
    """`python -m bpfhol.examples.teaching`: the course's uses before teaching (exit 1 if any);
    with files, the constructs each program uses (a .bt, a .sh with `bpftrace -e`, a BCC .py)."""
    import sys

    from bpfhol.config import ROOT

    files = sys.argv[1:] if argv is None else argv
    if not files:
        course = read_course(ROOT)
        wrong = course.problems + untaught(course)
        print("\n".join(wrong) if wrong else f"{len(course.taught)} constructs, each taught before its first use")
        return 1 if wrong else 0
    for name in files:
        try:
            text = Path(name).read_text()
            language = {".bt": "bpftrace", ".py": "python"}.get(Path(name).suffix, "sh")
            found = sorted({use.construct for use, _ in _program_uses(language, text)})
        except (OSError, constructs.LexError) as e:
            print(f"{name}: {e}", file=sys.stderr)
            return 1
        print(f"{name}: {', '.join(found) or 'no bpftrace or BCC program'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
