"""Errors every command shares: each becomes one line on stderr and exit status 2."""

from __future__ import annotations

import os


class UsageError(Exception):
    """A bad input or a machine that cannot do what was asked: one line, exit status 2."""


def require_root(what: str) -> None:
    """BPF programs load only with CAP_BPF+CAP_PERFMON (in practice: root)."""
    if os.geteuid() != 0:
        raise UsageError(
            f"{what} needs root: loading BPF programs takes CAP_BPF and CAP_PERFMON (try: sudo bpfhol ...)"
        )
