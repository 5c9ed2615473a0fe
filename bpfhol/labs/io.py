"""The io lab: how long system calls take, and what data goes through them.

`brokerd` (workloads/pipewait.py) blocks in read(2) on a timer (slow, asleep), `ledgerd`
(workloads/digest.py) asks getrandom(2) for random bytes (slow-ish, working), `gatewayd`
(workloads/chatty.py) writes a log to its stderr and re-reads a settings file (the payloads).
A seed changes the wait, the size, the token and the mode. The process names never change, since
the questions name them; they are service names that say nothing of what each process does.
"""

from __future__ import annotations

from typing import Any

from bpfhol.labs.seeded import chooser, hist_bucket, key_header, log2_bucket, scenario_name, syscall_nr
from bpfhol.labs.spec import LabSpec
from workloads import chatty, common, digest, pipewait

SEED_MAX = 999
# Each at least 5 % inside its power-of-two bucket of microseconds, and never within 10 ms of half a
# tick, so which of read(2) and the pacing clock_nanosleep(2) takes more time is never a close call.
WAITS_MS = (20, 24, 28, 36, 40, 60)
SIZES_KIB = (64, 96, 128, 192)
MODES = ("quiet", "verbose", "debug", "audit", "batch", "strict", "lenient", "replay")


def scenario(seed: int) -> dict[str, Any]:
    LAB.check_seed(seed)
    if seed == 0:
        return {
            "wait_ms": pipewait.CLASSIC_WAIT_MS,
            "size_kib": digest.CLASSIC_SIZE_KIB,
            "token": chatty.CLASSIC_TOKEN,
            "mode": chatty.CLASSIC_MODE,
        }
    pick = chooser("io", seed)
    return {
        "wait_ms": pick(WAITS_MS),
        "size_kib": pick(SIZES_KIB),
        "token": "".join(pick("0123456789abcdef") for _ in range(6)),
        "mode": pick(MODES),
    }


def workloads(seed: int) -> list[common.Workload]:
    sc = scenario(seed)
    return [pipewait.Pipewait(sc["wait_ms"]), digest.Digest(sc["size_kib"]), chatty.Chatty(sc["token"], sc["mode"])]


def answer_key(seed: int) -> dict[str, Any]:
    sc = scenario(seed)
    wait_us = sc["wait_ms"] * 1000
    tick_ms = 1000 // common.TICK_HZ
    # Each tick: one read of wait_ms, then the pacing sleep (clock_nanosleep) for the rest of the tick.
    top = "read" if sc["wait_ms"] > tick_ms - sc["wait_ms"] else "clock_nanosleep"
    return {
        **key_header(seed),
        "latency": {
            "calls_per_second": common.TICK_HZ,
            "slow": {
                "comm": pipewait.COMM,
                "syscall": "read",
                "nr": syscall_nr("read"),
                "wait_ms": sc["wait_ms"],
                "hist_us": hist_bucket(wait_us),
                "hist_us_bcc": log2_bucket(wait_us),
                "hist_ms": hist_bucket(sc["wait_ms"]),
                "sleeps": True,
            },
            "pacing": {
                "syscall": "clock_nanosleep",
                "nr": syscall_nr("clock_nanosleep"),
                "ms": tick_ms - sc["wait_ms"],
            },
            "top": {"syscall": top, "nr": syscall_nr(top)},
            "busy": {
                "comm": digest.COMM,
                "syscall": "getrandom",
                "nr": syscall_nr("getrandom"),
                "size_kib": sc["size_kib"],
                "bytes": sc["size_kib"] * 1024,
                # One call a tick, each returning all it asks for: the work the kernel does each second.
                "bytes_per_second": sc["size_kib"] * 1024 * common.TICK_HZ,
                "sleeps": False,
            },
        },
        "payloads": {
            "comm": chatty.COMM,
            "fd": 2,
            "heartbeat": chatty.heartbeat(0).decode().rstrip("\n"),
            "token": sc["token"],
            "token_line": chatty.token_line(sc["token"]).decode().rstrip("\n"),
            "token_every_ms": chatty.TOKEN_EVERY * 1000 // common.TICK_HZ,
            "settings": chatty.SETTINGS,
            "mode": sc["mode"],
            "mode_line": f"mode={sc['mode']}",
        },
    }


def describe(key: dict[str, Any]) -> str:
    lat, pay = key["latency"], key["payloads"]
    slow, busy = lat["slow"], lat["busy"]
    return "\n".join(
        [
            f"Answer key: io lab, seed {key['seed']} ({key['scenario']} scenario) on {key['arch']}",
            "",
            "latency",
            f"  slow calls:         {slow['comm']}'s {slow['syscall']}(2), about {slow['wait_ms']} ms each "
            f"(hist of microseconds: {slow['hist_us']}; of milliseconds: {slow['hist_ms']}), asleep: "
            "it waits on a timer",
            f"  working calls:      {busy['comm']}'s {busy['syscall']}(2) of {busy['size_kib']} KiB, a fraction of a "
            "millisecond on CPU, never asleep",
            f"  {busy['comm']}'s rate:    {busy['bytes_per_second']} bytes of random data a second "
            f"({busy['bytes_per_second'] // 1024} KiB)",
            f"  {slow['comm']}'s time:    most in {lat['top']['syscall']}(2) ({lat['top']['nr']}): reads of "
            f"{slow['wait_ms']} ms, pacing sleeps (clock_nanosleep) of {lat['pacing']['ms']} ms each tick",
            "",
            "payloads",
            f"  {pay['comm']}'s stderr:    heartbeat lines ('{pay['heartbeat']}') and, "
            f"every {pay['token_every_ms']} ms,",
            f"                      '{pay['token_line']}': the token is {pay['token']}",
            f"  {pay['comm']} reads:       {pay['settings']}, whose mode is {pay['mode']} ('{pay['mode_line']}')",
        ]
    )


LAB = LabSpec(
    name="io",
    title="Time and data",
    summary="how long system calls take (read, getrandom) and what write/read carry",
    page="syscalls/latency.md",
    seed_max=SEED_MAX,
    workloads=workloads,
    answer_key=answer_key,
    describe=describe,
    scenario_name=scenario_name,
)
