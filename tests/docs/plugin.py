"""pytest plugin: every runnable example of every page under docs/ is a test.

A thin layer over bpfhol.examples (collect -> run -> judge): loaded with `-p tests.docs.plugin`
(pyproject's addopts). Tests are named after the page and the line of the example's opening
fence, e.g. `docs/syscalls/exercises-mmap.md::line:31,column:1`; `-k exercises_mmap` or
`-k mmap-top-caller` (a page or a snippet name) selects, and only the selected examples run.

Options:
  --docs-project DIR   the course checkout whose docs run (default: the rootdir)
  --update-shown       rewrite the shown output of each selected example whose live run passes
Environment: see bpfhol.config (BPFHOL_SEED, BPFHOL_DOCS_JOBS, BPFHOL_BPFTRACE, BPFHOL_PYTHON).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sybil import Sybil
from sybil.integration import pytest as sybil_pytest

from bpfhol import config as bpfhol_config
from bpfhol.examples import capture
from bpfhol.examples.collect import PageParser, Project
from bpfhol.examples.judge import CAPTURE_SEED, failure, judge
from bpfhol.examples.leftovers import Baseline, Tracker
from bpfhol.examples.model import Example, SpecError
from bpfhol.examples.session import DocsRun, LabUnavailable
from bpfhol.examples.toolchain import first_unmet
from tests.bpf import bpf_unavailable, require_bpf


class _Docs:
    """The plugin's state for one pytest session."""

    def __init__(self, project: Project, update_shown: bool) -> None:
        self.project = project
        self.update_shown = update_shown
        self.parser = PageParser(project, self.evaluate)
        self.sybil = Sybil(parsers=[self.parser], patterns=["*.md"], path=str(project.docs), fixtures=["docs_run"])
        self.collect = sybil_pytest.pytest_integration(self.sybil)
        self.outcomes: dict[str, str] = {}
        self.run: DocsRun | None = None
        self.examples: list[Example] = []  # selected
        self.unmet: dict[str, str] = {}  # example id -> the declared requirement this machine lacks
        self.written = 0

    def evaluate(self, example) -> str | None:
        ex: Example = example.parsed
        if ex.problems:
            self.outcomes[ex.id] = "failed"
            return failure(ex, None, ex.problems, None)
        if ex.id in self.unmet:
            self.outcomes[ex.id] = "skipped"
            pytest.skip(self.unmet[ex.id])
        run: DocsRun = example.namespace["docs_run"]()
        try:
            outcome = run.outcome(ex)
        except (LabUnavailable, SpecError) as e:  # no lab, or arguments naming what it lacks
            self.outcomes[ex.id] = "failed"
            return f"{ex.id}: {e}"
        if self.update_shown and ex.shown_name and not judge(ex, outcome.result, outcome.key, shown=False):
            self.written += capture.write_shown(self.project, ex, outcome.result.stdout)
        wrong = judge(ex, outcome.result, outcome.key)
        self.outcomes[ex.id] = "failed" if wrong else "passed"
        return failure(ex, outcome.result, wrong, outcome.key) if wrong else None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--docs-project", default=None, help="course checkout whose docs/ examples run")
    parser.addoption(
        "--update-shown",
        action="store_true",
        help="rewrite the shown output of each selected example whose live run passes",
    )


def pytest_configure(config: pytest.Config) -> None:
    root = Path(config.getoption("--docs-project") or config.rootpath)
    if (root / "mkdocs.yml").exists():
        update = bool(config.getoption("--update-shown"))
        if update and bpfhol_config.seed() != CAPTURE_SEED:
            raise pytest.UsageError(
                f"--update-shown captures with seed {CAPTURE_SEED}, the seed the pages show: unset BPFHOL_SEED"
            )
        config._bpfhol_docs = _Docs(Project(root), update)  # type: ignore[attr-defined]
    if bpf_unavailable() is None:  # the whole session leaves nothing behind either
        config._bpfhol_baseline = Baseline.take()  # type: ignore[attr-defined]


def pytest_collect_file(file_path: Path, parent):
    docs: _Docs | None = getattr(parent.config, "_bpfhol_docs", None)
    return docs.collect(file_path, parent) if docs else None


