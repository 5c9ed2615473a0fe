"""Building the site and finding things in the built pages.

Everything here reads what MkDocs-Material and pymdown-extensions actually wrote, so the
checks and the browser tests pick their targets from the real lab pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest
import yaml

from bpfhol import config
from tests.site.htmltree import Element, parse

ROOT = config.ROOT
# What a copy of the project needs to build on its own.
PROJECT_PARTS = ("mkdocs.yml", "docs", "snippets", "overrides", "devtools")  # devtools: the search hook


def in_ci() -> bool:
    return config.ci()


def skip_or_fail(reason: str) -> None:
    """Skip with `reason`, or fail with it when CI is set (CI never goes green by skipping)."""
    if in_ci():
        pytest.fail(f"{reason} [CI is set: this fails instead of skipping]", pytrace=False)
    pytest.skip(reason)


@dataclass
class BuildResult:
    returncode: int
    output: str
    site_dir: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def mkdocs_build(project: Path, site_dir: Path) -> BuildResult:
    """`mkdocs build --strict` of the project at `project` (pymdownx.snippets' base_path is cwd-relative)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return BuildResult(proc.returncode, proc.stdout + proc.stderr, site_dir)


def copy_project(dest: Path) -> Path:
    """Copy what the site build reads into `dest`, to break it without touching the checkout."""
    dest.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        elif src.exists():
            shutil.copy2(src, dest / part)
    return dest


class _IgnoreTagsLoader(yaml.SafeLoader):
    """Reads mkdocs.yml even where it uses tags such as !ENV (only `nav` is needed)."""


_IgnoreTagsLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def nav_sources(config: Path = ROOT / "mkdocs.yml") -> list[str]:
    """The Markdown files of the nav, in nav order."""
    found: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, str):
            if item.endswith(".md"):
                found.append(item)
        elif isinstance(item, list):
            for sub in item:
                walk(sub)
        elif isinstance(item, dict):
            for sub in item.values():
                walk(sub)

    walk(yaml.load(config.read_text(), Loader=_IgnoreTagsLoader).get("nav", []))
    return found


def html_path(src: str) -> str:
    """docs/-relative Markdown path -> site-relative HTML path (the offline plugin turns off directory URLs)."""
    return src[: -len(".md")] + ".html"


@dataclass
class CodeBlock:
    lang: str
    element: Element  # the div.highlight
    code: Element

    @property
    def text(self) -> str:
        return self.code.text()

    def inside(self, tag: str) -> bool:
        return any(a.tag == tag for a in self.element.ancestors())


@dataclass
class Page:
    rel: str  # site-relative path, e.g. "syscalls/exercises-open.html"
    path: Path

    @cached_property
    def html(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @cached_property
    def tree(self) -> Element:
        return parse(self.html)

    @cached_property
    def article(self) -> Element:
        found = self.tree.find(lambda e: e.tag == "article")
        return found if found is not None else self.tree

    @property
    def title(self) -> str:
        found = self.tree.find(lambda e: e.tag == "title")
        return found.text().strip() if found is not None else ""

    @property
    def h1s(self) -> list[str]:
        return [e.text().replace("¶", "").strip() for e in self.article.find_all(lambda e: e.tag == "h1")]

    def code_blocks(self, lang: str | None = None) -> list[CodeBlock]:
        blocks = []
        for div in self.article.find_all(lambda e: e.tag == "div" and "highlight" in e.classes):
            langs = [c[len("language-") :] for c in div.classes if c.startswith("language-")]
            code = div.find(lambda e: e.tag == "code")
            if code is None:
                continue
            block = CodeBlock(langs[0] if langs else "", div, code)
            if lang is None or block.lang == lang:
                blocks.append(block)
        return blocks

    @property
    def is_exercise(self) -> bool:
        return self.rel.split("/")[-1].startswith("exercises")

    def solutions(self) -> list[Element]:
        """Solution blocks: `??? success "Solution: ..."` (<details class="success">) on exercise
        pages, and any collapsible whose summary starts with "Solution"."""
        out = []
        for d in self.article.find_all(lambda e: e.tag == "details"):
            summary = d.find(lambda e: e.tag == "summary")
            label = summary.text().strip() if summary is not None else ""
            if label.lower().startswith("solution") or (self.is_exercise and "success" in d.classes):
                out.append(d)
        return out

    def tab_sets(self, label: str | None = None) -> list[Element]:
        sets = self.article.find_all(lambda e: e.tag == "div" and "tabbed-set" in e.classes)
        if label is None:
            return sets
        return [s for s in sets if label in tab_labels(s)]


def tab_labels(tab_set: Element) -> list[str]:
    labels = tab_set.find(lambda e: e.tag == "div" and "tabbed-labels" in e.classes)
    if labels is None:
        return []
    return [lab.text().strip() for lab in labels.children if isinstance(lab, Element) and lab.tag == "label"]


@dataclass
class Site:
    dir: Path
    pages: list[Page] = field(default_factory=list)

    @classmethod
    def load(cls, site_dir: Path) -> Site:
        """Every built page; nav pages first in nav order, then the rest (e.g. 404.html)."""
        order = {html_path(src): i for i, src in enumerate(nav_sources())}
        rels = sorted(
            (p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")),
            key=lambda rel: (order.get(rel, len(order)), rel),
        )
        rels = [r for r in rels if not r.startswith(("assets/", "search/"))]
        return cls(site_dir, [Page(rel, site_dir / rel) for rel in rels])

    @property
    def nav_pages(self) -> list[Page]:
        wanted = {html_path(src) for src in nav_sources()}
        return [p for p in self.pages if p.rel in wanted]
