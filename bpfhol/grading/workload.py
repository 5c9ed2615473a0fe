"""The workload a check runs against: the lab already running, or one started for the check.

Built on bpfhol.labs: the running lab is read from its supervisor's state (as `bpfhol status
--json` shows it), and a lab started for the check is a LabProcess in the same state directory,
stopped when the check ends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfhol.errors import UsageError
from bpfhol.labs import LABS, supervisor
from bpfhol.labs import syscalls as syscalls_lab
from bpfhol.labs.process import LabError, LabProcess


@dataclass
class LabInfo:
    name: str
    seed: int
    pids: dict[str, int]  # workload comm -> pid
    process: LabProcess | None = None  # set when the check started it

    @property
    def started_here(self) -> bool:
        return self.process is not None

    @property
    def key(self) -> dict[str, Any]:
        return LABS[self.name].answer_key(self.seed)


def running(name: str) -> LabInfo | None:
    """That lab, as `bpfhol status` would show it, if its supervisor is alive."""
    for state in supervisor.running():
        if state["lab"] == name and state["alive"]:
            pids = {c["comm"]: int(c["pid"]) for c in state.get("children", [])}
            return LabInfo(name=name, seed=int(state.get("seed", 0)), pids=pids)
    return None


def fresh_seed(name: str = syscalls_lab.LAB.name, rng: random.Random | None = None) -> int:
    """A random seed whose answers differ from the classic scenario's (seed 0), the one the pages show."""
    rng = rng or random.SystemRandom()
    if name == syscalls_lab.LAB.name:
        return _fresh_syscalls_seed(rng)
    lab = LABS[name]

    def answers(seed: int) -> list[object]:
        return [v for k, v in lab.answer_key(seed).items() if k not in ("seed", "scenario")]

    classic = answers(0)
    while True:
        seed = rng.randint(1, lab.seed_max)
        if answers(seed) != classic:
            return seed


def _fresh_syscalls_seed(rng: random.Random) -> int:
    """A random scenario whose answers differ from the classic one's (seed 0), the one the pages show.

    Sizes must include one the classic scenario lacks (more than 10 pages) and the files
    must differ, so an output copied from a page cannot pass; shared and private must differ
    by more than 20 points, so swapping them is wrong; and two sizes must share a power-of-two
    bucket, so hist() instead of lhist() is wrong.
    """
    classic = syscalls_lab.scenario(0)
    while True:
        seed = rng.randint(1, syscalls_lab.SEED_MAX)
        sc = syscalls_lab.scenario(seed)
        pow2_buckets = {p.bit_length() for p in sc.pages}  # hist()'s buckets, in pages: the same in bytes
        if (
            max(sc.pages) > max(classic.pages)
            and set(sc.opener_files) != set(classic.opener_files)
            and abs(sc.shared_percent - 50) > 10  # an inverted percentage must not pass
            and len(pow2_buckets) < len(set(sc.pages))
        ):  # nor a power-of-two histogram that blurs sizes
            return seed


def start(name: str, seed: int) -> LabInfo:
    """`bpfhol NAME --seed N`, started and awaited as a learner would start it."""
    try:  # in the usual state directory: `bpfhol status` shows it, and no second lab can start beside it
        process = LabProcess(name, seed, state_dir=Path(supervisor.state_dir()))
    except LabError as e:
        raise UsageError(f"could not start the {name} lab's workload for the check: {e}") from None
    return LabInfo(name=name, seed=seed, pids=dict(process.pids), process=process)


def stop(lab: LabInfo) -> None:
    """Stop a lab this check started (the supervisor stops its workloads and cleans up)."""
    if lab.process is not None:
        lab.process.stop()
        lab.process = None
