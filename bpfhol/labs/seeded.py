"""What the labs' seeded scenarios share: a stable random source per lab and seed, and how bpftrace labels
a power-of-two histogram bucket (so an answer key can say which bucket a value lands in)."""

from __future__ import annotations

import platform
import random
from collections.abc import Sequence
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def scenario_name(seed: int) -> str:
    """Seed 0 is every lab's classic scenario, the one its pages show."""
    return "classic" if seed == 0 else "seeded"


def key_header(seed: int) -> dict[str, Any]:
    """What every answer key starts with."""
    return {"seed": seed, "scenario": scenario_name(seed), "arch": platform.machine()}


def chooser(lab: str, seed: int) -> Callable[[Sequence[T]], T]:
    """pick(options): a choice from `random.Random("bpfhol-<lab>-<seed>")`, whose sequence Python keeps stable."""
    r = random.Random(f"bpfhol-{lab}-{seed}").random

    def pick(options: Sequence[T]) -> T:
        return options[min(int(r() * len(options)), len(options) - 1)]

    return pick


def draw_names(lab: str, seed: int, pool: Sequence[str], n: int) -> tuple[str, ...]:
    """`n` distinct names from `pool` for a seed (seed 0 included): a process's name says nothing of
    what it does, nor is it the same from one seed to the next. A random source of its own, so the
    names do not shift the scenario's other choices."""
    r = random.Random(f"bpfhol-{lab}-names-{seed}").random
    names = list(pool)
    for i in range(len(names) - 1, 0, -1):  # Fisher-Yates on r() alone, which Python keeps stable
        j = min(int(r() * (i + 1)), i)
        names[i], names[j] = names[j], names[i]
    return tuple(names[:n])


def _size(n: int) -> str:
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def hist_bucket(value: int) -> str:
    """The bucket of bpftrace's hist() that holds `value` (> 0), as it prints it: "[16K, 32K)"."""
    low = 1 << (value.bit_length() - 1)
    return f"[{_size(low)}, {_size(low * 2)})"


def log2_bucket(value: int) -> str:
    """The same bucket as BCC's print_log2_hist() prints it: "16384 -> 32767"."""
    low = 1 << (value.bit_length() - 1)
    return f"{low} -> {low * 2 - 1}"


# The syscall numbers the io and mystery labs' answers name (uapi asm/unistd_64.h on x86_64,
# asm-generic/unistd.h on arm64): raw_syscalls programs print numbers, not names.
_SYSCALL_NR = {
    "x86_64": {"read": 0, "write": 1, "openat": 257, "clock_nanosleep": 230, "timerfd_settime": 286, "getrandom": 318},
    "aarch64": {"read": 63, "write": 64, "openat": 56, "clock_nanosleep": 115, "timerfd_settime": 86, "getrandom": 278},
}


def syscall_nr(name: str) -> int | None:
    """This machine's number for a syscall the labs use (None on an architecture not listed)."""
    return _SYSCALL_NR.get(platform.machine(), {}).get(name)
