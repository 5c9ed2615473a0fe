"""pytest plugin: every test's outcome as JSON, for the toolchain matrix.

`-p devtools.report` with BPFHOL_REPORT=FILE writes {"tests": [...], "examples": [...]}:
each test's node id, outcome, skip reason and duration, and for each docs example the
snippet it runs and the bpftrace/Python warnings it printed on stderr.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

WARNING = re.compile(r"^.*\bWARNING:.*$|^.*: warning: .*$", re.MULTILINE)
_records: dict[str, dict[str, Any]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    rec = _records.setdefault(report.nodeid, {"id": report.nodeid, "outcome": "passed", "duration": 0.0})
    rec["duration"] = round(rec["duration"] + report.duration, 2)
    if report.skipped:
        rec["outcome"] = "skipped"
        longrepr = report.longrepr
        rec["reason"] = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr).removeprefix("Skipped: ")
    elif report.failed:
        rec["outcome"] = "failed" if report.when == "call" else "error"


def _examples(config: pytest.Config) -> list[dict[str, Any]]:
    """Each docs example with its test's outcome, the snippet it runs and the warnings it printed."""
    docs = getattr(config, "_bpfhol_docs", None)
    run = getattr(docs, "run", None)
    found = []
    for ex in getattr(docs, "examples", []):
        nodeid = f"{ex.page}::line:{ex.line},column:1"
        rec = next((r for i, r in _records.items() if i.endswith(nodeid)), {"outcome": "not run"})
        entry = {
            "page": str(ex.page),
            "line": ex.line,
            "kind": ex.kind,
            "snippet": ex.snippet,
            "outcome": rec["outcome"],
            "reason": rec.get("reason", ""),
            "warnings": [],
        }
        future = getattr(run, "futures", {}).get(ex.id)
        if future is not None and future.done() and not future.cancelled() and future.exception() is None:
            result = future.result().result
            entry["warnings"] = sorted(set(WARNING.findall(result.stderr)))
            entry["seconds"] = round(result.elapsed, 2)  # its own run, start to exit (they run side by side)
        found.append(entry)
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    out = os.environ.get("BPFHOL_REPORT")
    if not out:
        return
    report = {"exitstatus": int(exitstatus), "tests": list(_records.values()), "examples": _examples(session.config)}
    Path(out).write_text(json.dumps(report, indent=1) + "\n")
