"""How an exercise is declared: a family (one page, one lab) and its exercises, by keyword.

Adding an exercise to a family touches four files (counted on the mmap family):

1. bpfhol/grading/exercises/<family>.py: its criteria, a function declared with
   `@FAMILY.exercise(id=..., section=..., question=...)` (the section is the page's heading);
2. the family's page: the question, `sudo bpfhol check ID`, and the solutions' example
   comments with `check: ID` (the suite grades them, tests/test_check.py finds them there);
3. the solution's program, snippets/<lab>/<topic>-<what>.bt (and its BCC twin, .py); their
   shown outputs are captured by `pytest docs --update-shown`, not written;
4. a wrong program in tests/check_corpus/<id>/wrong/ whose `expect:` line names its feedback.

A new family adds its module to FAMILIES (exercises/__init__.py) and, when its answers depend
on the whole machine, a reference program (bpfhol/grading/reference.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bpfhol.grading.evidence import Evidence
from bpfhol.grading.verdict import Verdict

Judge = Callable[[Evidence, Verdict], None]

REGISTERED: dict[str, Exercise] = {}  # in declaration order: families in FAMILIES' order


@dataclass(frozen=True)
class Family:
    """Exercises that share a page, a lab and a part of its answer key (key[name])."""

    name: str  # mmap: also the answer key's part the exercises are about
    page: str  # relative to docs/
    lab: str = "syscalls"  # the lab whose workload they trace
    reference: bool = False  # answers about the whole machine: reference.program(name) runs alongside

    def exercise(self, *, id: str, section: str, question: str, subject: str | None = None) -> Callable[[Judge], Judge]:
        """Declare the decorated function as the criteria of exercise `id`."""
        if not id.startswith(f"{self.name}-"):
            raise ValueError(f"exercise {id!r} of family {self.name!r}: its id starts with the family's name")

        def register(judge: Judge) -> Judge:
            if id in REGISTERED:
                raise ValueError(f"exercise {id!r} declared twice")
            REGISTERED[id] = Exercise(id, self, section, question, judge, subject)
            return judge

        return register


@dataclass(frozen=True)
class Exercise:
    id: str
    family: Family
    section: str  # the page's heading for it
    question: str
    judge: Judge
    subject: str | None = None  # the process a program is given the pid of, as its argument ($1)

    @property
    def page(self) -> str:
        return self.family.page

    @property
    def lab(self) -> str:
        return self.family.lab

    @property
    def reference(self) -> str:
        """The reference program that runs alongside (reference.program), "" for none."""
        return self.family.name if self.family.reference else ""
