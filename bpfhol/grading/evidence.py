"""What a criterion judges: the program's output, the answer key, the reference, the program itself."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bpfhol.grading import facts
from bpfhol.grading.parse import Output
from bpfhol.grading.probes import Probes
from bpfhol.grading.records import Record, number
from bpfhol.grading.reference import Reference


@dataclass
class Evidence:
    out: Output
    key: dict[str, Any]
    ref: Reference | None
    probes: Probes | None
    source: str
    pids: dict[str, int] = field(default_factory=dict)  # the lab's workloads: comm -> pid

    def pids_of(self, comm: str) -> set[str]:
        found = {str(self.pids[comm])} if comm in self.pids else set()
        if self.ref is not None:
            found |= self.ref.pids_of(comm)
            found |= {k[0] for k in self.ref.ebadf() if k[1] == comm}
        return found

    def our_pid(self, comm: str) -> str | None:
        """The pid of the lab's own process of that name, when the lab is known."""
        return str(self.pids[comm]) if comm in self.pids else None

    def filters_on(self, comm: str) -> bool:
        """Does the source single out this process by name (a /comm == "x"/ filter)?"""
        return re.search(r"[\"']" + re.escape(comm) + r"[\"']", self.source) is not None

    def records_of(self, comm: str) -> list[Record]:
        """The records about `comm`: those naming it, or all of them when the program keeps only it."""
        found = facts.about(self.out, comm)
        return found or (list(self.out.records) if self.filters_on(comm) else [])

    def sees(self, syscall: str, side: str = "enter") -> bool | None:
        """Does the program probe that side of the call (None: no source, or it cannot tell)?"""
        return None if self.probes is None else self.probes.sees(syscall, side)


def _word(w: str) -> str:
    return w.strip(",;:()[]")


def ids(r: Record) -> list[str]:
    """The numbers a record names (pids, descriptors, sizes), as written."""
    return [_word(w) for w in r.words() if number(_word(w)) is not None]


def labels(r: Record) -> list[str]:
    """The words a record names that are not numbers (process names, files)."""
    return [_word(w) for w in r.words() if number(_word(w)) is None and _word(w)]