def _example(item: pytest.Item) -> Example | None:
    parsed = getattr(getattr(item, "example", None), "parsed", None)
    return parsed if isinstance(parsed, Example) else None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        ex = _example(item)
        if ex is None:
            continue
        item.add_marker(pytest.mark.bpf)
        # -k exercises_mmap (a page) and -k mmap-top-caller (a snippet) select too.
        item.extra_keyword_matches.add(ex.page.stem.replace("-", "_"))
        item.extra_keyword_matches.update(Path(n).name for n in ex.includes)


def pytest_collection_finish(session: pytest.Session) -> None:
    """After -k / -m / node-id selection: only these examples will run."""
    docs: _Docs | None = getattr(session.config, "_bpfhol_docs", None)
    if docs:
        docs.examples = [ex for item in session.items if (ex := _example(item)) is not None]
        for ex in docs.examples:
            if not ex.problems and (why := first_unmet(ex.spec.requires)):
                docs.unmet[ex.id] = why


@pytest.fixture(scope="session")
def docs_run(request: pytest.FixtureRequest):
    """A getter: the run starts at the first example that needs it (root, then labs as needed)."""
    docs: _Docs = request.config._bpfhol_docs  # type: ignore[attr-defined]

    def get() -> DocsRun:
        if docs.run is None:
            require_bpf("running the docs' examples")
            runnable = [ex for ex in docs.examples if ex.id not in docs.unmet]
            docs.run = DocsRun(runnable)
            docs.run.start()
        return docs.run

    yield get
    if docs.run is not None:
        leftovers = docs.run.close()
        if docs.update_shown and docs.written and "failed" not in docs.outcomes.values():
            capture.write_note(docs.project)  # the versions note speaks for a capture that fully passed
        if leftovers:
            pytest.fail("the docs examples left these behind:\n  " + "\n  ".join(leftovers), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    baseline: Baseline | None = getattr(session.config, "_bpfhol_baseline", None)
    if baseline is None or getattr(session.config, "workerinput", None) is not None:
        return
    left = Tracker().leftovers(baseline)
    if left:
        session.config._bpfhol_session_leftovers = left  # type: ignore[attr-defined]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    tr = terminalreporter
    left = getattr(config, "_bpfhol_session_leftovers", None)
    if left:
        tr.section("left behind", red=True)
        tr.write_line("the test session left these behind (a test did not clean up):")
        for line in left:
            tr.write_line(f"  {line}")
    docs: _Docs | None = getattr(config, "_bpfhol_docs", None)
    if not docs or not (docs.examples or docs.parser.illustrations):
        return
    tr.section("docs examples")
    counts = {k: sum(1 for o in docs.outcomes.values() if o == k) for k in ("passed", "failed", "skipped")}
    not_run = len(docs.examples) - sum(counts.values())
    tr.write_line(
        f"{len(docs.examples)} examples: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped'] + not_run} skipped; {len(docs.parser.illustrations)} illustrations (shown, not run)"
    )
    for ex_id, why in sorted(docs.unmet.items()):
        tr.write_line(f"  skipped {ex_id}: {why}")
    skips = tr.stats.get("skipped", [])
    reasons = {r.longrepr[2] for r in skips if isinstance(r.longrepr, tuple) and ".md" in r.nodeid} - set(
        f"Skipped: {w}" for w in docs.unmet.values()
    )
    for reason in sorted(reasons):
        tr.write_line(f"  skipped: {reason}")
    for ill in docs.parser.illustrations:
        tr.write_line(f"  illustration {ill.page}:{ill.line} ({ill.language}): {ill.reason}")
    if docs.update_shown:
        tr.write_line(f"--update-shown: {docs.written} shown outputs rewritten")
    run = docs.run
    if run is not None and run.futures:
        done = run.done()
        total = sum(r.elapsed for _, r in done)
        tr.write_line(
            f"wall {run.wall:.1f} s for the docs run (labs' start included), {total:.1f} s of example runs"
            f" at up to {run.jobs} at once"
        )
        for ex, r in sorted(done, key=lambda d: -d[1].elapsed):
            tr.write_line(f"  {r.elapsed:5.2f} s  {ex.id}  {ex.snippet}")
