"""Readable outputs: no line of a text block the site shows is wider than 100 columns.

Read from the built pages: every `text` code block, captured outputs and quoted messages alike,
collapsed ones included, measured as bpfhol.examples.shown measures a line (a tab to the next stop
of 8). An output's long line is wrapped or cut when it is captured (`long-lines:` in its example
comment), so a line that fails here is re-captured or, in a page's own text, rewritten.

The one exception is an output that can be re-captured only on another kernel; it is named with
the reason, and the test fails once it is no longer needed, so the list only ever shrinks.
"""

from __future__ import annotations

from bpfhol.examples.shown import WIDTH, columns
from tests.site.builtsite import Site

# (page, block title) -> why it is still wider than the page
ALLOWED: dict[tuple[str, str], str] = {}


def wide_lines(site: Site) -> dict[tuple[str, str], list[str]]:
    wide: dict[tuple[str, str], list[str]] = {}
    for page in site.pages:
        for block in page.code_blocks("text"):
            title = block.element.find(lambda e: e.tag == "span" and "filename" in e.classes)
            name = title.text().strip() if title is not None else "text block"
            for n, line in enumerate(block.text.split("\n"), 1):
                if columns(line) > WIDTH:
                    wide.setdefault((page.rel, name), []).append(f"line {n}: {columns(line)} columns: {line[:50]}...")
    return wide


def test_no_shown_line_is_wider_than_the_page(site: Site) -> None:
    wide = wide_lines(site)
    unexpected = {f"{page}: {name}": lines for (page, name), lines in wide.items() if (page, name) not in ALLOWED}
    assert unexpected == {}, "\n".join(f"{where}, {line}" for where, lines in unexpected.items() for line in lines)


def test_every_exception_is_still_needed(site: Site) -> None:
    wide = wide_lines(site)
    stale = [f"{page}: {name}" for page, name in ALLOWED if (page, name) not in wide]
    assert stale == [], f"these now fit the page: take them out of ALLOWED: {stale}"
