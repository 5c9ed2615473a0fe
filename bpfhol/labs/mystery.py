"""The mystery lab, the capstone: one daemon, `reportd`, that its users say writes no reports.

It looks for a template that is not there (openat(2) -> ENOENT), waits on a timer and tries again,
for ever, silently. A seed changes the template's name and the wait.
"""

from __future__ import annotations

from typing import Any

from bpfhol.labs.seeded import chooser, hist_bucket, key_header, scenario_name, syscall_nr
from bpfhol.labs.spec import LabSpec
from workloads import common, reportd

SEED_MAX = 999
TEMPLATES = ("weekly", "monthly", "invoice", "summary", "audit", "digest", "payroll", "usage")
BACKOFFS_MS = (56, 60, 70, 75)  # each at least 5 % inside its power-of-two bucket of microseconds


def scenario(seed: int) -> dict[str, Any]:
    LAB.check_seed(seed)
    if seed == 0:
        return {"template": reportd.CLASSIC_TEMPLATE, "backoff_ms": reportd.CLASSIC_BACKOFF_MS}
    pick = chooser("mystery", seed)
    return {"template": pick(TEMPLATES), "backoff_ms": pick(BACKOFFS_MS)}


def workloads(seed: int) -> list[common.Workload]:
    sc = scenario(seed)
    return [reportd.Reportd(sc["template"], sc["backoff_ms"])]


def answer_key(seed: int) -> dict[str, Any]:
    sc = scenario(seed)
    return {
        **key_header(seed),
        "mystery": {
            "comm": reportd.COMM,
            "attempts_per_second": common.TICK_HZ,
            "failing_syscall": "openat",
            "failing_nr": syscall_nr("openat"),
            "ret": -2,
            "errno": "ENOENT",
            "path": reportd.template_path(sc["template"]),
            "template": sc["template"],
            "waiting_syscall": "read",
            "waiting_nr": syscall_nr("read"),
            "pacing_syscall": "clock_nanosleep",
            "backoff_ms": sc["backoff_ms"],
            "hist_us": hist_bucket(sc["backoff_ms"] * 1000),
        },
    }


def describe(key: dict[str, Any]) -> str:
    m = key["mystery"]
    return "\n".join(
        [
            f"Answer key: mystery lab, seed {key['seed']} ({key['scenario']} scenario) on {key['arch']}",
            "",
            f"  {m['comm']} tries to open {m['path']} (relative to its directory) {m['attempts_per_second']} times a "
            f"second;",
            f"  {m['failing_syscall']}(2) fails every time with {m['ret']} ({m['errno']}): "
            f"the template does not exist.",
            f"  After each failure it waits {m['backoff_ms']} ms in {m['waiting_syscall']}(2) on a timer "
            f"(hist of microseconds: {m['hist_us']}),",
            "  then tries again; it never reports the error and never writes a report.",
        ]
    )


LAB = LabSpec(
    name="mystery",
    title="The capstone",
    summary="a daemon that writes no reports: find out why, with every tool of the lab",
    page="syscalls/capstone.md",
    seed_max=SEED_MAX,
    workloads=workloads,
    answer_key=answer_key,
    describe=describe,
    scenario_name=scenario_name,
)
