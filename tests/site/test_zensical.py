"""The site builds on Zensical (Material's successor, which reads mkdocs.yml) as it does on MkDocs.

Both builds run with --strict; their pages and the figures each page shows must be the same.
Zensical writes into the config's site_dir, so it builds a copy of the project.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.site.builtsite import BuildResult, Site, copy_project, skip_or_fail

ZENSICAL = Path(sys.executable).with_name("zensical")


def zensical_build(project: Path) -> BuildResult:
    """`zensical build --strict` of a copy at `project`; its site lands in project/site."""
    config = yaml.safe_load((project / "mkdocs.yml").read_text().replace("!!python", "#"))
    site_dir = project / config.get("site_dir", "site")
    proc = subprocess.run(
        [str(ZENSICAL), "build", "--strict", "--clean"], cwd=project, capture_output=True, text=True, timeout=300
    )
    return BuildResult(proc.returncode, proc.stdout + proc.stderr, site_dir)


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    if not ZENSICAL.exists():
        skip_or_fail(f"no {ZENSICAL}: install requirements.lock (zensical)")
    build = zensical_build(copy_project(tmp_path_factory.mktemp("zensical") / "project"))
    assert build.ok, f"zensical build --strict failed:\n{build.output}"
    return Site.load(build.site_dir)


def figures(site: Site) -> dict[str, list[str]]:
    """The <img> sources of each page's content, in order (the themes' own icons differ, and do not count)."""
    return {p.rel: [e.attrs.get("src", "") for e in p.article.iter() if e.tag == "img"] for p in site.nav_pages}


def test_zensical_builds_the_same_pages_as_mkdocs(site: Site, zensical_site: Site) -> None:
    assert [p.rel for p in zensical_site.pages] == [p.rel for p in site.pages]


def test_zensical_shows_the_same_figures_as_mkdocs(site: Site, zensical_site: Site) -> None:
    assert figures(zensical_site) == figures(site)


def test_the_tested_on_tables_reach_both_builds(site: Site, zensical_site: Site) -> None:
    """The generated Markdown, not a build hook: both builders render its headings and rows."""
    for built in (site, zensical_site):
        page = next(p for p in built.pages if p.rel.startswith("tested-on"))
        ids = {e.attrs.get("id") for e in page.tree.iter()}
        assert {"toolchains", "kernels", "every-example"} <= ids, page.rel
        assert page.html.count("<tr>") > 40


def test_a_broken_link_fails_the_zensical_build(tmp_path: Path) -> None:
    """The comparison above can fail: --strict refuses an anchor that does not exist."""
    if not ZENSICAL.exists():
        skip_or_fail(f"no {ZENSICAL}")
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "index.md"
    page.write_text(page.read_text() + "\n[nowhere](tested-on.md#no-such-anchor)\n")
    build = zensical_build(project)
    shutil.rmtree(project, ignore_errors=True)
    assert not build.ok and "anchor does not exist" in build.output, build.output
