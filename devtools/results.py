"""The matrix's result format: one run's outcome, and docs/tested-on.json (its shape: tested-on.schema.json).

A run of cells writes them into a result file, keeping the cells it did not run; `merge` puts the
files of cells run apart (one CI job each) together in the same shape.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from bpfhol import config
from devtools import kernels
from devtools.toolchains import REFERENCE, TOOLCHAINS

RESULT = config.DOCS / "tested-on.json"
SCHEMA = Path(__file__).with_name("tested-on.schema.json")
# Warnings the pages explain (System calls, "couldn't set RLIMIT_MEMLOCK", "On a newer bpftrace" and "On an
# older BCC"): about the machine, bpftrace 0.27's false alarms on portable code, the full map the latency page
# fills on purpose, and BCC 0.18's own definitions clashing with the kernel headers' as it compiles any program.
EXPLAINED_WARNINGS = re.compile(
    r"RLIMIT_MEMLOCK|available_filter_functions"
    r"|WARNING: (Addrspace mismatch|Return value discarded|expanded from|Map full)"
    r"|warning: '__HAVE_BUILTIN_BSWAP(16|32|64)__' macro redefined"
)
FAILED = ("failed", "error")


@dataclass
class CellResult:
    name: str
    suite: str
    versions: dict[str, str] = field(default_factory=dict)
    tests: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    exitstatus: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    log: str = ""
    error: str = ""  # why the suite could not run at all
    vm: str = ""  # for a kernel run: the kernel series it booted (6.1, ...); empty on the host's kernel
    sources: dict[str, Any] = field(default_factory=dict)  # for a kernel run: devtools.kernel_sources' verdict
    partial: bool = False  # only some examples ran (-k): they update the last full run's results
    accel: str = ""  # for a kernel run: kvm or tcg (devtools.kvm)
    skipped: str = ""  # why the cell did not run though nothing failed (its sources cannot be had)

    def count(self, outcome: str) -> int:
        same = {"failed": FAILED}.get(outcome, (outcome,))
        return sum(1 for t in self.tests if t["outcome"] in same)

    def warnings(self) -> list[tuple[str, str]]:
        return [(e["snippet"], w) for e in self.examples for w in e["warnings"] if not EXPLAINED_WARNINGS.search(w)]

    @property
    def ok(self) -> bool:
        if self.skipped:
            return True
        return (
            not self.error
            and self.exitstatus == 0
            and self.count("failed") == 0
            and not self.warnings()
            and not self.sources.get("wrong")
        )


def validate(result: dict[str, Any], what: str = "the result") -> None:
    """ValueError saying where `result` departs from tested-on.schema.json."""
    try:
        jsonschema.validate(result, json.loads(SCHEMA.read_text()))
    except jsonschema.ValidationError as e:
        where = "/".join(map(str, e.absolute_path)) or "the top"
        raise ValueError(f"{what} does not fit {SCHEMA.name} at {where}: {e.message}") from None


def load(path: Path) -> dict[str, Any]:
    """A result file, checked against the schema (ValueError when it does not fit)."""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read a result ({e})") from None
    validate(result, str(path))
    return result


def _example(e: dict[str, Any], vm: bool) -> dict[str, Any]:
    keys = ("page", "line", "snippet", "outcome", "reason", *(("seconds",) if vm else ()))
    return {k: e[k] for k in keys if k in e}


def as_json(r: CellResult, commit: str) -> dict[str, Any]:
    """One cell's entry of the result file."""
    entry: dict[str, Any] = {
        "name": r.name,
        "suite": r.suite,
        **r.versions,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "commit": commit,
        "passed": r.count("passed"),
        "failed": r.count("failed"),
        "skipped": r.count("skipped"),
        "wall_seconds": round(r.timings.get("wall", 0.0), 1),
    }
    if r.vm:
        entry.update(
            vm=r.vm, accel=r.accel or "tcg", timings={k: round(v, 1) for k, v in r.timings.items()}, sources=r.sources
        )
    entry["examples"] = [_example(e, bool(r.vm)) for e in r.examples]
    entry["failures"] = [t["id"] for t in r.tests if t["outcome"] in FAILED]
    entry["skips"] = [{"test": t["id"], "reason": t.get("reason", "")} for t in r.tests if t["outcome"] == "skipped"]
    return entry


