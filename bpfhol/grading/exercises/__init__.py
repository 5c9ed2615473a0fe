"""The exercises and their answer criteria: the one place that says what a right answer is.

`grade(exercise_id, output, key, reference)` judges what a program printed. `bpfhol check`
calls it for a learner's program, and the docs suite calls it for the course's own
solutions (their `check:` line), so both are held to the same criteria:

    from bpfhol.grading.exercises import grade
    verdict = grade("mmap-1", result.stdout, key)          # key: the scenario's answer key
    assert verdict.right, verdict.messages()

Without a reference (the docs suite), answers are judged against the answer key alone; with
one (`bpfhol check`), against what the system did in the same window too. With the program's
source, wrong answers get a nudge from what it traces.

Criteria judge the answer, not its spelling: map names, printf formats, extra maps, periodic
printing, units (bytes, KiB, pages), percentages or counts they follow from. Feedback on a
wrong answer says which method or evidence is missing, never a value of the answer key.

One module per family (its page); each declares its exercises by keyword (see registry.py,
which also lists the files adding an exercise touches).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from bpfhol.grading.evidence import Evidence
from bpfhol.grading.exercises.registry import REGISTERED, Exercise, Family
from bpfhol.grading.parse import parse
from bpfhol.grading.probes import probes_of
from bpfhol.grading.reference import Reference
from bpfhol.grading.verdict import Verdict

# The families' modules, in the order `bpfhol check --list` shows them (the course's order); a family
# whose criteria outgrow one module continues in another (mmap_types: the mmap page's last question).
FAMILIES = ("clock", "raw", "mmap", "mmap_types", "open", "close", "exec", "stacks", "latency", "payloads")

for _module in FAMILIES:
    import_module(f"{__name__}.{_module}")

EXERCISES: dict[str, Exercise] = dict(REGISTERED)

__all__ = ["EXERCISES", "Exercise", "Family", "grade", "known"]


def known() -> str:
    return ", ".join(EXERCISES)


def grade(
    exercise_id: str,
    output: str,
    key: dict[str, Any],
    reference: Reference | None = None,
    *,
    source: str | None = None,
    kind: str | None = None,
    pids: dict[str, int] | None = None,
) -> Verdict:
    """Judge what a program printed for an exercise.

    `key` is the scenario's answer key (`bpfhol syscalls --seed N --answers --json`);
    `reference`, what the system did in the same window; `source` and `kind` ("bpftrace" or
    "python"), the program, for feedback on what it traces; `pids`, the lab's workloads.
    """
    ex = EXERCISES[exercise_id]
    probes = probes_of(kind, source) if source is not None and kind is not None else None
    ev = Evidence(parse(output), key, reference, probes, source or "", dict(pids or {}))
    v = Verdict(ex.id)
    ex.judge(ev, v)
    if ev.out.truncated:
        v.notes.append(f"your program printed {ev.out.lines} lines; judged on the last {len(ev.out.records)} records")
    return v
