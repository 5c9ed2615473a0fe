"""Re-capture every shown output from a real run: `sudo ./dev capture [FILTER...]`.

Each example runs exactly as the docs suite runs it (same runner, same workload and
scenario); its stdout replaces the `.out` file that the page shows, but only when the
run meets the example's own expectations, so a bad run never becomes the page.  The
kernel, bpftrace and BCC versions of the capture go to snippets/captured-with.md, which
every page of the site shows at its foot.

FILTER keeps the examples whose page:line or snippet name contains it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

from sybil import Document

from bpfhol.runner import ROOT, bpftrace_command, python_command
from tests.docs.pages import DocExample, PageParser, Project
from tests.docs.plugin import failure
from tests.docs.session import DocsRun, judge

NOTE = "captured-with.md"


def collect(project: Project) -> list[DocExample]:
    parser = PageParser(project, evaluator=None)
    examples = []
    for page in sorted(project.docs.rglob("*.md")):
        doc = Document.parse(str(page), parser)
        examples += [e.parsed for e in doc.examples() if isinstance(e.parsed, DocExample)]
    return examples


def versions() -> str:
    """One sentence naming what the outputs were captured with."""

    def first_line(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    bpftrace = first_line([*bpftrace_command(), "--version"])
    bcc = first_line([*python_command(), "-c", "import bcc; print(getattr(bcc, '__version__', 'unknown'))"])
    today = datetime.date.today().isoformat()
    return (
        f"Outputs shown in this course were captured on Linux {platform.release()} ({platform.machine()})"
        f" with {bpftrace} and BCC {bcc}, on {today}."
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="./dev capture", description=__doc__.splitlines()[0])
    ap.add_argument("filters", nargs="*", metavar="FILTER")
    ap.add_argument("--project", type=Path, default=ROOT, help="course checkout (default: this one)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("capture: running the examples loads BPF programs: run it as root (sudo ./dev capture)", file=sys.stderr)
        return 2
    project = Project(args.project)
    examples = [
        ex for ex in collect(project)
        if not args.filters or any(f in ex.id or f in ex.snippet for f in args.filters)
    ]
    broken = [ex for ex in examples if ex.problems or ex.shown_name is None]
    for ex in broken:
        print(failure(ex, None, ex.problems or ["no shown output block to capture into"], None), file=sys.stderr)
    todo = [ex for ex in examples if ex not in broken]
    if not todo:
        print("capture: no example matches" if args.filters else "capture: no examples found", file=sys.stderr)
        return 2 if args.filters else 0
    run = DocsRun(todo, seed=int(os.environ.get("BPFHOL_SEED", "0")))
    written = failed = 0
    try:
        run.start()
        for ex in todo:
            result = run.result(ex)
            wrong = judge(ex, result, run.key, shown=False)
            if wrong:
                failed += 1
                print(failure(ex, result, wrong, run.key), file=sys.stderr)
                continue
            target = project.snippet_path(ex.shown_name)  # type: ignore[arg-type]
            if ex.shown != result.stdout:
                target.write_text(result.stdout)
                written += 1
            print(f"  {result.elapsed:5.2f} s  {ex.id}  -> snippets/{ex.shown_name}")
    finally:
        leftovers = run.close()
    for left in leftovers:
        print(f"capture: left behind: {left}", file=sys.stderr)
    if not args.filters and not failed:
        (project.snippet_bases[0] / NOTE).write_text(versions() + "\n")
    print(
        f"capture: {len(todo)} examples ran in {run.wall:.1f} s; {written} shown outputs changed;"
        f" {failed + len(broken)} failed"
    )
    return 1 if failed or broken or leftovers else 0


if __name__ == "__main__":
    raise SystemExit(main())
