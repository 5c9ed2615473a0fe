"""Run one tracing program the way a learner does (the engine's *run* layer), and `bpfhol run`.

The running itself lives outside the engine, in bpfhol.program (on bpfhol.process), so that
`bpfhol check` runs a learner's program exactly as the docs suite runs the course's: the names
below are that module's. Which bpftrace and which Python run comes from the environment
(bpfhol.config), so the same examples run under another bpftrace (a chroot) or on another kernel
(a VM).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bpfhol import config
from bpfhol.errors import UsageError, require_root
from bpfhol.program import KIND_BY_SUFFIX, KINDS, SH_PRELUDE, RunResult, command_for, run_program, unignore_sigint

__all__ = ["KIND_BY_SUFFIX", "KINDS", "RunResult", "cli_run", "command_for", "resolve_snippet", "run_program"]


def resolve_snippet(name: str) -> tuple[str, Path]:
    """A snippet named as on the pages ("syscalls/x.bt") or a path to a program file."""
    for path in (config.SNIPPETS / name, Path(name)):
        if path.is_file():
            kind = KIND_BY_SUFFIX.get(path.suffix)
            if kind is None:
                raise UsageError(f"{name}: not a program (known endings: {', '.join(KIND_BY_SUFFIX)})")
            return kind, path
    raise UsageError(f"no snippet '{name}' (look under {config.SNIPPETS}, e.g. syscalls/mmap-top-caller.bt)")


def cli_run(name: str, duration: float | None) -> int:
    """`bpfhol run`: a snippet in the foreground, or for a fixed time like the docs suite does."""
    kind, path = resolve_snippet(name)
    require_root("running a snippet")
    if duration is not None and duration <= 0:
        raise UsageError("--duration must be a positive number of seconds")
    if duration is None:
        # Interactive: the learner's own Ctrl-C reaches the program directly.
        os.environ.update(config.tool_env())
        cmd = command_for(kind, path)
        if kind == "sh":
            cmd = ["bash", "-e", "-o", "pipefail", "-c", SH_PRELUDE + path.read_text()]
        os.execvp(cmd[0], cmd)  # the program replaces us, as if the learner had typed it
    unignore_sigint()
    result = run_program(kind, path.read_text(), run=duration, timeout=duration + 60)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return 1 if result.returncode is None else result.returncode
