"""Run one tracing program the way a learner does, and capture what it prints.

The docs suite, `--update-shown`, `bpfhol run` and `bpfhol check` all go through `run_program`,
so a program is judged exactly as it is run. It runs as a bpfhol.process.Child (its own session
and process group): after `run` seconds of tracing it gets SIGINT, as Ctrl-C in a terminal would
send to the whole foreground group (bpftrace then prints its maps), and anything still alive at
the timeout is SIGKILLed with its group.

The tracing clock starts once the program has attached, so compile time, which varies with
machine load, never eats into the traced period. One signal a kind:
- bpftrace: its own attach notification (bpfhol.bpftrace), the same on 0.17 and 0.27.
- a BCC program: it runs under a small wrapper (`_PY_WRAPPER`) that prints `BCC_ATTACHED` once
  `BPF()` has returned, i.e. compiled, loaded and attached every probe BCC attaches by name
  (TRACEPOINT_PROBE, tracepoint__*, kprobe__*). The program runs as `__main__` from its own file
  (runpy), so tracebacks name it; the wrapper's frames are removed from what is kept.
- a shell example: its first line of output.
Marker lines are noted, never kept: no judge and no page ever sees them.
"""

from __future__ import annotations

import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bpfhol import bpftrace, config
from bpfhol.process import OUTPUT_LIMIT, Child, tempdir

# Fence language / file suffix -> kind of program.
KIND_BY_SUFFIX = {".bt": "bpftrace", ".py": "python", ".sh": "sh"}
KINDS = ("bpftrace", "python", "sh")

# Shell examples are written as a learner pastes them ("sudo bpftrace -l ..."): these
# functions route them to the configured tools, and make sudo a no-op for root (an
# environment set with sudo, `sudo env VAR=1 bpftrace`, included).
SH_PRELUDE = """\
bpftrace() { command $BPFHOL_BPFTRACE "$@"; }
python3() { command $BPFHOL_PYTHON "$@"; }
sudo() {
  [ "$(id -u)" -eq 0 ] || { command sudo "$@"; return; }
  # As root: run the command here, so bpftrace/python3 above still apply; VAR=value words
  # (`sudo env VAR=1 bpftrace ...`, `sudo VAR=1 bpftrace ...`) go to its environment.
  [ "$1" != env ] || shift
  ( while [ $# -gt 0 ] && [ "${1#*=}" != "$1" ] && [ "${1%%=*}" = "${1%%[!A-Za-z0-9_]*}" ]; do
      export "$1"; shift
    done
    "$@" )
}
"""

BCC_ATTACHED = "__BPFHOL_BCC_ATTACHED"
_PY_WRAPPER = """\
import runpy, sys
try:
    import bcc
except ImportError:
    bcc = None
if bcc is not None and hasattr(bcc, "BPF"):
    _init = bcc.BPF.__init__
    def _attached(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        print({attached!r}, flush=True)
    bcc.BPF.__init__ = _attached
sys.argv = [{path!r}, *sys.argv[1:]]
sys.path.insert(0, {dir!r})
runpy.run_path({path!r}, run_name="__main__")
"""
WRAPPER_NAME = "bpfhol-attach.py"

GRACE = 10.0  # seconds a program may take to print its maps after SIGINT
ATTACH_FALLBACK = 5.0  # seconds to wait for an attach notification a bpftrace never sends


