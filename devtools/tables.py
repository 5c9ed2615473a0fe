"""What `./dev matrix` prints: a table of the cells that ran, then what went wrong in each."""

from __future__ import annotations

from devtools.results import CellResult


def table(results: list[CellResult]) -> str:
    head = ("toolchain", "Debian", "bpftrace", "BCC", "Python", "passed", "failed", "skipped", "wall")
    rows = [head]
    for r in results:
        v = r.versions
        counts = (str(r.count("passed")), str(r.count("failed")), str(r.count("skipped")))
        versions = (v.get("debian", "?"), v.get("bpftrace", "?"), v.get("bcc", "?"), v.get("python", "?"))
        rows.append((r.name, *versions, *counts, f"{r.timings.get('wall', 0):.0f} s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


def _tests(r: CellResult) -> list[str]:
    lines = [f"  {r.name}: FAILED {t['id']}" for t in r.tests if t["outcome"] in ("failed", "error")]
    lines += [f"  {r.name}: skipped {t['id']}: {t.get('reason', '')}" for t in r.tests if t["outcome"] == "skipped"]
    lines += [f"  {r.name}: WARNING in {snippet}: {w}" for snippet, w in r.warnings()]
    return lines


def _sources(r: CellResult) -> list[str]:
    if not r.sources:
        return []
    wrong, checked = r.sources.get("wrong", []), r.sources.get("checked", 0)
    line = (
        f"  {r.name}: deep dive's kernel sources ({r.sources.get('source', '?')}): {checked - len(wrong)} of {checked}"
    )
    return [line + " as the page says", *(f"  {r.name}: WRONG: {w}" for w in wrong)]


def details(r: CellResult) -> list[str]:
    lines = _tests(r) + _sources(r)
    if r.error:
        lines.append(f"  {r.name}: could not run: {r.error}")
    elif r.exitstatus not in (0, 1) or not r.tests:
        lines.append(f"  {r.name}: the suite ended with exit status {r.exitstatus}; see {r.log}")
    elif not r.ok:
        lines.append(f"  {r.name}: details in {r.log}")
    if phases := ", ".join(f"{k} {v:.0f} s" for k, v in r.timings.items() if k != "wall"):
        lines.append(f"  {r.name}: {phases}")
    return lines
