"""The labs the course offers: what `bpfhol list` shows and what `bpfhol <lab>` starts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lab:
    name: str
    title: str
    summary: str
    page: str  # the lab's first page, relative to docs/


LABS: dict[str, Lab] = {
    "syscalls": Lab(
        name="syscalls",
        title="Working with system calls",
        summary="mmap, open/openat and close traced with tracepoint:syscalls and raw_syscalls",
        page="syscalls/index.md",
    ),
}


def known() -> str:
    return ", ".join(sorted(LABS))
