"""What `bpfhol doctor` looks at: the machine as an `Env`, a check's `Result`, and the readers they share."""

from __future__ import annotations

import gzip
import os
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bpfhol import config

OK, INFO, WARN, FAIL = "ok", "info", "warn", "fail"

CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF = 21, 38, 39

TRACEFS_MOUNT = "sudo mount -t tracefs nodev /sys/kernel/tracing"
SECURITYFS_MOUNT = "sudo mount -t securityfs securityfs /sys/kernel/security"
BPFTRACE_INSTALL = (
    "install it: sudo apt-get install bpftrace (Debian/Ubuntu) or sudo dnf install bpftrace (Fedora); "
    "or set BPFHOL_BPFTRACE to the command that runs it"
)
BCC_INSTALL = (
    "sudo apt-get install bpfcc-tools python3-bpfcc linux-headers-$(uname -r) (Debian/Ubuntu) or "
    "sudo dnf install bcc-tools python3-bcc kernel-devel (Fedora); never `pip install bcc`: "
    "that PyPI name is an unrelated package"
)
HEADERS_INSTALL = (
    "sudo apt-get install linux-headers-$(uname -r); a custom kernel with no headers package: "
    "sudo ./dev setup links the distro's generic headers"
)

# Compiled by the BCC check: the smallest program of the kind the labs load.
BCC_PROGRAM = "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { return 0; }"
# Run by the BPFHOL_PYTHON interpreter; prints one JSON line.
_BCC_PROBE = """
import json, sys
out = {}
try:
    import bcc
except Exception as e:
    out["import_error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out)); sys.exit(0)
out["file"] = getattr(bcc, "__file__", "?")
out["version"] = getattr(bcc, "__version__", "?")
if not hasattr(bcc, "BPF"):
    out["not_bcc"] = True
elif sys.argv[1] == "compile":
    try:
        bcc.BPF(text=sys.argv[2]).cleanup()
        out["compiled"] = True
    except Exception as e:
        out["compile_error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Env:
    """Where a check looks: the real machine by default, a fake tree in tests."""

    sys: Path = Path("/sys")
    proc: Path = Path("/proc")
    boot: Path = Path("/boot")
    modules: Path = Path("/lib/modules")
    etc: Path = Path("/etc")  # sudoers, for the PATH `sudo python3` searches
    release: str = field(default_factory=platform.release)
    machine: str = field(default_factory=platform.machine)
    euid: int = field(default_factory=os.geteuid)
    vars: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def real(cls) -> Env:
        return cls()

    def command(self, name: str, default: str) -> list[str]:
        """A command from an environment variable that may carry arguments (shlex syntax)."""
        try:
            return config.command(name, default, self.vars)
        except ValueError as e:
            raise _BadCommand(str(e)) from None


@dataclass(frozen=True)
class Result:
    name: str
    status: str  # ok / info / warn / fail
    detail: str  # the one-line verdict
    remedy: str | None = None  # what to do when status is warn or fail
    tag: str | None = None  # a few words for the summary line

    def as_json(self) -> dict[str, str | None]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "remedy": self.remedy}


class _BadCommand(Exception):
    pass


def _probe(path: Path) -> str:
    """'yes', 'no', or 'denied' (tracefs is mode 0700: a non-root user cannot look inside)."""
    try:
        path.stat()
        return "yes"
    except PermissionError:
        return "denied"
    except OSError:
        return "no"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _tracing_dir(env: Env) -> tuple[Path | None, str]:
    """The mounted tracefs (its events/ is the evidence) and 'yes' / 'no' / 'denied'."""
    denied = False
    for d in (env.sys / "kernel/tracing", env.sys / "kernel/debug/tracing"):
        state = _probe(d / "events")
        if state == "yes":
            return d, "yes"
        denied = denied or state == "denied"
    return None, "denied" if denied else "no"


def kernel_config(env: Env) -> tuple[dict[str, str], str] | None:
    """The running kernel's build options (CONFIG_X -> 'y'/'m'/'n'...) and where they came from."""
    sources: list[tuple[Path, Callable[[Path], str]]] = [
        (env.proc / "config.gz", lambda p: gzip.decompress(p.read_bytes()).decode(errors="replace")),
        (env.boot / f"config-{env.release}", lambda p: p.read_text(errors="replace")),
    ]
    for path, read in sources:
        try:
            text = read(path)
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        options: dict[str, str] = {}
        for line in text.splitlines():
            if m := re.match(r"(CONFIG_\w+)=(.*)", line):
                options[m.group(1)] = m.group(2)
            elif m := re.match(r"# (CONFIG_\w+) is not set", line):
                options[m.group(1)] = "n"
        return options, str(path)
    return None


# --- the checks, in the order doctor prints them ---------------------------------------------
