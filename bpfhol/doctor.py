"""`bpfhol doctor`: can this machine run the labs, and if not, what to do.

One line per check (ok / info / warn / fail) with its remedy on a line of its own underneath,
each wrapped to WIDTH columns so nothing is cut off in a terminal or a page; exit status 0
when a lab can run (no check failed), 1 otherwise.
"""

from __future__ import annotations

import json
import sys

from bpfhol.diagnosis import CHECKS, FAIL, OK, WARN, Env, Result
from bpfhol.errors import UsageError
from bpfhol.text import wrap


def run_checks(env: Env) -> list[Result]:
    results = []
    for check in CHECKS:
        try:
            results.append(check(env))
        except OSError as e:  # an unreadable file should not hide the other checks
            name = check.__name__.removeprefix("check_")
            results.append(Result(name, FAIL, f"could not check: {e}", "run as root: sudo bpfhol doctor", name))
    return results


def can_run(results: list[Result]) -> bool:
    return all(r.status != FAIL for r in results)


def _count(n: int, word: str, tags: list[str]) -> str:
    return f"{n} {word}{'' if n == 1 else 's'} ({', '.join(tags)})"


def summary_line(results: list[Result]) -> str:
    """E.g. 'ok: 10 checks, 2 warnings (kprobes off, generic headers)'."""
    parts = [f"{len(results)} checks"]
    for status, word in ((FAIL, "failure"), (WARN, "warning")):
        tags = [r.tag or r.name for r in results if r.status == status]
        if tags:
            parts.append(_count(len(tags), word, tags))
    if len(parts) == 1:
        parts.append("no warnings")
    return f"{OK if can_run(results) else FAIL}: {', '.join(parts)}"


def report(env: Env, results: list[Result]) -> str:
    width = max(len(r.name) for r in results)
    column = 4 + 2 + width + 2
    lines = [f"bpfhol doctor: kernel {env.release}, {env.machine}"]
    for r in results:
        lines += wrap(f"{r.status:<4}  {r.name:<{width}}  ", r.detail, column)
        if r.remedy and r.status in (WARN, FAIL):
            lines += wrap(" " * column + "-> ", r.remedy, column + 3)
    verdict = "a lab can run here" if can_run(results) else "fix the failures above first"
    lines.append(f"{summary_line(results)}: {verdict}")  # one line, whatever its length: scripts read it
    return "\n".join(lines)


def json_report(env: Env, results: list[Result]) -> str:
    return json.dumps(
        {
            "ok": can_run(results),
            "kernel": env.release,
            "arch": env.machine,
            "summary": summary_line(results),
            "checks": [r.as_json() for r in results],
        },
        indent=2,
    )


def main(as_json: bool = False, summary: bool = False, env: Env | None = None) -> int:
    if as_json and summary:
        raise UsageError("doctor takes --json or --summary, not both")
    env = env or Env.real()
    results = run_checks(env)
    if as_json:
        out = json_report(env, results)
    elif summary:
        out = summary_line(results)
    else:
        out = report(env, results)
    print(out)
    sys.stdout.flush()
    return 0 if can_run(results) else 1
