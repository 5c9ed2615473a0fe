"""The site search never shows what a collapsed block hides.

Hints, nudges and solutions (`??? tip`, `??? question`, `??? success`) are collapsed so that a
learner opens them when stuck; a search that previews their programs would open them for
everyone. devtools/search_exclude.py keeps them out of the index: here, the built index and a
real search in Chromium, for the words a learner looking for an answer would type.
"""

from __future__ import annotations

import json
import re

import pytest

from devtools.search_exclude import exclude_hidden_blocks
from tests.site.builtsite import Site
from tests.site.htmltree import Element
from tests.site.test_browser import DESKTOP, SEARCH_READY_JS, browser_page
from tests.site.test_hints import telling

QUERIES = ["lhist", "EBADF", "O_TMPFILE", "ERESTART", "sched_switch"]
HIDDEN = {"tip", "question", "success"}
# The results of the whole query are drawn: some link highlights all its terms (Material lowercases
# them, and the search separator of mkdocs.yml splits O_TMPFILE into "o tmpfile").
SEARCH_DONE_JS = """query => {
  const want = query.toLowerCase().split(/[_\\s]+/).join(' ');
  const hs = [...document.querySelectorAll('.md-search-result__item a')]
    .map(a => (new URL(a.href).searchParams.get('h') || '').toLowerCase());
  return hs.includes(want);
}"""


def _norm(text: str) -> str:
    return " ".join(text.split())


def _hidden(e: Element) -> bool:
    return e.tag == "details" and bool(HIDDEN & e.classes)


def _visible_text(e: Element) -> str:
    if _hidden(e):
        return ""
    return "".join(c if isinstance(c, str) else _visible_text(c) for c in e.children)


@pytest.fixture(scope="module")
def hidden(site: Site) -> frozenset[str]:
    """Program lines shown only inside collapsed blocks (a line the page also shows in the open,
    as the primer does for what a solution reuses, is no secret)."""
    open_text = _norm(" ".join(_visible_text(p.article) for p in site.nav_pages))
    lines = set()
    for page in site.nav_pages:
        for block in page.article.find_all(_hidden):
            for code in block.find_all(lambda e: e.tag == "code"):
                for line in code.text().splitlines():
                    if telling(line) and _norm(line) not in open_text:
                        lines.add(_norm(line))
    return frozenset(lines)


def leaked(hidden: frozenset[str], text: str) -> list[str]:
    flat = _norm(text)
    return sorted(line for line in hidden if line in flat)


def test_the_pages_hide_programs(hidden: frozenset[str]) -> None:
    assert len(hidden) > 50, "the collapsed blocks' programs were not found"


def test_the_hook_marks_only_hidden_kinds() -> None:
    html = '<details class="success"><summary>S</summary></details><details class="note">x</details>'
    out = exclude_hidden_blocks(html)
    assert '<details class="success" data-search-exclude>' in out and '<details class="note">' in out


def test_the_index_holds_no_hidden_program(site: Site, hidden: frozenset[str]) -> None:
    index = json.loads((site.dir / "search" / "search_index.json").read_text())
    found = {}
    for doc in index["docs"]:
        text = re.sub(r"<[^>]+>", " ", doc["text"])
        if lines := leaked(hidden, text):
            found[doc["location"]] = lines[:3]
    assert not found, f"search index entries quote collapsed programs: {found}"


@pytest.mark.browser
@pytest.mark.parametrize("query", QUERIES)
def test_search_shows_no_solution(hidden: frozenset[str], base_url: str, browser, query: str) -> None:
    with browser_page(browser, base_url, viewport=DESKTOP) as (page, visit):
        page.goto(base_url + "index.html")
        page.locator("input.md-search__input").click()
        page.wait_for_function(SEARCH_READY_JS, timeout=10_000)
        page.keyboard.type(query)
        page.wait_for_function(SEARCH_DONE_JS, arg=query, timeout=10_000)
        # Every result, its "more" sections unfolded as a reader would.
        for more in page.locator(".md-search-result__more > summary").all():
            more.click()
        results = page.inner_text(".md-search-result")
        assert not visit.problems, visit.problems
    assert re.match(r"\d+ matching document", results), f"no result for {query}: the search itself is broken"
    assert not leaked(hidden, results), f"searching {query} previews collapsed programs: {leaked(hidden, results)}"
