"""pytest plugin: every runnable example of every page under docs/ is a test.

Loaded with `-p tests.docs.plugin` (pyproject's addopts).  Sybil collects the pages;
tests are named after the page and the line of the example's opening fence, e.g.
`docs/syscalls/exercises-mmap.md::line:31,column:1`.

Options (or environment):
  --docs-project DIR   the course checkout whose docs run (default: the rootdir)
  BPFHOL_SEED          the workload scenario the examples run against (default 0, the
                       one the shown outputs were captured with)
  BPFHOL_DOCS_JOBS     examples run at once (default 3)
  BPFHOL_BPFTRACE, BPFHOL_PYTHON: see bpfhol.runner
"""

from __future__ import annotations

import difflib
import os
import shlex
import textwrap
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.integration import pytest as sybil_pytest

from tests.bpf import require_bpf
from tests.docs.pages import DocExample, PageParser, Project
from tests.docs.session import DocsRun, expectations, judge


class _Docs:
    """The plugin's state for one pytest session."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.parser = PageParser(project, self.evaluate)
        self.sybil = Sybil(parsers=[self.parser], patterns=["*.md"], path=str(project.docs), fixtures=["docs_run"])
        self.collect = sybil_pytest.pytest_integration(self.sybil)
        self.outcomes: dict[str, str] = {}
        self.run: DocsRun | None = None
        self.examples: list[DocExample] = []

    def evaluate(self, example) -> str | None:
        ex: DocExample = example.parsed
        if ex.problems:
            self.outcomes[ex.id] = "failed"
            return failure(ex, None, ex.problems, None)
        run: DocsRun = example.namespace["docs_run"]()
        result = run.result(ex)
        wrong = judge(ex, result, run.key)
        self.outcomes[ex.id] = "failed" if wrong else "passed"
        return failure(ex, result, wrong, run.key) if wrong else None


def failure(ex: DocExample, result, wrong: list[str], key) -> str:
    """The message an author needs: where, what ran, how it ended, what broke, and the drift."""
    lines = [f"{ex.id}: the {ex.kind} example failed", f"  snippet:  {ex.snippet}"]
    if result is not None:
        lines += [
            f"  command:  {shlex.join(result.command)}  ({result.how}, {result.elapsed:.1f} s)",
            f"  exit:     {result.returncode if result.returncode is not None else 'none (killed)'}",
        ]
    lines.append("  failed:")
    lines += [f"    - {w}" for w in wrong]
    if result is not None:
        lines.append("  expectations (as checked):")
        lines += [f"    {e}" for e in expectations(ex, key)]
        lines.append("  stderr:")
        lines += [textwrap.indent(result.stderr.rstrip() or "(empty)", "    | ")]
        if ex.shown is not None and ex.shown != result.stdout:
            lines.append(f"  live vs shown output (- shown in snippets/{ex.shown_name}, + live):")
            diff = difflib.unified_diff(ex.shown.splitlines(), result.stdout.splitlines(), "shown", "live", lineterm="")
            lines += ["    " + d for d in list(diff)[2:]]
        elif ex.shown is None:
            lines.append("  live output:")
            lines += [textwrap.indent(result.stdout.rstrip() or "(empty)", "    | ")]
    return "\n".join(lines)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--docs-project", default=None, help="course checkout whose docs/ examples run")


def pytest_configure(config: pytest.Config) -> None:
    root = Path(config.getoption("--docs-project") or config.rootpath)
    if (root / "mkdocs.yml").exists():
        config._bpfhol_docs = _Docs(Project(root))  # type: ignore[attr-defined]


def pytest_collect_file(file_path: Path, parent):
    docs: _Docs | None = getattr(parent.config, "_bpfhol_docs", None)
    return docs.collect(file_path, parent) if docs else None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    docs: _Docs | None = getattr(config, "_bpfhol_docs", None)
    if docs:
        parsed = (getattr(getattr(i, "example", None), "parsed", None) for i in items)
        docs.examples = [p for p in parsed if isinstance(p, DocExample)]


@pytest.fixture(scope="session")
def docs_run(request: pytest.FixtureRequest):
    """A getter: the run starts at the first example that needs it (root and the workload)."""
    docs: _Docs = request.config._bpfhol_docs  # type: ignore[attr-defined]

    def get() -> DocsRun:
        if docs.run is None:
            require_bpf("running the docs' examples")
            seed = int(os.environ.get("BPFHOL_SEED", "0"))
            docs.run = DocsRun(docs.examples, seed=seed)
            docs.run.start()
        return docs.run

    yield get
    if docs.run is not None:
        leftovers = docs.run.close()
        if leftovers:
            pytest.fail("the docs examples left these behind:\n  " + "\n  ".join(leftovers), pytrace=False)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    docs: _Docs | None = getattr(config, "_bpfhol_docs", None)
    if not docs or not (docs.examples or docs.parser.illustrations):
        return
    tr = terminalreporter
    tr.section("docs examples")
    passed = sum(1 for o in docs.outcomes.values() if o == "passed")
    failed = sum(1 for o in docs.outcomes.values() if o == "failed")
    skipped = len(docs.examples) - passed - failed
    skips = tr.stats.get("skipped", [])
    reasons = {r.longrepr[2] for r in skips if isinstance(r.longrepr, tuple) and ".md" in r.nodeid}
    tr.write_line(
        f"{len(docs.examples)} examples: {passed} passed, {failed} failed, {skipped} skipped;"
        f" {len(docs.parser.illustrations)} illustrations (shown, not run)"
    )
    for reason in sorted(reasons):
        tr.write_line(f"  skipped: {reason}")
    for ill in docs.parser.illustrations:
        tr.write_line(f"  illustration {ill.page}:{ill.line} ({ill.language}): {ill.reason}")
    run = docs.run
    if run is not None and run.futures:
        futures = [(ex, run.futures.get(ex.id)) for ex in docs.examples]
        done = [(ex, f.result()) for ex, f in futures if f is not None and f.done() and not f.cancelled()]
        total = sum(r.elapsed for _, r in done)
        tr.write_line(
            f"wall {run.wall:.1f} s for the docs run (workload start included), {total:.1f} s of example runs"
            f" at up to {run.jobs} at once"
        )
        for ex, r in sorted(done, key=lambda d: -d[1].elapsed):
            tr.write_line(f"  {r.elapsed:5.2f} s  {ex.id}  {ex.snippet}")
