"""The labs the course offers, as data: what `bpfhol list` shows, what `bpfhol <lab>` starts, and what a
page's `lab:` names.

A lab is its workloads for a seed, the answer key that seed implies, and its pages. The generic
supervisor (bpfhol.labs.supervisor) runs any of them; bpfhol.labs.process starts one from a program
(the docs suite, tests, `bpfhol check`).
"""

from __future__ import annotations

from bpfhol.errors import UsageError
from bpfhol.labs import io, mystery, syscalls
from bpfhol.labs.spec import LabSpec

__all__ = ["LABS", "LabSpec", "get", "known"]


LABS: dict[str, LabSpec] = {lab.name: lab for lab in (syscalls.LAB, io.LAB, mystery.LAB)}


def known() -> str:
    return ", ".join(sorted(LABS))


def get(name: str) -> LabSpec:
    try:
        return LABS[name]
    except KeyError:
        raise UsageError(f"unknown lab '{name}' (labs: {known()})") from None
