"""A check's outcome: one finding per criterion, each a line of feedback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RIGHT, WRONG, UNJUDGED = "right", "wrong", "unjudged"


@dataclass
class Finding:
    criterion: str  # short name: "answer", "sizes", "probes", ...
    ok: bool | None  # None: not judged (not shown, nothing to compare with)
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "ok": self.ok, "message": self.message}


@dataclass
class Verdict:
    exercise: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # context: seed, window, what ran alongside

    def add(self, criterion: str, ok: bool | None, message: str) -> None:
        self.findings.append(Finding(criterion, ok, message))

    @property
    def status(self) -> str:
        if any(f.ok is False for f in self.findings):
            return WRONG
        if any(f.ok for f in self.findings):
            return RIGHT
        return UNJUDGED

    @property
    def right(self) -> bool:
        return self.status == RIGHT

    def messages(self, ok: bool | None = False) -> list[str]:
        return [f.message for f in self.findings if f.ok is ok]

    def as_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "verdict": self.status,
            "findings": [f.as_json() for f in self.findings],
            "notes": self.notes,
        }