def unignore_sigint() -> None:
    """Let the programs we start see Ctrl-C even if we were started with SIGINT ignored.

    A command started as `cmd &` from a non-interactive shell (a CI script, say) inherits
    SIGINT ignored, and ignored signals stay ignored across exec: bpftrace installs its own
    handler, but a Python (BCC) program then never gets KeyboardInterrupt.  A handled
    signal is reset to the default at exec, so handling it here is enough.  Main thread only.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@dataclass
class RunResult:
    command: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    elapsed: float  # seconds from start to exit
    traced: float | None  # seconds between attach and SIGINT, if one was sent
    timed_out: bool = False
    interrupted: bool = False  # we sent SIGINT (as Ctrl-C)
    flooded: bool = False  # killed for printing more than bpfhol.process.OUTPUT_LIMIT

    @property
    def how(self) -> str:
        """One phrase saying how the run ended, for failure messages."""
        if self.flooded:
            return f"killed after printing more than {OUTPUT_LIMIT >> 20} MiB"
        if self.timed_out:
            return "killed at the timeout"
        if self.interrupted:
            return f"stopped with Ctrl-C (SIGINT) after {self.traced:.1f} s of tracing"
        return "exited by itself"


def command_for(kind: str, path: Path) -> list[str]:
    if kind == "bpftrace":
        return [*config.bpftrace_command(), str(path)]
    if kind == "python":
        return [*config.python_command(), str(path)]
    if kind == "sh":
        return ["bash", "-e", "-o", "pipefail", str(path)]
    raise ValueError(f"unknown program kind {kind!r} (known: {', '.join(KINDS)})")


def _write_program(kind: str, source: str, tmp: str, as_file: Path | None) -> Path:
    """The file to run: the program itself, or for a BCC program the wrapper that runs it."""
    suffix = {"bpftrace": ".bt", "python": ".py", "sh": ".sh"}[kind]
    path = Path(tmp) / f"example{suffix}"
    if as_file is None or kind != "python":
        path.write_text(SH_PRELUDE + source if kind == "sh" else source)
    if kind != "python":
        return path
    target = (as_file or path).resolve()
    wrapper = Path(tmp) / WRAPPER_NAME
    wrapper.write_text(_PY_WRAPPER.format(attached=BCC_ATTACHED, path=str(target), dir=str(target.parent)))
    return wrapper


def _attached(kind: str, child: Child) -> bool:
    if kind == "bpftrace":
        return (
            bpftrace.NOTIFY_LINE in child.out.seen
            or bpftrace.NOTIFY_LINE in child.err.seen
            or any(bpftrace.is_banner_after_attach(ln) for _, ln in child.err.items)
        )
    if kind == "python":
        return BCC_ATTACHED in child.out.seen
    return len(child.out) > 0


def _wait_attached(kind: str, child: Child, deadline: float) -> bool:
    """Block until the program has attached (True) or exited / hit the deadline (False)."""
    if child.wait_for(lambda: _attached(kind, child), deadline - time.monotonic()):
        return True
    # A bpftrace that printed its pre-attach banner but never notifies: give it a moment.
    banner = any(bpftrace.BANNER.match(ln.strip()) for _, ln in child.out.items + child.err.items)
    if kind == "bpftrace" and banner and child.returncode is None:
        child.wait_for(lambda: _attached(kind, child), min(ATTACH_FALLBACK, deadline - time.monotonic()))
        return child.returncode is None
    return False


def run_program(
    kind: str,
    source: str,
    *,
    run: float | None = None,
    timeout: float = 30.0,
    cwd: Path | None = None,
    on_start: Callable[[int, str], None] | None = None,
    argv: list[str] | None = None,
    as_file: Path | None = None,
) -> RunResult:
    """Run `source` as a program of `kind`; stop it with SIGINT after `run` seconds of tracing.

    `on_start` gets the pid of the program (also its process group and session id) and the
    temporary directory its program file is in. `argv` are the program's arguments ($1... in
    bpftrace). `as_file`: the file `source` was read from; a BCC program then runs from it, so
    its tracebacks and sys.argv[0] name it.
    """
    env = config.tool_env()
    if kind == "bpftrace":
        env[bpftrace.NOTIFY_ENV] = "1"
    with tempdir("bpfhol-run-") as tmp:
        cmd = command_for(kind, _write_program(kind, source, tmp, as_file)) + list(argv or [])
        shown = cmd  # what a learner would type: the wrapper only says when a BCC program attached
        if kind == "python":
            shown = command_for(kind, as_file or Path(tmp) / "example.py") + list(argv or [])
        start = time.monotonic()
        try:
            child = Child(cmd, cwd=cwd or config.ROOT, env=env, markers=(bpftrace.NOTIFY_LINE, BCC_ATTACHED))
        except OSError as e:  # e.g. BPFHOL_BPFTRACE names a command that does not exist
            return RunResult(shown, 127, "", f"cannot run {cmd[0]}: {e.strerror}\n", 0.0, None)
        if on_start is not None:
            on_start(child.pid, tmp)
        with child:
            traced, interrupted, timed_out = _trace(kind, child, run, start + timeout)
        return RunResult(
            command=shown,
            returncode=None if timed_out else child.proc.returncode,
            stdout=child.out.text(),
            stderr=drop_wrapper_frames(child.err.text(), tmp),
            elapsed=time.monotonic() - start,
            traced=traced,
            timed_out=timed_out,
            interrupted=interrupted,
            flooded=child.flooded,
        )


def _trace(kind: str, child: Child, run: float | None, deadline: float) -> tuple[float | None, bool, bool]:
    """Let it trace `run` seconds once attached, then Ctrl-C; (seconds traced, interrupted, timed out)."""
    traced: float | None = None
    interrupted = False
    if run is not None and _wait_attached(kind, child, deadline):
        t0 = time.monotonic()
        if child.wait(max(0.0, min(run, deadline - t0))) is None:
            traced = time.monotonic() - t0
            interrupted = True
            deadline = min(deadline, time.monotonic() + GRACE)
            bpftrace.interrupt(child, deadline)
    timed_out = child.wait(max(0.0, deadline - time.monotonic())) is None
    return traced, interrupted, timed_out


_FRAME = re.compile(r'^  File "(.*)", line \d+')


def drop_wrapper_frames(text: str, run_dir: str) -> str:
    """A Python traceback without the frames of the wrapper (_PY_WRAPPER) and of runpy."""
    out: list[str] = []
    skipping = False
    for ln in text.splitlines(keepends=True):
        m = _FRAME.match(ln)
        if m:
            f = m.group(1)
            skipping = f in ("<frozen runpy>", str(Path(run_dir) / WRAPPER_NAME))
        elif not ln.startswith("    "):
            skipping = False
        if not skipping:
            out.append(ln)
    return "".join(out)
