"""What the site promises in a browser, checked in Debian's Chromium against the served build.

Targets (a solution with bpftrace/BCC tabs, command blocks, a page about openat) are
picked from the real built pages; while the labs are being written a missing target
skips with the reason, and fails under CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site.builtsite import ROOT, Page, Site, skip_or_fail, tab_labels
from tests.site.htmltree import Element

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}  # a laptop
PHONE = {"width": 390, "height": 844}  # a phone
SCREENSHOT = ROOT / "docs" / "assets" / "screenshot-solution.png"

# Opens every <details> around an element and selects every tab it sits in (setup, not the thing tested).
REVEAL_JS = """el => {
  for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
  for (let b = el.closest('.tabbed-block'); b; b = b.parentElement.closest('.tabbed-block')) {
    const set = b.closest('.tabbed-set');
    const i = [...b.parentElement.children].indexOf(b);
    set.querySelectorAll(':scope > input')[i].checked = true;
  }
}"""

# For each tab group offering `label`: is that tab the selected one?
TAB_STATE_JS = """label => [...document.querySelectorAll('article .tabbed-set')].flatMap(set => {
  const labels = [...set.querySelectorAll(':scope > .tabbed-labels > label')];
  const mine = labels.find(l => l.textContent.trim() === label);
  return mine ? [document.getElementById(mine.htmlFor).checked] : [];
})"""


# Material shows "Initializing search" until its worker has loaded the index.
SEARCH_READY_JS = """() => {
  const meta = document.querySelector('.md-search-result__meta');
  return meta && meta.textContent.trim() !== '' && !/initializ/i.test(meta.textContent);
}"""


# Result links carry ?h=<query> (Material highlights the terms on the target page; a page listed
# only for its matching sections has an empty h). Stale results of a shorter prefix carry that prefix.
SEARCH_DONE_JS = """query => {
  const hs = [...document.querySelectorAll('.md-search-result__item a')]
    .map(a => new URL(a.href).searchParams.get('h'));
  return hs.includes(query) && hs.every(h => h === query || h === '' || h === null);
}"""


@dataclass
class Visit:
    """What went wrong while a page was open: console errors, script errors, failed or foreign requests."""

    problems: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


@contextmanager
def browser_page(browser, base_url: str, **context_args) -> Iterator[tuple[object, Visit]]:
    """A fresh context (own storage, clipboard permission) and page that notes what goes wrong."""
    context = browser.new_context(color_scheme="light", **context_args)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    visit = Visit()

    def on_request(request) -> None:
        if not request.url.startswith((base_url, "data:", "blob:", "file:")):
            visit.foreign.append(request.url)

    def on_failed(request) -> None:
        # ERR_ABORTED: a load the next navigation cancelled (the page moved on), not a fault.
        if "ERR_ABORTED" not in (request.failure or ""):
            visit.problems.append(f"request failed: {request.url} {request.failure}")

    page = context.new_page()
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("console", lambda m: m.type == "error" and visit.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: visit.problems.append(f"script error: {e}"))
    page.on("response", lambda r: r.status >= 400 and visit.problems.append(f"HTTP {r.status}: {r.url}"))
    try:
        yield page, visit
    finally:
        context.close()


def _index_of(page: Page, element: Element, selector_match) -> int:
    """Position of `element` among the article's elements matching `selector_match` (DOM order)."""
    return page.article.find_all(selector_match).index(element)


def _is_details(e: Element) -> bool:
    return e.tag == "details"


def _lab_order(site: Site) -> list[Page]:
    """Exercise pages first (where solutions live), then the rest in nav order."""
    exercises = [p for p in site.pages if p.is_exercise]
    return exercises + [p for p in site.pages if p not in exercises]


def _solution_target(site: Site) -> tuple[Page, int]:
    for page in _lab_order(site):
        for sol in page.solutions():
            for tab_set in sol.find_all(lambda e: e.tag == "div" and "tabbed-set" in e.classes):
                if {"bpftrace", "BCC"} <= set(tab_labels(tab_set)):
                    return page, _index_of(page, sol, _is_details)
    skip_or_fail("no page has a solution with bpftrace and BCC tabs yet")
    raise AssertionError("unreachable")


