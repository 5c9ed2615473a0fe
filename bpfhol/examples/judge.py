"""Whether a run keeps an example's promises, and the message an author reads when it does not
(the *judge* layer).

Every expectation is checked twice: against the live output, with the answer key of the lab the
run had (any seed), and against the output the page shows, with the key of the seed the shown
outputs were captured with (CAPTURE_SEED), so a page cannot drift from what its program prints.
"""

from __future__ import annotations

import difflib
import re
import shlex
import textwrap
from typing import Any

from bpfhol import config
from bpfhol.examples.model import Example, Spec, fill
from bpfhol.examples.run import RunResult
from bpfhol.examples.shown import WIDTH, fit, too_wide, unwrap
from bpfhol.labs import get

CAPTURE_SEED = 0  # the shown outputs are captured against this scenario


def unmet(spec: Spec, output: str, key: dict[str, Any] | None) -> list[str]:
    """The expectations `output` breaks, each as one line naming the expectation."""
    broken = []
    for pattern in spec.expect:
        filled = fill(pattern, key)
        if not re.search(filled, output, re.MULTILINE):
            checked = f"  (as checked: {filled})" if filled != pattern else ""
            broken.append(f"expect: {pattern}{checked}  did not match")
    for pattern in spec.expect_none:
        m = re.search(fill(pattern, key), output, re.MULTILINE)
        if m:
            broken.append(f"expect-none: {pattern}  matched {m.group(0)!r}")
    return broken


def graded(ex: Example, output: str, key: dict[str, Any] | None) -> list[str]:
    """What the exercise's own criteria (`check:`, as `bpfhol check` applies them) find wrong."""
    if ex.spec.check is None or key is None:
        return []
    from bpfhol.grading.exercises import grade

    verdict = grade(ex.spec.check, output, key, source=ex.source, kind=ex.kind)
    return (
        []
        if verdict.right
        else [f"check {ex.spec.check}: {m}" for m in verdict.messages()]
        or [f"check {ex.spec.check}: not judged right ({verdict.status})"]
    )


def shown_key(ex: Example) -> dict[str, Any] | None:
    return get(ex.lab).answer_key(CAPTURE_SEED) if ex.lab else None


def judge(ex: Example, result: RunResult, key: dict[str, Any] | None, *, shown: bool = True) -> list[str]:
    """Everything wrong with one example's run (and, with `shown`, with the output the page shows)."""
    wrong = []
    if result.timed_out:
        wrong.append(f"timed out after {ex.spec.hard_timeout * config.timeout_scale():.0f} s (timeout:) and was killed")
    elif result.returncode != ex.spec.exit:
        wrong.append(f"exit status {result.returncode}, expected {ex.spec.exit}")
    if ex.spec.run is not None and not result.interrupted and not result.timed_out and result.returncode == 0:
        if not result.stdout:
            wrong.append("printed nothing on stdout and ended before its run: period (did it ever attach?)")
    try:
        wrong += [f"live output: {b}" for b in unmet(ex.spec, result.stdout, key)]
        wrong += [f"live output: {b}" for b in graded(ex, result.stdout, key)]
        if shown:
            if ex.shown is None:
                wrong.append(f"shown output snippets/{ex.shown_name} is missing: run pytest --update-shown")
            else:
                printed = unwrap(ex.shown)  # as the program printed it, but for what a cut left out
                wrong += [f"shown output: {b}" for b in unmet(ex.spec, printed, shown_key(ex))]
                wrong += [f"shown output: {b}" for b in graded(ex, printed, shown_key(ex))]
                wrong += [
                    f"shown output: line {n} is {width} columns wide, more than {WIDTH}: re-capture it"
                    for n, width in too_wide(ex.shown)
                ]
    except Exception as e:  # a placeholder naming nothing in the answer key
        wrong.append(f"expectation error: {e}")
    return wrong


def expectations(ex: Example, key: dict[str, Any] | None) -> list[str]:
    lines = []
    for kind, patterns in (("expect", ex.spec.expect), ("expect-none", ex.spec.expect_none)):
        for p in patterns:
            try:
                lines.append(f"{kind}: {fill(p, key)}")
            except Exception as e:
                lines.append(f"{kind}: {p}  ({e})")
    return lines


def failure(ex: Example, result: RunResult | None, wrong: list[str], key: dict[str, Any] | None) -> str:
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
        live = fit(result.stdout, ex.spec.long_lines)  # as the page would show it
        if ex.shown is not None and ex.shown != live:
            lines.append(f"  live vs shown output (- shown in snippets/{ex.shown_name}, + live as it would be shown):")
            diff = difflib.unified_diff(ex.shown.splitlines(), live.splitlines(), "shown", "live", lineterm="")
            lines += ["    " + d for d in list(diff)[2:]]
        elif ex.shown is None:
            lines.append("  live output:")
            lines += [textwrap.indent(result.stdout.rstrip() or "(empty)", "    | ")]
    return "\n".join(lines)
