"""Where things are and what the environment asks for: the one place `BPFHOL_*` and `CI` are read.

BPFHOL_BPFTRACE   command for bpftrace (default: bpftrace); may carry arguments (shlex syntax),
                  e.g. "chroot /srv/trixie bpftrace"
BPFHOL_PYTHON     a Python that can `import bcc` (default: /usr/bin/python3, Debian's python3-bpfcc)
BPFHOL_SEED       the scenario the docs examples run against (default 0, the shown outputs' seed)
BPFHOL_DOCS_JOBS  examples run at once (default 3)
BPFHOL_TIMEOUT_SCALE  multiplies every docs example's timeout (default 1; slow machines, emulated VMs)
BPFHOL_STATE_DIR  where a running lab keeps its lock and state (see bpfhol.labs.supervisor)
BPFHOL_MATRIX_CACHE  the toolchain and kernel matrix's cache (default /var/cache/bpfhol-matrix)
BPFHOL_SOURCES    a directory of git clones (bpftrace/, bcc/, libbpf/) the matrix builds Ubuntu's
                  toolchains from (default: their upstream repositories)
BPFHOL_CHROMIUM   the browser the site's tests drive (default /usr/bin/chromium)
BPFHOL_BROWSER    "no": the machine set-up leaves Chromium out
CI                set to anything but "", "0", "false" or "no": skips for lack of privileges fail
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the checkout; for an installed package, the directory it is installed in
# The course's programs: snippets/ in the checkout (the site includes them from there); an
# installed package carries them inside itself (see setup.py).
SNIPPETS = PACKAGE / "snippets" if (PACKAGE / "snippets").is_dir() else ROOT / "snippets"
DOCS = ROOT / "docs"  # the pages: a checkout's only (an installed package has the site instead)

DEFAULT_BPFTRACE = "bpftrace"
DEFAULT_PYTHON = "/usr/bin/python3"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number") from None


def bpftrace_command(env: Mapping[str, str] | None = None) -> list[str]:
    return command("BPFHOL_BPFTRACE", DEFAULT_BPFTRACE, env)


def python_command(env: Mapping[str, str] | None = None) -> list[str]:
    return command("BPFHOL_PYTHON", DEFAULT_PYTHON, env)


def tool_env() -> dict[str, str]:
    """The environment a course program runs in: the configured tools spelled out, output unbuffered."""
    env = dict(os.environ)
    env["BPFHOL_BPFTRACE"] = os.environ.get("BPFHOL_BPFTRACE") or DEFAULT_BPFTRACE
    env["BPFHOL_PYTHON"] = os.environ.get("BPFHOL_PYTHON") or DEFAULT_PYTHON
    env["PYTHONUNBUFFERED"] = "1"
    return env


def seed() -> int:
    return _int("BPFHOL_SEED", 0)


DOCS_JOBS = 3  # examples at once: each mostly sleeps while it traces


def docs_jobs() -> int:
    return max(1, _int("BPFHOL_DOCS_JOBS", DOCS_JOBS))


def timeout_scale() -> float:
    """How many times longer than its `timeout:` an example may run: for slow machines (an emulated VM)."""
    try:
        return max(1.0, float(os.environ.get("BPFHOL_TIMEOUT_SCALE") or 1))
    except ValueError:
        raise SystemExit(f"BPFHOL_TIMEOUT_SCALE={os.environ['BPFHOL_TIMEOUT_SCALE']!r}: not a number") from None


def ci() -> bool:
    """CI=true/1/yes/anything: on. CI=false, 0, no or empty: off (a bare truthiness test would say on)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def state_dir_override() -> str | None:
    value = os.environ.get("BPFHOL_STATE_DIR")
    return os.path.abspath(value) if value else None


def command(name: str, default: str, env: Mapping[str, str] | None = None) -> list[str]:
    """A command from an environment variable that may carry arguments (shlex syntax).

    ValueError, saying which variable, when it does not parse or is blank.
    """
    raw = (os.environ if env is None else env).get(name) or default
    try:
        argv = shlex.split(raw)
    except ValueError as e:
        raise ValueError(f"{name}={raw!r} is not a valid command ({e})") from None
    if not argv:
        raise ValueError(f"{name} is blank")
    return argv


MATRIX_CACHE = "/var/cache/bpfhol-matrix"
CHROMIUM = "/usr/bin/chromium"


def matrix_cache() -> Path:
    """BPFHOL_MATRIX_CACHE: where the matrix keeps its chroots, kernels and logs."""
    return Path(os.environ.get("BPFHOL_MATRIX_CACHE") or MATRIX_CACHE)


def sources() -> Path | None:
    """BPFHOL_SOURCES: local clones to build toolchains from, or None for the upstream repositories."""
    value = os.environ.get("BPFHOL_SOURCES", "").strip()
    return Path(value).resolve() if value else None


def chromium() -> str:
    """BPFHOL_CHROMIUM: the browser the site's tests drive (Debian's Chromium by default)."""
    return os.environ.get("BPFHOL_CHROMIUM") or CHROMIUM


def browser_wanted() -> bool:
    """BPFHOL_BROWSER=no: set-up leaves Chromium out (the toolchain matrix runs no browser test)."""
    return os.environ.get("BPFHOL_BROWSER", "yes").strip().lower() != "no"