def test_solution_is_collapsed_and_opens_on_click(
    site: Site, base_url: str, browser, request: pytest.FixtureRequest
) -> None:
    target, index = _solution_target(site)
    with browser_page(browser, base_url, viewport=DESKTOP) as (page, visit):
        page.goto(base_url + target.rel)
        details = page.locator("article details").nth(index)
        code = details.locator("pre code").first
        assert details.evaluate("d => d.open") is False, f"{target.rel}: solution open on load"
        assert not code.is_visible(), f"{target.rel}: solution code visible before the click"
        details.locator("summary").first.click()
        code.wait_for(state="visible", timeout=5000)
        assert details.evaluate("d => d.open") is True
        assert not visit.problems, visit.problems

        # The README's picture of a lab page with an opened solution, regenerated by this run.
        details.evaluate("d => window.scrollTo(0, d.getBoundingClientRect().top + window.scrollY - 120)")
        page.wait_for_timeout(300)  # let the sticky header and toc settle after the scroll
        png = page.screenshot(type="png")
        if request.config.getoption("--update-screenshot") and (
            not SCREENSHOT.exists() or SCREENSHOT.read_bytes() != png
        ):
            SCREENSHOT.write_bytes(png)


def _tab_pages(site: Site) -> tuple[Page, Page]:
    """A page with two or more BCC tab groups, and another page with at least one."""
    with_bcc = sorted(
        (p for p in _lab_order(site) if p.tab_sets("BCC")), key=lambda p: len(p.tab_sets("BCC")), reverse=True
    )
    if not with_bcc or len(with_bcc[0].tab_sets("BCC")) < 2:
        skip_or_fail("no page has two bpftrace/BCC tab groups yet")
    if len(with_bcc) < 2:
        skip_or_fail("no second page has a bpftrace/BCC tab group yet")
    return with_bcc[0], with_bcc[1]


