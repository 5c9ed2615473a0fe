"""The course's markup in a page, the part the site does not show, lexed in one place (the *collect* layer).

Two kinds, each read one way by the engine and the developer tools alike:

- front matter, read with mkdocs' own reader (mkdocs.utils.meta.get_data): `lab: syscalls`, plus
  the keys MkDocs and Material themselves read (FRONT_MATTER);
- markers: an HTML comment at the start of a line whose first word names it, in the style of
  sybil's DirectiveInHTMLCommentLexer (which lexes it):

      <!-- example            the expectations of the program block right below (bpfhol.examples.model)
      run: 1
      -->
      <!-- kernel-sources -->  the table below it is checked against each kernel's source
      <!-- tested-on -->       the Tested on tables go here
      <!-- teaches: if, else --> the prose below introduces these constructs (bpfhol.examples.teaching)

A comment inside a fenced block is quoted text, not a marker. A marker or front-matter key the
course does not know is an error naming the page and line (as mkdocs-material's shortcodes hook
rejects an unknown shortcode), never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.utils.meta import get_data
from sybil import Document, Region
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer, RawFencedCodeBlockLexer

MARKERS = {
    "example": "what the program block right below promises (bpfhol.examples.model)",
    "kernel-sources": "the table below it names each kernel's files (devtools/kernel_sources.py checks them)",
    "tested-on": "where the Tested on tables go (devtools/tested_on.py)",
    "teaches": "the constructs the prose below it introduces (bpfhol.examples.teaching)",
}
# `lab` is the course's; the others are read by MkDocs and Material for MkDocs (their front matter keys).
FRONT_MATTER = ("lab", "title", "description", "icon", "status", "subtitle", "template", "hide", "search", "tags")

INFO = re.compile(r"(?P<language>[\w+-]*)(?P<attributes>[^\n]*)$\n", re.MULTILINE)  # a fence's info line
_CLOSE = re.compile(r"[ \t]*--+>")


class MarkupError(ValueError):
    """A marker or front matter the course does not know; `line` is the page's line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Marker:
    name: str
    line: int  # of the `<!--`
    body: str  # what follows the name, up to `-->`, dedented
    body_line: int  # the page's line of the body's first line
    start: int  # offsets in the page: the comment's first character, and just past its `-->`
    end: int


def fences(document: Document) -> list[Region]:
    """The page's fenced blocks, outermost only: a fence quoted inside a longer one is its text."""
    lexed = sorted(RawFencedCodeBlockLexer(info_pattern=INFO)(document), key=lambda r: r.start)
    return [b for b in lexed if not any(o.start < b.start and b.end <= o.end for o in lexed)]


def lex_markers(document: Document) -> Iterable[Region]:
    """Every comment that opens a line, as sybil regions with `directive` and `source` lexemes."""
    return DirectiveInHTMLCommentLexer(directive=r"[A-Za-z][\w-]*")(document)


def parse_marker(document: Document, region: Region) -> Marker:
    """A lexed comment as a Marker; MarkupError when no marker has its name."""
    text = document.text
    line = text.count("\n", 0, region.start) + 1
    name = str(region.lexemes["directive"])
    if name not in MARKERS:
        raise MarkupError(line, f"unknown marker <!-- {name} -->: the markers are {', '.join(MARKERS)}")
    source = region.lexemes["source"]
    body = "\n".join(s for s in (str(region.lexemes.get("arguments") or ""), str(source)) if s.strip())
    body_line = line + text.count("\n", region.start, region.start + source.offset)
    close = _CLOSE.match(text, region.end)
    return Marker(name, line, body, body_line, region.start, close.end() if close else region.end)


def markers(document: Document) -> tuple[list[Marker], list[MarkupError]]:
    """The page's markers in order (those quoted inside fenced blocks left out), and the unknown ones."""
    quoted = fences(document)
    found, unknown = [], []
    for region in lex_markers(document):
        if any(f.start <= region.start < f.end for f in quoted):
            continue
        try:
            found.append(parse_marker(document, region))
        except MarkupError as e:
            unknown.append(e)
    return found, unknown


def front_matter(text: str) -> tuple[dict[str, Any], list[MarkupError]]:
    """The page's front matter as MkDocs reads it, and the keys the course does not know (at their lines)."""
    _, meta = get_data(text)
    unknown = []
    for key in meta:
        if key not in FRONT_MATTER:
            unknown.append(
                MarkupError(
                    key_line(text, str(key)), f"front matter: unknown key '{key}' (the keys: {', '.join(FRONT_MATTER)})"
                )
            )
    return meta, unknown


def key_line(text: str, key: str) -> int:
    """The line of a front-matter key (1 when it cannot be told)."""
    found = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def page_markers(page: Path) -> list[Marker]:
    """A page's markers, for tools outside the docs suite; MarkupError names the page and line of an unknown one."""
    found, unknown = markers(Document(page.read_text(), str(page)))
    if unknown:
        raise MarkupError(unknown[0].line, f"{page}:{unknown[0].line}: {unknown[0]}")
    return found
