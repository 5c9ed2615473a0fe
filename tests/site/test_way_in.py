"""The way in: every lab page opens with the same box, and a learner's Next stays in the course.

The box says what the page teaches, what must be running (the exact command of the page's lab,
from its `lab:` front matter) and about how long it takes. The authors' pages sit in a nav
section of their own, after the course: no learner page's visible Next link leads there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.site.builtsite import ROOT, Site, nav_sources

DOCS = ROOT / "docs"
AUTHORS = {"authoring.md", "tested-on.md"}
BOX = re.compile(
    r'\A(?:---\n.*?\n---\n)?\s*# [^\n]+\n\n!!! abstract "Before you start"\n'
    r"    - \*\*You will learn\*\* [^\n]+\.\n"
    r"    - \*\*Keep running:\*\* (?P<running>[^\n]+)\.\n"
    r"    - \*\*Time:\*\* about (?P<minutes>\d+) minutes\.\n",
    re.S,
)


def lab_pages() -> list[str]:
    return [src for src in nav_sources() if src.startswith("syscalls/")]


def front_lab(text: str) -> str | None:
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    lab = re.search(r"^lab: (\w+)$", m.group(1), re.M) if m else None
    return lab.group(1) if lab else None


@pytest.mark.parametrize("src", lab_pages())
def test_lab_page_opens_with_the_box(src: str) -> None:
    text = (DOCS / src).read_text()
    m = BOX.match(text)
    assert m, f"docs/{src}: no 'Before you start' box right under the title"
    lab = front_lab(text)
    if lab is None:
        assert m["running"].startswith("nothing"), m["running"]
    else:
        assert f"`sudo bpfhol {lab}`" in m["running"], f"docs/{src} runs lab {lab}: {m['running']}"
    assert 5 <= int(m["minutes"]) <= 90


def test_authors_pages_come_after_the_course() -> None:
    order = nav_sources()
    first_author = min(order.index(a) for a in AUTHORS)
    assert all(src in AUTHORS for src in order[first_author:]), order


def _visible_next(page_html: str) -> str | None:
    footer = re.search(r'<nav class="md-footer__inner[^"]*"([^>]*)>(.*?)</nav>', page_html, re.S)
    if footer is None or re.search(r"\bhidden\b", footer.group(1)):
        return None
    link = re.search(r'href="([^"]+)" class="md-footer__link md-footer__link--next"', footer.group(2))
    return link.group(1) if link else None


def test_next_never_leads_a_learner_to_the_authors(site: Site) -> None:
    authors = {a.removesuffix(".md") + ".html" for a in AUTHORS}
    for page in site.nav_pages:
        if page.rel in authors:
            continue
        nxt = _visible_next(page.html)
        if nxt is not None:
            target = Path(page.rel).parent.joinpath(nxt).as_posix()
            target = re.sub(r"[^/]+/\.\./", "", target)
            assert target not in authors, f"{page.rel}: Next leads to {target}"


def _minutes(text: str) -> int:
    """`45 min`, `2 h 10`, `1 h` -> minutes."""
    m = re.fullmatch(r"(?:(\d+) h)? ?(\d+)?(?: min)?", text.strip())
    assert m and (m[1] or m[2]), f"not a time: {text!r}"
    return int(m[1] or 0) * 60 + int(m[2] or 0)


def test_home_page_times_are_the_pages_own() -> None:
    """The home page's table of pages gives each row the sum of its pages' own boxes: one source of times."""
    text = (DOCS / "index.md").read_text()
    table = text[text.index("Page by page:") :].split("\n\n")[1]
    rows = [r for r in table.splitlines()[2:] if r.startswith("|")]
    assert rows, "index.md: no 'Page by page' table"
    listed = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        pages = re.findall(r"\]\(([\w/.-]+\.md)\)", cells[0])
        listed.update(pages)
        own = 0
        for src in pages:
            m = BOX.match((DOCS / src).read_text())
            assert m, f"docs/{src}: no 'Before you start' box"
            own += int(m["minutes"])
        said = _minutes(cells[-1])
        assert said == own, f"index.md row {cells[0]!r} says {cells[-1]}; its pages' boxes add up to {own} min"
    missing = [src for src in lab_pages() if src not in listed and src != "syscalls/cheatsheet.md"]
    assert not missing, f"pages of the course missing from index.md's table: {missing}"
