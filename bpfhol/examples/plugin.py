"""pytest plugin: every runnable example of every page under docs/ is a test.

A thin layer over bpfhol.examples (collect -> run -> judge), registered by the `pytest11` entry
point of the same name (pyproject.toml), so any pytest of an installed checkout has it (`pip install
-e .`; `pytest --trace-config` lists it, `-p no:bpfhol.examples.plugin` leaves it out). Tests are
named after the page and the line of the example's opening fence, e.g.
`docs/syscalls/exercises-mmap.md::line:31,column:1`; `-k exercises_mmap` or `-k mmap-top-caller`
(a page or a snippet name) selects, and only the selected examples run.

Options:
  --docs-project DIR    the course checkout whose docs run (default: the rootdir)
  --update-shown        rewrite the shown output of each selected example whose live run passes
  --bpfhol-report FILE  write a JSON-lines report: a record per test, example fields for docs
                        examples (the fields: docs/authoring.md, "The report file")
Environment: see bpfhol.config (BPFHOL_SEED, BPFHOL_DOCS_JOBS, BPFHOL_BPFTRACE, BPFHOL_PYTHON).

Each part is a plugin object registered in pytest_configure and kept in `config.stash` (the shape of
pytest-reportlog's plugin): the docs suite, the report file, and the check that the whole session
left nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sybil import Example as SybilExample
from sybil import Sybil
from sybil.integration import pytest as sybil_pytest

from bpfhol import config as bpfhol_config
from bpfhol.examples import capture
from bpfhol.examples.access import bpf_unavailable
from bpfhol.examples.collect import PageParser, Project
from bpfhol.examples.judge import CAPTURE_SEED, failure, judge
from bpfhol.examples.leftovers import Baseline, Tracker
from bpfhol.examples.model import Example, PageProblem, SpecError
from bpfhol.examples.run import RunResult
from bpfhol.examples.session import DocsRun, LabUnavailable
from bpfhol.examples.toolchain import first_unmet


def require_bpf(reason_what: str = "BPF") -> None:
    """Skip the calling test when BPF is unavailable; fail it instead when CI is set."""
    reason = bpf_unavailable(reason_what)
    if reason is None:
        return
    if bpfhol_config.ci():
        pytest.fail(f"{reason} [CI is set: a test that needs BPF fails instead of skipping]", pytrace=False)
    pytest.skip(reason)


def _example(item: pytest.Item) -> Example | None:
    parsed = getattr(getattr(item, "example", None), "parsed", None)
    return parsed if isinstance(parsed, Example) else None


class DocsSuite:
    """The docs examples of one pytest session: collected with sybil, run by one DocsRun, summed up."""

    def __init__(self, project: Project, update_shown: bool) -> None:
        self.project = project
        self.update_shown = update_shown
        self.parser = PageParser(project, self.evaluate)
        self.sybil = Sybil(parsers=[self.parser], patterns=["*.md"], path=str(project.docs), fixtures=["docs_run"])
        self.collect = sybil_pytest.pytest_integration(self.sybil)
        self.outcomes: dict[str, str] = {}  # example id -> passed / failed / skipped
        self.results: dict[str, RunResult] = {}  # example id -> its run
        self.run: DocsRun | None = None
        self.examples: list[Example] = []  # selected
        self.by_nodeid: dict[str, Example] = {}
        self.unmet: dict[str, str] = {}  # example id -> the declared requirement this machine lacks
        self.written = 0

    def evaluate(self, example: SybilExample) -> str | None:
        parsed = example.parsed
        if isinstance(parsed, PageProblem):
            return f"{parsed.id}: {parsed.message}"
        ex: Example = parsed
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
        self.results[ex.id] = outcome.result
        if self.update_shown and ex.shown_name and not judge(ex, outcome.result, outcome.key, shown=False):
            self.written += capture.write_shown(self.project, ex, outcome.result.stdout)
        wrong = judge(ex, outcome.result, outcome.key)
        self.outcomes[ex.id] = "failed" if wrong else "passed"
        return failure(ex, outcome.result, wrong, outcome.key) if wrong else None

    def start(self) -> DocsRun:
        """The run, started at the first example that needs it (root, then labs as needed)."""
        if self.run is None:
            require_bpf("running the docs' examples")
            self.run = DocsRun([ex for ex in self.examples if ex.id not in self.unmet])
            self.run.start()
        return self.run

    def close(self) -> None:
        if self.run is None:
            return
        leftovers = self.run.close()
        if self.update_shown and self.written and "failed" not in self.outcomes.values():
            capture.write_note(self.project)  # the versions note speaks for a capture that fully passed
        if leftovers:
            pytest.fail("the docs examples left these behind:\n  " + "\n  ".join(leftovers), pytrace=False)

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        return self.collect(file_path, parent)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            ex = _example(item)
            if ex is None:
                continue
            if not ex.problems:  # a page's mistake fails without loading anything: `-m "not bpf"` finds it
                item.add_marker(pytest.mark.bpf)
            # -k exercises_mmap (a page) and -k mmap-top-caller (a snippet) select too.
            item.extra_keyword_matches.add(ex.page.stem.replace("-", "_"))
            item.extra_keyword_matches.update(Path(n).name for n in ex.includes)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """After -k / -m / node-id selection: only these examples will run."""
        for item in session.items:
            if (ex := _example(item)) is not None:
                self.examples.append(ex)
                self.by_nodeid[item.nodeid] = ex
        for ex in self.examples:
            if not ex.problems and (why := first_unmet(ex.spec.requires)):
                self.unmet[ex.id] = why

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tr = terminalreporter
        if not (self.examples or self.parser.illustrations):
            return
        tr.section("docs examples")
        counts = {k: sum(1 for o in self.outcomes.values() if o == k) for k in ("passed", "failed", "skipped")}
        not_run = len(self.examples) - sum(counts.values())
        tr.write_line(
            f"{len(self.examples)} examples: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped'] + not_run} skipped; {len(self.parser.illustrations)} illustrations (shown, not run)"
        )
        for ex_id, why in sorted(self.unmet.items()):
            tr.write_line(f"  skipped {ex_id}: {why}")
        skips = tr.stats.get("skipped", [])
        reasons = {r.longrepr[2] for r in skips if isinstance(r.longrepr, tuple) and ".md" in r.nodeid} - {
            f"Skipped: {w}" for w in self.unmet.values()
        }
        for reason in sorted(reasons):
            tr.write_line(f"  skipped: {reason}")
        for ill in self.parser.illustrations:
            tr.write_line(f"  illustration {ill.page}:{ill.line} ({ill.language}): {ill.reason}")
        if self.update_shown:
            tr.write_line(f"--update-shown: {self.written} shown outputs rewritten")
        run = self.run
        if run is not None and run.futures:
            done = run.done()
            total = sum(r.elapsed for _, r in done)
            tr.write_line(
                f"wall {run.wall:.1f} s for the docs run (labs' start included), {total:.1f} s of example runs"
                f" at up to {run.jobs} at once"
            )
            for ex, r in sorted(done, key=lambda d: -d[1].elapsed):
                tr.write_line(f"  {r.elapsed:5.2f} s  {ex.id}  {ex.snippet}")


class ReportFile:
    """`--bpfhol-report FILE`: a JSON object a line, written as each test ends (a killed run keeps what ran)."""

    def __init__(self, path: Path, config: pytest.Config) -> None:
        self.config = config
        self.file: IO[str] = path.open("w", buffering=1)
        self.pending: dict[str, dict[str, Any]] = {}
        self.written: set[str] = set()

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record) + "\n")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        rec = self.pending.setdefault(
            report.nodeid, {"type": "test", "nodeid": report.nodeid, "outcome": "passed", "duration": 0.0, "reason": ""}
        )
        rec["duration"] = round(rec["duration"] + report.duration, 3)
        if report.skipped:
            rec["outcome"] = "skipped"
            longrepr = report.longrepr
            rec["reason"] = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr).removeprefix("Skipped: ")
        elif report.failed:
            rec["outcome"] = "failed" if report.when == "call" else "error"
        if report.when == "teardown":
            self._finish(self.pending.pop(report.nodeid))

    def _finish(self, rec: dict[str, Any]) -> None:
        docs = self.config.stash.get(DOCS, None)
        ex = docs.by_nodeid.get(rec["nodeid"]) if docs else None
        if ex is not None:
            result = docs.results.get(ex.id) if docs else None
            rec.update(type="example", page=str(ex.page), line=ex.line, kind=ex.kind, snippet=ex.snippet)
            rec.update(seconds=round(result.elapsed, 3) if result else None, stderr=result.stderr if result else "")
        self.written.add(rec["nodeid"])
        self.write(rec)

    @pytest.hookimpl(trylast=True)  # after the leftovers check has had its say on the exit status
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for rec in self.pending.values():  # interrupted mid-test
            self._finish(rec)
        self.pending.clear()
        docs = self.config.stash.get(DOCS, None)
        for nodeid in docs.by_nodeid if docs else ():
            if nodeid not in self.written:
                self._finish({"type": "test", "nodeid": nodeid, "outcome": "not run", "duration": 0.0, "reason": ""})
        self.write({"type": "session", "exitstatus": int(session.exitstatus)})

    def close(self) -> None:
        self.file.close()


class SessionLeftovers:
    """The whole session leaves nothing behind either: what any test left fails the run."""

    def __init__(self) -> None:
        self.baseline = Baseline.take()
        self.left: list[str] = []

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.left = Tracker().leftovers(self.baseline)
        if self.left:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.left:
            tr = terminalreporter
            tr.section("left behind", red=True)
            tr.write_line("the test session left these behind (a test did not clean up):")
            for line in self.left:
                tr.write_line(f"  {line}")


DOCS = pytest.StashKey[DocsSuite]()
REPORT = pytest.StashKey[ReportFile]()
LEFTOVERS = pytest.StashKey[SessionLeftovers]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bpfhol", "the course's docs examples (bpfhol.examples.plugin)")
    group.addoption("--docs-project", default=None, help="course checkout whose docs/ examples run")
    group.addoption(
        "--update-shown",
        action="store_true",
        help="rewrite the shown output of each selected example whose live run passes",
    )
    group.addoption(
        "--bpfhol-report",
        metavar="FILE",
        default=None,
        help="write a JSON-lines report: a record per test, with page, line and snippet for docs examples",
    )


def pytest_configure(config: pytest.Config) -> None:
    root = Path(config.getoption("--docs-project") or config.rootpath)
    if (root / "mkdocs.yml").exists():
        update = bool(config.getoption("--update-shown"))
        if update and bpfhol_config.seed() != CAPTURE_SEED:
            raise pytest.UsageError(
                f"--update-shown captures with seed {CAPTURE_SEED}, the seed the pages show: unset BPFHOL_SEED"
            )
        config.stash[DOCS] = DocsSuite(Project(root), update)
        config.pluginmanager.register(config.stash[DOCS], "bpfhol-docs")
    if path := config.getoption("--bpfhol-report"):
        config.stash[REPORT] = ReportFile(Path(path), config)
        config.pluginmanager.register(config.stash[REPORT], "bpfhol-report")
    if bpf_unavailable() is None and not hasattr(config, "workerinput"):  # root: the baseline can see everything
        config.stash[LEFTOVERS] = SessionLeftovers()
        config.pluginmanager.register(config.stash[LEFTOVERS], "bpfhol-leftovers")


def pytest_unconfigure(config: pytest.Config) -> None:
    keys: tuple[pytest.StashKey[Any], ...] = (DOCS, REPORT, LEFTOVERS)
    for key in keys:
        plugin = config.stash.get(key, None)
        if plugin is not None:
            if isinstance(plugin, ReportFile):
                plugin.close()
            config.pluginmanager.unregister(plugin)
            del config.stash[key]


@pytest.fixture(scope="session")
def docs_run(request: pytest.FixtureRequest) -> Iterator[Callable[[], DocsRun]]:
    """A getter: the run starts at the first example that needs it; closed (and checked) at the end."""
    docs = request.config.stash[DOCS]
    yield docs.start
    docs.close()
