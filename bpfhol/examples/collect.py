"""Find the runnable examples of a Markdown page, exactly as the site shows them (the *collect* layer).

A runnable example is a fenced block in `bpftrace`, `python` (a BCC program) or `sh`,
with the example comment just above it (see bpfhol.examples.model) and, right after it, the
`text` block that shows its output.  Fences may carry MkDocs-Material attributes
(`bpftrace title="x.bt" hl_lines="2"`) and sit indented inside admonitions and tabs.
Includes (`--8<-- "syscalls/x.bt"`) are expanded by pymdownx.snippets itself, configured
from mkdocs.yml, so what runs is what the reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import markdown
from mkdocs.config import load_config
from sybil import Document, Region
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer
from sybil.typing import Evaluator

from bpfhol.examples.model import Example, Illustration, Spec, SpecError, parse_spec
from bpfhol.labs import LABS, known

RUNNABLE = {"bpftrace": "bpftrace", "python": "python", "sh": "sh"}  # fence language -> runner kind
_INFO = re.compile(r"(?P<language>[\w+-]*)(?P<attributes>[^\n]*)$\n", re.MULTILINE)
_COMMENT = re.compile(r"<!--\s*example\b(?P<body>.*?)-->\s*\Z", re.DOTALL)
_INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<name>[^"]+)"\s*$')
_FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?\n)---\n", re.DOTALL)


def page_lab(text: str) -> tuple[str | None, str | None]:
    """The lab a page's front matter names (`lab: syscalls`), and a problem if it names none we know."""
    m = _FRONT_MATTER.match(text)
    if m is None:
        return None, None
    for line in m.group("body").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "lab":
            name = value.strip()
            if name not in LABS:
                return None, f"front matter: unknown lab '{name}' (labs: {known()})"
            return name, None
    return None, None


class Project:
    """A course checkout: its mkdocs.yml, docs and snippets, and the includes expander."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        config = load_config(str(self.root / "mkdocs.yml"))
        self.docs = Path(config["docs_dir"]).resolve()
        extensions = list(config["markdown_extensions"])
        configs = dict(config["mdx_configs"])
        snip = dict(configs.get("pymdownx.snippets", {}))
        bases = snip.get("base_path", ["."])
        bases = [bases] if isinstance(bases, str) else bases
        # mkdocs resolves base_path from the project root; make that independent of our cwd.
        snip["base_path"] = [str(self.root / b) for b in bases]
        snip["auto_append"] = []  # site-wide footers are not part of any example
        configs["pymdownx.snippets"] = snip
        self.snippet_bases = [Path(b) for b in snip["base_path"]]
        md = markdown.Markdown(extensions=extensions, extension_configs=configs)
        self._snippets: Any = md.preprocessors["snippet"]  # pymdownx's SnippetPreprocessor

    def expand(self, text: str) -> str:
        """Expand `--8<--` includes as the site build does (raises on a missing file)."""
        self._snippets.seen = set()
        return "\n".join(self._snippets.parse_snippets(text.split("\n")))

    def snippet_path(self, name: str) -> Path:
        for base in self.snippet_bases:
            if (base / name).exists():
                return base / name
        return self.snippet_bases[0] / name


def _includes(source: str) -> list[str]:
    return [m.group("name") for line in source.splitlines() if (m := _INCLUDE.match(line))]


class PageParser:
    """A sybil parser: one region per runnable example of a page."""

    def __init__(self, project: Project, evaluator: Evaluator | None = None) -> None:
        self.project = project
        self.evaluator = evaluator
        self.lexer = RawFencedCodeBlockLexer(info_pattern=_INFO)
        self.illustrations: list[Illustration] = []

    def __call__(self, document: Document) -> Iterator[Region]:
        lexed = sorted(self.lexer(document), key=lambda r: r.start)
        # A fence quoted inside a longer one (````markdown ... ```bpftrace ...) is text, not a block.
        blocks = [b for b in lexed if not any(o.start < b.start and b.end <= o.end for o in lexed)]
        page = Path(document.path).resolve().relative_to(self.project.root)
        lab, lab_problem = page_lab(document.text)
        prev_end = 0
        for i, block in enumerate(blocks):
            language = block.lexemes["language"]
            gap_before = document.text[prev_end : block.start]
            prev_end = block.end
            if language not in RUNNABLE:
                continue
            line = document.text.count("\n", 0, block.start) + 1
            ex = self._example(page, line, block, gap_before)
            if isinstance(ex, Illustration):
                self.illustrations.append(ex)
                continue
            ex.lab = lab
            if lab_problem:
                ex.problems.insert(0, lab_problem)
            end = block.end
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            adjacent = nxt is not None and not document.text[block.end : nxt.start].strip()
            if adjacent and nxt is not None and nxt.lexemes["language"] == "text":
                self._shown(ex, nxt)
                end = nxt.end
            elif not ex.problems:
                ex.problems.append("no shown output: put a ```text block including the .out file right after it")
            yield Region(block.start, end, parsed=ex, evaluator=self.evaluator)

    def _example(self, page: Path, line: int, block: Region, gap_before: str) -> Example | Illustration:
        language = block.lexemes["language"]
        raw = str(block.lexemes["source"])
        problems: list[str] = []
        m = _COMMENT.search(gap_before[gap_before.rfind("<!--") :] if "<!--" in gap_before else "")
        spec = Spec()
        if m is None:
            problems.append(
                f"this {language} block runs, but has neither expectations nor an illustration mark: "
                "put an <!-- example ... --> comment right above it"
            )
        else:
            try:
                spec = parse_spec(m.group("body"))
            except SpecError as e:
                problems.append(f"example comment: {e}")
            if spec.illustration:
                return Illustration(page, line, language, spec.illustration)
        try:
            source = self.project.expand(raw)
        except Exception as e:  # pymdownx raises SnippetMissingError for a missing include
            source = raw
            problems.append(f"include failed: {e}")
        return Example(page, line, RUNNABLE[language], source, _includes(raw), spec, problems=problems)

    def _shown(self, ex: Example, block: Region) -> None:
        raw = str(block.lexemes["source"])
        names = _includes(raw)
        if len(names) != 1 or raw.strip().count("\n"):
            ex.problems.append('its shown output block must hold one include: --8<-- "<lab>/<name>.out"')
            return
        ex.shown_name = names[0]
        path = self.project.snippet_path(ex.shown_name)
        if path.exists():
            ex.shown = path.read_text()


def collect(project: Project) -> list[Example]:
    """Every runnable example of every page, in page order (for capture and tools outside pytest)."""
    parser = PageParser(project)
    found = []
    for page in sorted(project.docs.rglob("*.md")):
        doc = Document.parse(str(page), parser)
        found += [e.parsed for e in doc.examples() if isinstance(e.parsed, Example)]
    return found
