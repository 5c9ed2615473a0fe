"""The strict build and a static scan of every built page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.site.builtsite import (
    ROOT,
    BuildResult,
    Page,
    Site,
    copy_project,
    html_path,
    mkdocs_build,
    nav_sources,
    skip_or_fail,
)
from tests.site.htmltree import Element

SNIPPET_MARK = re.compile(r"-8<-")
# A URL that names a host (scheme:// or protocol-relative //): loading it leaves the machine.
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""", re.I)
# <link> relations the browser does not fetch at page load.
LINK_NOT_LOADED = {"canonical", "alternate", "next", "prev", "author", "license", "help", "search", "me"}


def test_strict_build_passes(build: BuildResult) -> None:
    assert build.ok, f"mkdocs build --strict failed:\n{build.output}"
    assert not re.search(r"^(WARNING|ERROR)\b", build.output, re.M), build.output


def test_every_nav_page_is_built(site: Site) -> None:
    missing = [src for src in nav_sources() if not (site.dir / html_path(src)).is_file()]
    assert not missing, f"nav pages with no built HTML: {missing}"


def test_every_page_has_a_title_and_one_h1(site: Site) -> None:
    bad = {}
    for page in site.pages:
        if not page.title:
            bad[page.rel] = "no <title>"
        elif len(page.h1s) != 1 or not page.h1s[0]:
            bad[page.rel] = f"h1 headings: {page.h1s}"
    assert not bad, bad


def _shows_page_source(element: Element) -> bool:
    """Text inside a ```markdown block: a page showing how snippets are written (escaped as ;--8<--)."""
    return any(a.tag == "div" and a.classes & {"language-markdown", "language-md"} for a in element.ancestors())


def _text_nodes(element: Element):
    for child in element.children:
        if isinstance(child, str):
            yield element, child
        else:
            yield from _text_nodes(child)


def test_no_raw_snippet_markers(site: Site) -> None:
    """A `--8<--` line left in the output is an include pymdownx.snippets never saw."""
    found = {}
    for page in site.pages:
        for parent, text in _text_nodes(page.tree):
            if SNIPPET_MARK.search(text) and not _shows_page_source(parent):
                line = next(x for x in text.splitlines() if SNIPPET_MARK.search(x))
                found.setdefault(page.rel, []).append(line.strip())
    assert not found, f"raw snippet markers in the built pages: {found}"


def _has_code(element: Element) -> bool:
    return any(c.text().strip() for c in element.find_all(lambda e: e.tag == "code" and e.parent.tag == "pre"))


def test_every_solution_contains_code(site: Site) -> None:
    solutions = [(page, sol) for page in site.pages for sol in page.solutions()]
    if not any(p.is_exercise for p, _ in solutions):
        skip_or_fail("no exercise page has a solution yet")
    bad = []
    for page, sol in solutions:
        summary = sol.find(lambda e: e.tag == "summary")
        name = f"{page.rel}: {summary.text().strip() if summary is not None else '?'}"
        if not _has_code(sol):
            bad.append(f"{name}: no code")
        for block in sol.find_all(lambda e: e.tag == "div" and "tabbed-block" in e.classes):
            if not _has_code(block):
                bad.append(f"{name}: a tab without code")
    assert not bad, bad


def test_solutions_start_collapsed(site: Site) -> None:
    """`???` (collapsed), never `???+` (open): the learner asks for a solution."""
    opened = [page.rel for page in site.pages for sol in page.solutions() if "open" in sol.attrs]
    assert not opened, f"solutions open on load: {opened}"


def test_bpftrace_blocks_are_highlighted(site: Site) -> None:
    """Pygments has no bpftrace lexer: the alias in mkdocs.yml must still give tokens."""
    blocks = [(page, b) for page in site.pages for b in page.code_blocks("bpftrace")]
    if not blocks:
        skip_or_fail("no page has a bpftrace block yet")
    plain = [page.rel for page, b in blocks if not b.code.find(lambda e: e.tag == "span" and e.classes)]
    assert not plain, f"bpftrace blocks rendered without highlighting: {plain}"


def test_command_blocks_have_no_prompt(site: Site) -> None:
    """A `sh` block is what the copy button copies: commands only, no `$ ` prompt."""
    blocks = [(page, b) for page in site.pages for b in page.code_blocks("sh")]
    if not blocks:
        skip_or_fail("no page has a sh command block yet")
    prompts = [
        f"{page.rel}: {line}" for page, b in blocks for line in b.text.splitlines() if re.match(r"\s*[$%] ", line)
    ]
    assert not prompts, prompts


