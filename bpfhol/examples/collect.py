"""Find the runnable examples of a Markdown page, exactly as the site shows them (the *collect* layer).

A runnable example is a fenced block in `bpftrace`, `python` (a BCC program) or `sh`,
with the `<!-- example -->` marker just above it (its language: bpfhol.examples.model; markers
and front matter are lexed by bpfhol.examples.markers) and, right after it, the `text` block that
shows its output.  Fences may carry MkDocs-Material attributes (`bpftrace title="x.bt" hl_lines="2"`)
and sit indented inside admonitions and tabs.  Includes (`--8<-- "syscalls/x.bt"`) are expanded by
pymdownx.snippets itself, configured from mkdocs.yml, so what runs is what the reader sees.
A page's own mistakes (an unknown marker or front-matter key, an example comment with no program
under it) are regions too: each fails with its page and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import markdown
from mkdocs.config import load_config
from sybil import Document, Region
from sybil.typing import Evaluator

from bpfhol.examples.markers import Marker, MarkupError, fences, front_matter, key_line, markers
from bpfhol.examples.model import Example, Illustration, PageProblem, Spec, SpecError, parse_spec
from bpfhol.labs import LABS, known

RUNNABLE = {"bpftrace": "bpftrace", "python": "python", "sh": "sh"}  # fence language -> runner kind
_INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<name>[^"]+)"\s*$')


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
        self._snippets = md.preprocessors["snippet"]

    def expand(self, text: str) -> str:
        """Expand `--8<--` includes as the site build does (raises on a missing file)."""
        return "\n".join(self._snippets.run(text.split("\n")))  # a preprocessor's public entry point

    def snippet_path(self, name: str) -> Path:
        for base in self.snippet_bases:
            if (base / name).exists():
                return base / name
        return self.snippet_bases[0] / name


def _includes(source: str) -> list[str]:
    return [m.group("name") for line in source.splitlines() if (m := _INCLUDE.match(line))]


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _offset(text: str, line: int) -> int:
    """Where the page's line `line` starts."""
    return sum(len(s) for s in text.splitlines(keepends=True)[: line - 1])


class PageParser:
    """A sybil parser: one region per runnable example of a page, and one per mistake of the page."""

    def __init__(self, project: Project, evaluator: Evaluator | None = None) -> None:
        self.project = project
        self.evaluator = evaluator
        self.illustrations: list[Illustration] = []

    def __call__(self, document: Document) -> Iterator[Region]:
        text = document.text
        page = Path(document.path).resolve().relative_to(self.project.root)
        meta, unknown = front_matter(text)
        found, stray = markers(document)
        lab, lab_problem = self._lab(page, text, meta)
        above = {m.end: m for m in found if m.name == "example"}  # an example marker, by where it ends
        used: set[int] = set()
        blocks = fences(document)
        for i, block in enumerate(blocks):
            language = block.lexemes["language"]
            if language not in RUNNABLE:
                continue
            marker = next(
                (m for end, m in above.items() if end <= block.start and not text[end : block.start].strip()), None
            )
            if marker is not None:
                used.add(marker.end)
            ex = self._example(page, _line(text, block.start), block, marker)
            if isinstance(ex, Illustration):
                self.illustrations.append(ex)
                continue
            ex.lab = lab
            if lab_problem:
                ex.problems.insert(0, lab_problem)
            end = block.end
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if nxt is not None and not text[block.end : nxt.start].strip() and nxt.lexemes["language"] == "text":
                self._shown(ex, nxt)
                end = nxt.end
            elif not ex.problems:
                ex.problems.append("no shown output: put a ```text block including the .out file right after it")
            yield Region(block.start, end, parsed=ex, evaluator=self.evaluator)
        problems = [PageProblem(page, e.line, str(e)) for e in (*unknown, *stray)]
        problems += [
            PageProblem(
                page, m.line, "an example comment must sit right above the bpftrace, python or sh block it describes"
            )
            for m in above.values()
            if m.end not in used
        ]
        for p in problems:
            start = _offset(text, p.line)
            yield Region(start, start + len(text[start:].split("\n", 1)[0]), parsed=p, evaluator=self.evaluator)

    @staticmethod
    def _lab(page: Path, text: str, meta: dict) -> tuple[str | None, str | None]:
        """The lab the front matter names (`lab: syscalls`), and a problem if it names none we know."""
        name = meta.get("lab")
        if name is None:
            return None, None
        if name not in LABS:
            return None, f"{page}:{key_line(text, 'lab')}: front matter: unknown lab '{name}' (labs: {known()})"
        return str(name), None

    def _example(self, page: Path, line: int, block: Region, marker: Marker | None) -> Example | Illustration:
        language = block.lexemes["language"]
        raw = str(block.lexemes["source"])
        problems: list[str] = []
        spec = Spec()
        if marker is None:
            problems.append(
                f"this {language} block runs, but has neither expectations nor an illustration mark: "
                "put an <!-- example ... --> comment right above it"
            )
        else:
            try:
                spec = parse_spec(marker.body)
            except SpecError as e:
                at = marker.body_line + e.line - 1 if e.line else marker.line
                problems.append(f"{page}:{at}: example comment: {e}")
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
    """Every runnable example of every page, in page order (for tools outside pytest).

    ValueError names the page and line of the first mistake a page holds (as the docs suite would fail it).
    """
    parser = PageParser(project)
    found = []
    for page in sorted(project.docs.rglob("*.md")):
        for region in Document.parse(str(page), parser).examples():
            if isinstance(region.parsed, PageProblem):
                raise MarkupError(region.parsed.line, f"{region.parsed.id}: {region.parsed.message}")
            found.append(region.parsed)
    return found
