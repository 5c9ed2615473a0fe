"""Run one tracing program the way a learner does, and capture what it prints (the *run* layer).

The docs suite, `--update-shown`, `bpfhol run` and `bpfhol check` all go through `run_program`,
so a program is judged exactly as it is run.  A program runs in its own process group (and
session): after `run` seconds of tracing it gets SIGINT, as Ctrl-C in a terminal would send to the
whole foreground group (bpftrace then prints its maps), and anything still alive at the timeout is
SIGKILLed with its group.

The tracing clock starts once the program is attached, so compile time, which varies with machine
load, never eats into the traced period:
- bpftrace: its own attach notification (bpfhol.bpftrace), the same on 0.17 and 0.27; the
  notification line is removed from the output kept.
- a BCC program of the course prints a "Tracing ..." line once BPF() has compiled and attached: its
  first line of output.
- a shell example: its first line of output.

Which bpftrace and which Python run comes from the environment (bpfhol.config), so the same
examples run under another bpftrace (a chroot) or on another kernel (a VM).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from bpfhol import bpftrace, config
from bpfhol.errors import UsageError, require_root

# Fence language / file suffix -> kind of program.
KIND_BY_SUFFIX = {".bt": "bpftrace", ".py": "python", ".sh": "sh"}
KINDS = ("bpftrace", "python", "sh")

# Shell examples are written as a learner pastes them ("sudo bpftrace -l ..."): these
# functions route them to the configured tools, and make sudo a no-op for root (an
# environment set with sudo, `sudo env VAR=1 bpftrace`, included).
_SH_PRELUDE = """\
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

    @property
    def how(self) -> str:
        """One phrase saying how the run ended, for failure messages."""
        if self.timed_out:
            return "killed at the timeout"
        if self.interrupted:
            return f"stopped with Ctrl-C (SIGINT) after {self.traced:.1f} s of tracing"
        return "exited by itself"


class _Reader:
    """Reads one stream line by line; tells the runner when the program has attached."""

    def __init__(self, stream: Any, attached: threading.Event, first_line_attaches: bool) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.attached = attached
        self.first_line_attaches = first_line_attaches
        self.banner = threading.Event()  # bpftrace's human banner: a fallback only

    def __call__(self) -> None:
        for line in iter(self.stream.readline, ""):
            text = line.strip()
            if text == bpftrace.NOTIFY_LINE:
                self.attached.set()
                continue  # ours, not the program's: never shown, never judged
            m = bpftrace.BANNER.match(text)
            if m and bpftrace.is_banner_after_attach(text):
                self.attached.set()
            elif m:
                self.banner.set()
            self.lines.append(line)
            if self.first_line_attaches:
                self.attached.set()


def command_for(kind: str, path: Path) -> list[str]:
    if kind == "bpftrace":
        return [*config.bpftrace_command(), str(path)]
    if kind == "python":
        return [*config.python_command(), str(path)]
    if kind == "sh":
        return ["bash", "-e", "-o", "pipefail", str(path)]
    raise ValueError(f"unknown program kind {kind!r} (known: {', '.join(KINDS)})")


def _wait_attached(
    kind: str, proc: subprocess.Popen, attached: threading.Event, streams: list[_Reader], deadline: float
) -> bool:
    """Block until the program has attached (True) or exited / hit the deadline (False)."""
    fallback: float | None = None
    while time.monotonic() < deadline:
        if attached.wait(0.01):
            return True
        if proc.poll() is not None:
            return False
        # A bpftrace that printed its pre-attach banner but never notifies: give it a moment.
        if kind == "bpftrace" and fallback is None and any(r.banner.is_set() for r in streams):
            fallback = time.monotonic() + ATTACH_FALLBACK
        if fallback is not None and time.monotonic() > fallback:
            return True
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
) -> RunResult:
    """Run `source` as a program of `kind`; stop it with SIGINT after `run` seconds of tracing.

    `on_start` gets the pid of the program (also its process group and session id) and the
    temporary directory its program file is in.  `argv` are the program's arguments ($1... in bpftrace).
    """
    suffix = {"bpftrace": ".bt", "python": ".py", "sh": ".sh"}[kind]
    env = config.tool_env()
    if kind == "bpftrace":
        env[bpftrace.NOTIFY_ENV] = "1"
    with tempfile.TemporaryDirectory(prefix="bpfhol-run-") as tmp:
        path = Path(tmp) / f"example{suffix}"
        path.write_text(_SH_PRELUDE + source if kind == "sh" else source)
        cmd = command_for(kind, path) + list(argv or [])
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                cwd=cwd or config.ROOT,
                env=env,
                start_new_session=True,  # own process group: Ctrl-C and kill reach all of it
            )
        except OSError as e:  # e.g. BPFHOL_BPFTRACE names a command that does not exist
            return RunResult(cmd, 127, "", f"cannot run {cmd[0]}: {e.strerror}\n", 0.0, None)
        if on_start is not None:
            on_start(proc.pid, tmp)
        attached = threading.Event()
        out = _Reader(proc.stdout, attached, first_line_attaches=kind != "bpftrace")
        err = _Reader(proc.stderr, attached, first_line_attaches=False)
        threads = [threading.Thread(target=r, daemon=True) for r in (out, err)]
        for t in threads:
            t.start()
        deadline = start + timeout
        traced: float | None = None
        interrupted = timed_out = False
        try:
            if run is not None and _wait_attached(kind, proc, attached, [out, err], deadline):
                t0 = time.monotonic()
                try:
                    proc.wait(timeout=max(0.0, min(run, deadline - t0)))
                except subprocess.TimeoutExpired:
                    traced = time.monotonic() - t0
                    interrupted = True
                    deadline = min(deadline, time.monotonic() + GRACE)
                    bpftrace.interrupt(proc, lambda: len(out.lines), deadline)
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
        finally:
            # Whatever happened (timeout, error, our own interruption): nothing stays behind.
            bpftrace.kill_group(proc.pid, signal.SIGKILL)
            proc.wait()
            for t in threads:
                t.join(timeout=5)
        return RunResult(
            command=cmd,
            returncode=None if timed_out else proc.returncode,
            stdout="".join(out.lines),
            stderr="".join(err.lines),
            elapsed=time.monotonic() - start,
            traced=traced,
            timed_out=timed_out,
            interrupted=interrupted,
        )


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
            cmd = ["bash", "-e", "-o", "pipefail", "-c", _SH_PRELUDE + path.read_text()]
        os.execvp(cmd[0], cmd)  # the program replaces us, as if the learner had typed it
    unignore_sigint()
    result = run_program(kind, path.read_text(), run=duration, timeout=duration + 60)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return 1 if result.returncode is None else result.returncode