def test_capture_note_on_every_page(site: Site) -> None:
    note = " ".join((ROOT / "snippets" / "captured-with.md").read_text().split())
    assert re.search(r"Linux \S+ .*bpftrace v?\d", note), f"unexpected captured-with note: {note!r}"
    missing = [p.rel for p in site.nav_pages if note not in " ".join(p.article.text().split())]
    assert not missing, f"pages without the captured-with note: {missing}"


def _external_loads(page: Page, site_dir: Path) -> list[str]:
    urls: list[tuple[str, str]] = []
    css_files: list[Path] = []
    for e in page.tree.iter():
        a = e.attrs
        if e.tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels and rels <= LINK_NOT_LOADED:
                continue
            urls.append(("link", a.get("href", "")))
            if "stylesheet" in rels and not EXTERNAL.match(a.get("href", "")):
                css_files.append((page.path.parent / a["href"].split("?")[0]).resolve())
        for attr in ("src", "poster", "data"):
            if attr in a and e.tag in {
                "script",
                "img",
                "iframe",
                "source",
                "video",
                "audio",
                "embed",
                "object",
                "track",
                "input",
            }:
                urls.append((e.tag, a[attr]))
        for attr in ("srcset", "imagesrcset"):
            for part in a.get(attr, "").split(","):
                if part.strip():
                    urls.append((e.tag, part.split()[0]))
        styles = [a.get("style", "")]
        if e.tag == "style":
            styles.append(e.text())
        for style in styles:
            for m in CSS_URL.finditer(style):
                urls.append(("style", m.group(1) or m.group(2)))
    for css in css_files:
        if css.is_file():
            for m in CSS_URL.finditer(css.read_text(encoding="utf-8", errors="replace")):
                urls.append((css.relative_to(site_dir).as_posix(), m.group(1) or m.group(2)))
    return [f"{where}: {url}" for where, url in urls if EXTERNAL.match(url)]


def test_nothing_loaded_from_another_host(site: Site) -> None:
    """Works on a closed workshop network: no font, script, style or image from elsewhere."""
    found = {p.rel: ext for p in site.pages if (ext := _external_loads(p, site.dir))}
    assert not found, f"pages that load from another host: {found}"


# --- bad input: a broken copy of the project must fail to build, naming page and target ---------


BROKEN_LINKS = {
    "page": ("[gone](no-such-page.md)", "no-such-page.md"),
    "anchor-on-other-page": ("[gone](probe-naming.md#no-such-heading)", "#no-such-heading"),
    "anchor-on-same-page": ("[gone](#no-such-section)", "#no-such-section"),
}


def _broken_copy(tmp_path: Path, page: str, addition: str) -> BuildResult:
    project = copy_project(tmp_path / "project")
    target = project / "docs" / page
    target.write_text(target.read_text() + "\n\n" + addition + "\n")
    return mkdocs_build(project, tmp_path / "site")


def _line_naming(output: str, *names: str) -> str | None:
    return next((line for line in output.splitlines() if all(n in line for n in names)), None)


def test_missing_snippet_fails_the_build(site: Site, tmp_path: Path) -> None:
    # `site`: the unbroken project builds, so the failure below is the one this test causes.
    result = _broken_copy(tmp_path, "syscalls/index.md", '```bpftrace\n--8<-- "syscalls/no-such-program.bt"\n```')
    assert not result.ok, "a missing snippet did not fail the build"
    assert _line_naming(result.output, "syscalls/index.md", "syscalls/no-such-program.bt"), result.output


@pytest.fixture(scope="module")
def broken_links_build(site: Site, tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """One build of a copy with every kind of broken link (strict mode reports them all, then fails).

    Needs `site`: the unbroken project builds, so the failure is the one these links cause.
    """
    links = "\n\n".join(f"See {link}." for link, _ in BROKEN_LINKS.values())
    return _broken_copy(tmp_path_factory.mktemp("broken-links"), "syscalls/index.md", links)


@pytest.mark.parametrize("kind", BROKEN_LINKS)
def test_broken_link_fails_the_build(broken_links_build: BuildResult, kind: str) -> None:
    link, target = BROKEN_LINKS[kind]
    assert not broken_links_build.ok, "broken links did not fail the build"
    assert _line_naming(broken_links_build.output, "syscalls/index.md", target), (
        f"no line names syscalls/index.md and {target}:\n{broken_links_build.output}"
    )
