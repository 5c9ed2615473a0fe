"""Writing what the pages show: a passing run's stdout becomes the example's `.out` file.

Its lines are fitted to the page's width on the way (bpfhol.examples.shown: wrapped, or cut where
the example says `long-lines: cut`).

Used by the docs suite's `--update-shown` (and `./dev capture`, its alias). Only a run that meets
the example's own expectations is written, so a bad run never becomes the page. The kernel,
bpftrace and BCC of the capture go to snippets/captured-with.md, shown at the foot of every page.
"""

from __future__ import annotations

import datetime
import platform
import subprocess

from bpfhol import config
from bpfhol.examples.collect import Project
from bpfhol.examples.model import Example
from bpfhol.examples.shown import fit

NOTE = "captured-with.md"


def versions() -> str:
    """One sentence naming what the outputs were captured with."""

    def first_line(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    bpftrace = first_line([*config.bpftrace_command(), "--version"])
    bcc = first_line([*config.python_command(), "-c", "import bcc; print(getattr(bcc, '__version__', 'unknown'))"])
    today = datetime.date.today().isoformat()
    return (
        f"Outputs shown in this course were captured on Linux {platform.release()} ({platform.machine()})"
        f" with {bpftrace} and BCC {bcc}, on {today}."
    )


def write_shown(project: Project, ex: Example, stdout: str) -> bool:
    """Make `stdout`, fitted to the page, the example's shown output; True when the file changed."""
    assert ex.shown_name is not None
    shown = fit(stdout, ex.spec.long_lines)
    if ex.shown == shown:
        return False
    project.snippet_path(ex.shown_name).write_text(shown)
    ex.shown = shown
    return True


def write_note(project: Project) -> None:
    (project.snippet_bases[0] / NOTE).write_text(versions() + "\n")
