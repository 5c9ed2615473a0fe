"""Run one tracing program the way a learner does, and capture what it prints.

The docs suite, the output capture and `bpfhol run` all go through `run_program`, so
an example is judged exactly as it is run.  A program runs in its own process group:
after `run` seconds of tracing it gets SIGINT, as Ctrl-C in a terminal would send to
the whole foreground group (bpftrace then prints its maps), and anything still alive at
the timeout is SIGKILLed with its group.

The tracing clock starts once the program is attached, so compile time, which varies
with machine load, never eats into the traced period.  A BCC program of the course
prints a "Tracing ..." line once BPF() has compiled and attached: its first line.
bpftrace prints "Attaching N probes..." *before* it attaches; a program whose BEGIN
prints a line (as bpftrace's own tools do) says when attaching is done, since BEGIN
fires after every probe is attached.  Without one, the clock starts ATTACH_SETTLE
after the banner (attaching all 361 syscall probes takes about 0.3 s here).  It also
keeps Ctrl-C away from bpftrace 0.17 while it is still attaching.

Which bpftrace and which Python are used comes from the environment, so the same
examples can run under another bpftrace (a chroot) or on another kernel (a VM):
  BPFHOL_BPFTRACE  command for bpftrace (default: bpftrace); may carry arguments
  BPFHOL_PYTHON    a Python that can `import bcc` (default: /usr/bin/python3)
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bpfhol.errors import UsageError, require_root

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"

# Fence language / file suffix -> kind of program.
KIND_BY_SUFFIX = {".bt": "bpftrace", ".py": "python", ".sh": "sh"}
KINDS = ("bpftrace", "python", "sh")

# Shell examples are written as a learner pastes them ("sudo bpftrace -l ..."): these
# functions route them to the configured tools, and make sudo a no-op for root.
_SH_PRELUDE = """\
bpftrace() { command $BPFHOL_BPFTRACE "$@"; }
python3() { command $BPFHOL_PYTHON "$@"; }
sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else command sudo "$@"; fi; }
"""

GRACE = 10.0  # seconds a program may take to print its maps after SIGINT
ATTACH_SETTLE = 0.5  # seconds allowed for attaching after bpftrace's banner, without a BEGIN line
_BANNER = re.compile(r"^Attaching \d+ probes?\.\.\.$")
_ATTACHED = re.compile(r"^Attached \d+ probes?$")  # bpftrace 0.24+: on stderr, once attached


def unignore_sigint() -> None:
    """Let the programs we start see Ctrl-C even if we were started with SIGINT ignored.

    A command started as `cmd &` from a non-interactive shell (a CI script, say) inherits
    SIGINT ignored, and ignored signals stay ignored across exec: bpftrace installs its own
    handler, but a Python (BCC) program then never gets KeyboardInterrupt.  A handled
    signal is reset to the default at exec, so handling it here is enough.  Main thread only.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def bpftrace_command() -> list[str]:
    return shlex.split(os.environ.get("BPFHOL_BPFTRACE", "bpftrace"))


def python_command() -> list[str]:
    return shlex.split(os.environ.get("BPFHOL_PYTHON", "/usr/bin/python3"))


@dataclass
class RunResult:
    command: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    elapsed: float  # seconds from start to exit
    traced: float | None  # seconds between the first line and SIGINT, if one was sent
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


@dataclass
class _Reader:
    stream: object
    lines: list[str] = field(default_factory=list)
    first: threading.Event = field(default_factory=threading.Event)
    marks: re.Pattern[str] | None = None  # only lines matching it set `first` (None: any line)

    def __call__(self) -> None:
        for line in iter(self.stream.readline, ""):  # type: ignore[attr-defined]
            self.lines.append(line)
            if self.marks is None or self.marks.match(line.strip()):
                self.first.set()
        self.first.set()


def command_for(kind: str, path: Path) -> list[str]:
    if kind == "bpftrace":
        return [*bpftrace_command(), str(path)]
    if kind == "python":
        return [*python_command(), str(path)]
    if kind == "sh":
        return ["bash", "-e", "-o", "pipefail", str(path)]
    raise ValueError(f"unknown program kind {kind!r} (known: {', '.join(KINDS)})")


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _interrupt(proc: subprocess.Popen, out: _Reader, deadline: float) -> None:
    """Ctrl-C, and Ctrl-C again if it was lost.

    bpftrace 0.17 checks for SIGINT and then blocks in epoll_wait() with no timeout: a
    SIGINT landing between the two is lost (seen here about once in 20 runs of a program
    that prints nothing until exit). A learner would press Ctrl-C again; so do we, but
    only while it still sits in epoll_wait having printed nothing since, never while it
    prints its maps.
    """
    _kill_group(proc.pid, signal.SIGINT)
    printed = len(out.lines)
    while time.monotonic() < deadline:
        try:
            proc.wait(timeout=min(0.5, max(0.0, deadline - time.monotonic())))
            return
        except subprocess.TimeoutExpired:
            pass
        try:
            wchan = Path(f"/proc/{proc.pid}/wchan").read_text()
        except OSError:
            return
        if wchan == "do_epoll_wait" and len(out.lines) == printed:
            _kill_group(proc.pid, signal.SIGINT)


