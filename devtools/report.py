"""The toolchain and kernel matrices read a suite's results from its report file.

The suite writes it itself: `pytest --bpfhol-report FILE` (bpfhol.examples.plugin), a JSON object a
line, its fields documented in docs/authoring.md ("The report file"). `read` turns one file into
what the matrix records: every test's id, outcome, skip reason and duration, each docs example's
page, line, snippet, outcome and run time, and the bpftrace/Python warnings it printed on stderr.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

WARNING = re.compile(r"^.*\bWARNING:.*$|^.*: warning: .*$", re.MULTILINE)


def option(path: str) -> str:
    """The pytest option that writes the report to `path` (as the command line of a run spells it)."""
    return f"--bpfhol-report {path}"


def read(path: Path) -> dict[str, Any]:
    """{"tests", "examples", "exitstatus"} from a report file; a truncated file gives what it holds.

    A run killed before its end has no session record: its exit status is then None.
    """
    tests, examples = [], []
    exitstatus = None
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:  # the last line of a run killed mid-write
            continue
        if rec.get("type") == "session":
            exitstatus = rec["exitstatus"]
            continue
        if rec["outcome"] != "not run":
            tests.append(
                {"id": rec["nodeid"], "outcome": rec["outcome"], "reason": rec["reason"], "duration": rec["duration"]}
            )
        if rec.get("type") == "example":
            entry = {k: rec[k] for k in ("page", "line", "kind", "snippet", "outcome", "reason")}
            entry["warnings"] = sorted(set(WARNING.findall(rec.get("stderr", ""))))
            if rec.get("seconds") is not None:
                entry["seconds"] = round(rec["seconds"], 2)  # its own run, start to exit (they run side by side)
            examples.append(entry)
    return {"tests": tests, "examples": examples, "exitstatus": exitstatus}