def realign(examples: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Examples recorded at older line numbers, moved to the lines the same examples have now.

    A page edit shifts lines but keeps the examples of a snippet in order, so the n-th recorded
    example of a (page, snippet) is the n-th current one.  Where a re-run left more records than
    the page has examples, the latest ones count; one that no longer exists is dropped.
    """
    now: dict[tuple[str, str], list[int]] = {}
    for e in sorted(current, key=lambda e: e["line"]):
        now.setdefault((e["page"], e["snippet"]), []).append(e["line"])
    recorded: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in examples:  # in the order written: a later run's result comes after the one it replaces
        recorded.setdefault((e["page"], e["snippet"]), []).append(e)
    moved = []
    for key, found in recorded.items():
        lines = now.get(key, [])
        latest = found[max(0, len(found) - len(lines)) :]
        moved += [{**e, "line": line} for e, line in zip(sorted(latest, key=lambda e: e["line"]), lines)]
    order = {(e["page"], e["line"]): i for i, e in enumerate(current)}
    return sorted(moved, key=lambda e: order.get((e["page"], e["line"]), len(order)))


def _updated(new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """A -k run's entry over the last whole run's: the examples that ran replace theirs, the rest stay."""
    if not old:
        return new
    ran = {(e["page"], e["line"]): {**e, "date": new["date"], "commit": new["commit"]} for e in new["examples"]}
    new["examples"] = [ran.pop((e["page"], e["line"]), e) for e in old["examples"]] + list(ran.values())
    # The row's date, commit and times stay the last whole run's: a re-run example carries its own.
    new.update({k: old[k] for k in ("date", "commit", "wall_seconds", "timings", "accel") if k in old})
    return new


def ordered(cells: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The result file's content: cells in matrix order, kernel rows lined up with the reference's pages."""
    runs = [*TOOLCHAINS, *(k.result_name for k in kernels.KERNELS.values())]
    entries = [cells[n] for n in runs if n in cells]
    for entry in entries:
        if not entry.get("vm"):
            continue
        if REFERENCE in cells:  # kernel entries built up from -k runs: follow the reference's lines
            entry["examples"] = realign(entry["examples"], cells[REFERENCE]["examples"])
        # A kernel run runs the docs examples only: count those (an error counts as a failure).
        for outcome, counted in (("passed", ("passed",)), ("failed", FAILED), ("skipped", ("skipped",))):
            entry[outcome] = sum(1 for e in entry["examples"] if e["outcome"] in counted)
    return {"reference": REFERENCE, "toolchains": entries}


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=1) + "\n"


def commit() -> str:
    return subprocess.run(
        ["git", "-C", str(config.ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()


def write_result(results: list[CellResult], path: Path, keep: bool = True) -> dict[str, Any]:
    """Replace the cells that ran in the result file; keep the others (unless not `keep`), in matrix order."""
    kept: dict[str, dict[str, Any]] = {}
    if keep and path.is_file():
        try:
            kept = {t["name"]: t for t in json.loads(path.read_text())["toolchains"]}
        except (ValueError, KeyError):
            kept = {}
    sha = commit()
    for r in results:
        if not r.error and not r.skipped:
            new = as_json(r, sha)
            kept[r.name] = _updated(new, kept.get(r.name)) if r.partial else new
    result = ordered(kept)
    validate(result)
    path.write_text(dumps(result))
    return result


def merge(parts: list[Path], into: Path | None = None) -> dict[str, Any]:
    """Cells from result files run apart, over `into`'s (when given and present), in matrix order."""
    cells: dict[str, dict[str, Any]] = {}
    if into is not None and into.is_file():
        cells = {t["name"]: t for t in load(into)["toolchains"]}
    for part in parts:
        for entry in load(part)["toolchains"]:
            cells[entry["name"]] = entry
    result = ordered(cells)
    validate(result)
    return result


def failures(result: dict[str, Any]) -> list[str]:
    """Every failed example and test of a result, one line each, `cell: what`."""
    lines = []
    for t in result["toolchains"]:
        bad = [e for e in t["examples"] if e["outcome"] in FAILED]
        lines += [f"{t['name']}: example {e['page']}:{e['line']} ({e['snippet']}) {e['outcome']}" for e in bad]
        lines += [f"{t['name']}: test {f} failed" for f in t.get("failures", [])]
    return lines