def run_program(
    kind: str,
    source: str,
    *,
    run: float | None = None,
    timeout: float = 30.0,
    cwd: Path | None = None,
    on_start: Callable[[int, str], None] | None = None,
) -> RunResult:
    """Run `source` as a program of `kind`; stop it with SIGINT after `run` seconds of tracing.

    `on_start` gets the pid of the program (also its process group and session id) and the
    temporary directory its program file is in.
    """
    suffix = {"bpftrace": ".bt", "python": ".py", "sh": ".sh"}[kind]
    env = dict(os.environ)
    env.setdefault("BPFHOL_BPFTRACE", "bpftrace")
    env.setdefault("BPFHOL_PYTHON", "/usr/bin/python3")
    env["PYTHONUNBUFFERED"] = "1"
    with tempfile.TemporaryDirectory(prefix="bpfhol-run-") as tmp:
        path = Path(tmp) / f"example{suffix}"
        path.write_text(_SH_PRELUDE + source if kind == "sh" else source)
        cmd = command_for(kind, path)
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                cwd=cwd or ROOT,
                env=env,
                start_new_session=True,  # own process group: Ctrl-C and kill reach all of it
            )
        except OSError as e:  # e.g. BPFHOL_BPFTRACE names a command that does not exist
            return RunResult(cmd, 127, "", f"cannot run {cmd[0]}: {e.strerror}\n", 0.0, None)
        if on_start is not None:
            on_start(proc.pid, tmp)
        # Attached: the first line on stdout, or bpftrace 0.24+'s banner on stderr.
        out = _Reader(proc.stdout)
        err = _Reader(proc.stderr, first=out.first, marks=_ATTACHED)
        threads = [threading.Thread(target=r, daemon=True) for r in (out, err)]
        for t in threads:
            t.start()
        deadline = start + timeout
        traced: float | None = None
        interrupted = timed_out = False
        try:
            if run is not None:
                out.first.wait(max(0.0, deadline - time.monotonic()))
                if proc.poll() is None and out.first.is_set():
                    if kind == "bpftrace" and out.lines and _BANNER.match(out.lines[0].strip()):
                        settle = time.monotonic() + ATTACH_SETTLE
                        while len(out.lines) < 2 and proc.poll() is None and time.monotonic() < settle:
                            time.sleep(0.01)
                    t0 = time.monotonic()
                    try:
                        proc.wait(timeout=max(0.0, min(run, deadline - t0)))
                    except subprocess.TimeoutExpired:
                        traced = time.monotonic() - t0
                        interrupted = True
                        deadline = min(deadline, time.monotonic() + GRACE)
                        _interrupt(proc, out, deadline)
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
        finally:
            # Whatever happened (timeout, error, our own interruption): nothing stays behind.
            _kill_group(proc.pid, signal.SIGKILL)
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
    for path in (SNIPPETS / name, Path(name)):
        if path.is_file():
            kind = KIND_BY_SUFFIX.get(path.suffix)
            if kind is None:
                raise UsageError(f"{name}: not a program (known endings: {', '.join(KIND_BY_SUFFIX)})")
            return kind, path
    raise UsageError(f"no snippet '{name}' (look under {SNIPPETS}, e.g. syscalls/mmap-top-caller.bt)")


def cli_run(name: str, duration: float | None) -> int:
    """`bpfhol run`: a snippet in the foreground, or for a fixed time like the docs suite does."""
    kind, path = resolve_snippet(name)
    require_root("running a snippet")
    if duration is not None and duration <= 0:
        raise UsageError("--duration must be a positive number of seconds")
    if duration is None:
        # Interactive: the learner's own Ctrl-C reaches the program directly.
        os.environ.setdefault("BPFHOL_BPFTRACE", "bpftrace")
        os.environ.setdefault("BPFHOL_PYTHON", "/usr/bin/python3")
        cmd = command_for(kind, path)
        if kind == "sh":
            cmd = ["bash", "-e", "-o", "pipefail", "-c", _SH_PRELUDE + path.read_text()]
        os.execvp(cmd[0], cmd)  # the program replaces us, as if the learner had typed it
    unignore_sigint()
    result = run_program(kind, path.read_text(), run=duration, timeout=duration + 60)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return 1 if result.returncode is None else result.returncode
