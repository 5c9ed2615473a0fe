"""What a lab is, as data: its workloads for a seed, the answer key that seed implies, its pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from bpfhol.errors import UsageError
from workloads.common import Workload


@dataclass(frozen=True)
class LabSpec:
    name: str
    title: str
    summary: str
    page: str  # the lab's first page, relative to docs/
    seed_max: int
    workloads: Callable[[int], list[Workload]]  # for a seed
    answer_key: Callable[[int], dict[str, Any]]  # for a seed, computed here: never parsed from output
    describe: Callable[[dict[str, Any]], str]  # an answer key, for people
    scenario_name: Callable[[int], str]

    def comms(self, seed: int) -> tuple[str, ...]:
        """The workloads' process names for a seed, in the order they start."""
        return tuple(w.comm for w in self.workloads(seed))

    def check_seed(self, seed: int) -> None:
        if not 0 <= seed <= self.seed_max:
            raise UsageError(f"--seed must be between 0 and {self.seed_max} (got {seed})")