def _bcc_state_settled(page) -> list[bool]:
    """TAB_STATE_JS for BCC, once every group shows BCC or after a short grace period."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"label => ({TAB_STATE_JS})(label).every(Boolean)", arg="BCC", timeout=3000)
    except PlaywrightTimeout:
        pass  # the assertion below reports which groups did not follow
    return page.evaluate(TAB_STATE_JS, "BCC")


def test_bcc_tab_switches_every_group_and_persists(site: Site, base_url: str, browser) -> None:
    first, second = _tab_pages(site)
    with browser_page(browser, base_url, viewport=DESKTOP) as (page, visit):
        page.goto(base_url + first.rel)
        before = page.evaluate(TAB_STATE_JS, "BCC")
        assert before and not any(before), f"{first.rel}: a BCC tab is selected before any choice: {before}"

        label = page.locator("article .tabbed-labels > label", has_text=re.compile(r"^\s*BCC\s*$")).first
        label.evaluate(REVEAL_JS)  # the first group may sit in a collapsed solution
        label.click()
        after = _bcc_state_settled(page)
        assert all(after), f"{first.rel}: choosing BCC switched only some groups: {after}"

        page.goto(base_url + second.rel)
        carried = _bcc_state_settled(page)
        assert carried and all(carried), f"{second.rel}: the BCC choice did not carry over: {carried}"
        assert not visit.problems, visit.problems


def test_copy_button_copies_exactly_the_command(site: Site, base_url: str, browser) -> None:
    pages = [(p, p.code_blocks("sh")) for p in site.pages]
    pages = [(p, blocks) for p, blocks in pages if blocks]
    if not pages:
        skip_or_fail("no page has a sh command block yet")
    wrong = []
    with browser_page(browser, base_url, viewport=DESKTOP) as (page, visit):
        for target, blocks in pages:
            page.goto(base_url + target.rel)
            for i, block in enumerate(blocks):
                # What the page's source says the command is (pymdownx ends each block with one newline).
                expected = block.text[:-1] if block.text.endswith("\n") else block.text
                div = page.locator("article div.language-sh").nth(i)
                div.evaluate(f"async el => {{ ({REVEAL_JS})(el); await navigator.clipboard.writeText(''); }}")
                div.locator("button[data-md-type=copy]").click()
                copied = page.evaluate("navigator.clipboard.readText()")
                if copied != expected:
                    wrong.append(f"{target.rel} block {i + 1}: copied {copied!r}, expected {expected!r}")
        assert not visit.problems, visit.problems
    assert not wrong, "\n".join(wrong)


def _openat_pages(site: Site) -> tuple[set[str], set[str]]:
    """Pages titled with openat (must be found) and pages that mention it at all (may be found)."""
    titled = {p.rel for p in site.nav_pages if any("openat" in h.lower() for h in p.h1s)}
    mention = {p.rel for p in site.nav_pages if "openat" in p.article.text().lower()}
    if not titled:
        skip_or_fail("no page has openat in its title yet")
    return titled, mention


@pytest.mark.parametrize("where", ["served", "from-disk"])
def test_search_for_openat_finds_the_lab_page(site: Site, base_url: str, browser, where: str) -> None:
    titled, mention = _openat_pages(site)
    start = base_url + "index.html" if where == "served" else (site.dir / "index.html").as_uri()
    root = base_url if where == "served" else site.dir.as_uri() + "/"
    with browser_page(browser, base_url, viewport=DESKTOP) as (page, visit):
        page.goto(start)
        page.locator("input.md-search__input").click()  # from disk, search starts on first focus
        page.wait_for_function(SEARCH_READY_JS, timeout=10_000)
        page.keyboard.type("openat")  # as a reader types: one query per key
        # Results are redrawn per query; the whole word's are the ones whose links highlight "openat".
        page.wait_for_function(SEARCH_DONE_JS, arg="openat", timeout=10_000)
        hrefs = page.eval_on_selector_all(".md-search-result__item > a", "els => els.map(e => e.href)")
        assert not visit.problems, visit.problems
    found = [urlsplit(h).path.removeprefix(urlsplit(root).path) for h in hrefs]
    assert found and found[0].startswith("syscalls/"), f"top result is not a lab page: {found}"
    assert titled <= set(found), f"search for openat missed {titled - set(found)}: {found}"
    assert set(found) <= mention, f"results that do not mention openat: {set(found) - mention}"


@dataclass
class Tour:
    problems: dict[str, list[str]] = field(default_factory=dict)
    foreign: dict[str, list[str]] = field(default_factory=dict)
    too_wide: dict[str, list[int]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def tour(site: Site, base_url: str, browser, shots_dir: Path) -> Tour:
    """Every page visited once: loaded at a laptop's width until search is ready, then narrowed to a
    phone's width with every solution open; at each width, a screenshot (BPFHOL_SCREENSHOTS keeps them)
    and whether the page scrolls sideways (code blocks scroll inside themselves, which is fine)."""
    tour = Tour()
    with browser_page(browser, base_url, viewport=DESKTOP) as (page, visit):
        for target in site.pages:
            page.set_viewport_size(DESKTOP)
            page.goto(base_url + target.rel)
            # The last thing a page loads is the search index, in a worker: wait until search is ready.
            page.wait_for_function(SEARCH_READY_JS, timeout=10_000)
            for size in (DESKTOP, PHONE):
                page.set_viewport_size(size)
                if size is PHONE:
                    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                body, document, viewport = page.evaluate(
                    "[document.body.scrollWidth, document.documentElement.scrollWidth, window.innerWidth]"
                )
                if max(body, document) > viewport:
                    tour.too_wide[f"{target.rel} at {viewport} px"] = [body, document, viewport]
                name = target.rel.replace("/", "_").removesuffix(".html")
                page.screenshot(path=str(shots_dir / f"{name}-{size['width']}.png"))
            if visit.problems:
                tour.problems[target.rel], visit.problems[:] = list(visit.problems), []
            if visit.foreign:
                tour.foreign[target.rel], visit.foreign[:] = list(visit.foreign), []
    return tour


def test_no_console_errors_on_any_page(tour: Tour) -> None:
    assert not tour.problems, f"console errors or failed requests: {tour.problems}"


def test_nothing_requested_from_another_host(tour: Tour) -> None:
    assert not tour.foreign, f"requests to other hosts at page load: {tour.foreign}"


def test_usable_at_phone_width(tour: Tour, base_url: str, browser) -> None:
    width = PHONE["width"]
    assert not tour.too_wide, (
        f"pages wider than the screen, {width} px phone or laptop (body, document, viewport): {tour.too_wide}"
    )
    # The navigation opens from the drawer on a phone (a mobile viewport, touch).
    with browser_page(browser, base_url, viewport=PHONE, is_mobile=True, has_touch=True) as (page, visit):
        page.goto(base_url + "index.html")
        page.locator("label.md-header__button[for='__drawer']").click()
        link = page.locator(".md-nav--primary a.md-nav__link[href*='syscalls/']").first
        link.wait_for(state="visible", timeout=5000)
        # The drawer slides in: wait for the link to come to rest inside the screen.
        page.wait_for_function(
            "([el, w]) => { const r = el.getBoundingClientRect(); return r.left >= 0 && r.right <= w; }",
            arg=[link.element_handle(), PHONE["width"]],
            timeout=5000,
        )
        assert not visit.problems, visit.problems
