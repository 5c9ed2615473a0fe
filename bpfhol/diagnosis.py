"""The machine checks behind `bpfhol doctor`.

Each check is a function of an `Env`: where /sys, /proc, /boot and /lib/modules
are, the kernel release and architecture, the effective uid and the environment
variables. `Env.real()` is this machine; tests point an `Env` at a fake tree
(tracefs unmounted, lockdown=confidentiality, no BTF...) to reach the failure
paths. The bpftrace and BCC checks always run the real programs named by
BPFHOL_BPFTRACE and BPFHOL_PYTHON.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
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


def check_privileges(env: Env) -> Result:
    caps: int | None = None
    status = _read(env.proc / "self/status") or ""
    if m := re.search(r"^CapEff:\s*([0-9a-fA-F]+)", status, re.M):
        caps = int(m.group(1), 16)

    def has(cap: int) -> bool:
        return caps is not None and bool(caps >> cap & 1)

    # The kernel's bpf_capable()/perfmon_capable() also accept CAP_SYS_ADMIN.
    bpf_ok = has(CAP_SYS_ADMIN) or (has(CAP_BPF) and has(CAP_PERFMON))
    name = "privileges"
    if env.euid == 0:
        if caps is None or bpf_ok:
            return Result(name, OK, "root")
        return Result(
            name,
            FAIL,
            "root, but CAP_BPF and CAP_PERFMON are not effective (a restricted container?)",
            "run privileged (e.g. docker run --privileged) or grant CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN",
            "root without CAP_BPF",
        )
    if bpf_ok:
        return Result(
            name,
            WARN,
            f"not root (euid {env.euid}), but CAP_BPF and CAP_PERFMON are effective: BPF programs load",
            "tracefs (mode 0700) and bpfhol's own commands still need root: use sudo",
            "not root",
        )
    return Result(
        name,
        FAIL,
        f"not root (euid {env.euid}) and without CAP_BPF+CAP_PERFMON: BPF programs cannot load",
        "run as root: sudo bpfhol doctor (and sudo for bpftrace, the BCC tools and bpfhol's lab commands)",
        "not root",
    )


def check_bpftrace(env: Env) -> Result:
    name = "bpftrace"
    try:
        cmd = env.command("BPFHOL_BPFTRACE", config.DEFAULT_BPFTRACE)
    except _BadCommand as e:
        return Result(name, FAIL, str(e), BPFTRACE_INSTALL, "bpftrace missing")
    shown = shlex.join(cmd)
    try:
        p = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=30, env=dict(env.vars))
    except FileNotFoundError:
        return Result(name, FAIL, f"bpftrace not found ({shown})", BPFTRACE_INSTALL, "bpftrace missing")
    except PermissionError:
        return Result(name, FAIL, f"{cmd[0]} is not executable", BPFTRACE_INSTALL, "bpftrace missing")
    except subprocess.TimeoutExpired:
        return Result(name, FAIL, f"`{shown} --version` did not answer in 30 s", BPFTRACE_INSTALL, "bpftrace hangs")
    out = (p.stdout + p.stderr).strip()
    version = re.search(r"v?(\d+\.\d+(?:\.\d+)?)", p.stdout)
    if p.returncode != 0 or not version:
        first = out.splitlines()[0] if out else f"exit status {p.returncode}"
        return Result(name, FAIL, f"`{shown} --version` failed: {first}", BPFTRACE_INSTALL, "bpftrace broken")
    where = shutil.which(cmd[0], path=env.vars.get("PATH")) if len(cmd) == 1 else None
    found = f"bpftrace v{version.group(1)} ({where or shown})"
    if env.euid != 0:
        return Result(name, OK, f"{found}; attaching a probe not tried (needs root)")
    # Attach a tracepoint for real: any syscall fires it and exit() ends the run at once.
    probe = "tracepoint:raw_syscalls:sys_enter { exit(); }"
    try:
        run = subprocess.run([*cmd, "-e", probe], capture_output=True, text=True, timeout=30, env=dict(env.vars))
    except subprocess.TimeoutExpired:
        return Result(
            name,
            FAIL,
            f"{found} did not finish a one-probe program in 30 s",
            "check the tracefs and lockdown lines",
            "bpftrace cannot attach",
        )
    if run.returncode != 0:
        # "couldn't set RLIMIT_MEMLOCK" is harmless noise on kernels that account BPF memory by cgroup.
        errors = [ln for ln in run.stderr.splitlines() if ln.strip() and "RLIMIT_MEMLOCK" not in ln]
        why = errors[0] if errors else f"exit status {run.returncode}"
        return Result(
            name,
            FAIL,
            f"{found} cannot attach a tracepoint program: {why}",
            "check the privileges, tracefs and lockdown lines",
            "bpftrace cannot attach",
        )
    return Result(name, OK, f"{found}; attached a tracepoint program")


def headers_state(env: Env) -> Result:
    """The kernel headers BCC compiles against: /lib/modules/$(uname -r)/build, or the kernel's own."""
    name = "bcc"
    build = env.modules / env.release / "build"
    if not build.exists():
        if (env.sys / "kernel/kheaders.tar.xz").exists():
            return Result(name, OK, "headers: the kernel's built-in ones (/sys/kernel/kheaders.tar.xz)")
        return Result(name, FAIL, f"no kernel headers at {build}", HEADERS_INSTALL, "no headers")
    target = build.resolve()
    version = None
    if m := re.search(r'UTS_RELEASE\s+"([^"]+)"', _read(target / "include/generated/utsrelease.h") or ""):
        version = m.group(1)
    else:
        version = (_read(target / "include/config/kernel.release") or "").strip() or None
    if version is None:
        version = target.name.removeprefix("linux-headers-")
    if version == env.release:
        return Result(name, OK, f"headers for {env.release} at {build}")
    return Result(
        name,
        WARN,
        f"headers: generic fallback {version} ({build} -> {target})",
        f"tracepoint programs work with them; kprobe programs that read kernel structs need "
        f"headers built for {env.release}",
        "generic headers",
    )


def check_bcc(env: Env) -> Result:
    name = "bcc"
    try:
        py = env.command("BPFHOL_PYTHON", config.DEFAULT_PYTHON)
    except _BadCommand as e:
        return Result(name, FAIL, str(e), BCC_INSTALL, "bcc missing")
    shown = shlex.join(py)
    mode = "compile" if env.euid == 0 else "import"
    try:
        p = subprocess.run(
            [*py, "-c", _BCC_PROBE, mode, BCC_PROGRAM],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(env.vars),
        )
    except (FileNotFoundError, PermissionError):
        return Result(
            name,
            FAIL,
            f"no Python at {shown} (BPFHOL_PYTHON) to import bcc with",
            f"set BPFHOL_PYTHON to the system python3, then: {BCC_INSTALL}",
            "bcc missing",
        )
    except subprocess.TimeoutExpired:
        return Result(name, FAIL, "compiling a one-line BCC program took over 120 s", BCC_INSTALL, "bcc hangs")
    try:
        got = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = p.stderr.strip().splitlines()[-1:] or [f"exit status {p.returncode}"]
        return Result(name, FAIL, f"{shown} could not run the BCC probe: {tail[0]}", BCC_INSTALL, "bcc broken")
    if "import_error" in got:
        return Result(name, FAIL, f"{shown} cannot import bcc ({got['import_error']})", BCC_INSTALL, "bcc missing")
    if got.get("not_bcc"):
        return Result(
            name,
            FAIL,
            f"`import bcc` in {shown} finds PyPI's unrelated 'bcc' package ({got['file']})",
            f"pip uninstall bcc, then: {BCC_INSTALL}",
            "wrong bcc",
        )
    found = f"BCC {got['version']} ({shown})"
    headers = headers_state(env)
    if "compile_error" in got:
        err = got["compile_error"].strip().splitlines()[-1]
        return Result(
            name,
            FAIL,
            f"{found} cannot compile a tracepoint program: {err}; {headers.detail}",
            headers.remedy or BCC_INSTALL,
            "bcc cannot compile",
        )
    compiled = "compiled a tracepoint program" if got.get("compiled") else "compiling not tried (needs root)"
    status, remedy, tag = headers.status, headers.remedy, headers.tag
    if status == FAIL and got.get("compiled"):
        status = WARN  # it compiled anyway (BCC may have found the kernel's own headers)
    elif status == OK and not got.get("compiled"):
        status, remedy, tag = WARN, "run as root to try compiling: sudo bpfhol doctor", "bcc compile untried"
    return Result(name, status, f"{found}: {compiled}; {headers.detail}", remedy, tag)


def check_btf(env: Env) -> Result:
    path = env.sys / "kernel/btf/vmlinux"
    if path.exists():
        return Result("btf", OK, f"{path} present (kernel types for CO-RE tools and BTF-based features)")
    return Result(
        "btf",
        WARN,
        f"no {path}: CO-RE tools (libbpf-tools) and BTF-based features cannot run",
        "the syscalls lab does not need it; other tools need a kernel built with CONFIG_DEBUG_INFO_BTF=y",
        "no BTF",
    )


def check_tracefs(env: Env) -> Result:
    d, state = _tracing_dir(env)
    if d is not None:
        return Result("tracefs", OK, f"mounted at {d}")
    if state == "denied":
        mounts = _read(env.proc / "self/mounts") or ""
        if re.search(r"^\S+ /sys/kernel/(debug/)?tracing tracefs ", mounts, re.M):
            return Result("tracefs", OK, "mounted (only root can look inside)")
        return Result(
            "tracefs",
            WARN,
            "cannot tell whether tracefs is mounted (only root can look)",
            "run as root: sudo bpfhol doctor",
            "tracefs unknown",
        )
    return Result(
        "tracefs",
        FAIL,
        f"not mounted (no {env.sys}/kernel/tracing/events): bpftrace's tracepoints need it",
        TRACEFS_MOUNT,
        "tracefs not mounted",
    )


def check_lockdown(env: Env) -> Result:
    sec = env.sys / "kernel/security"
    text = _read(sec / "lockdown")
    if text is None:
        lsm = _read(sec / "lsm")
        if lsm is not None:  # securityfs is mounted, and the lockdown LSM is not active
            return Result("lockdown", OK, f"none (the lockdown LSM is not active: {lsm.strip()})")
        return Result(
            "lockdown",
            WARN,
            f"unknown: securityfs is not mounted at {sec}",
            SECURITYFS_MOUNT,
            "lockdown unknown",
        )
    m = re.search(r"\[(\w+)\]", text)
    mode = m.group(1) if m else "?"
    if mode == "none":
        return Result("lockdown", OK, "none")
    if mode == "integrity":
        return Result(
            "lockdown",
            OK,
            "integrity: fine for the labs (it refuses bpf_probe_write_user and "
            "debugfs, not tracing or reading kernel memory)",
        )
    if mode == "confidentiality":
        return Result(
            "lockdown",
            FAIL,
            "confidentiality: the kernel refuses reading kernel memory (bpf_probe_read of kernel "
            "memory breaks), kprobes, perf and tracefs",
            "lockdown cannot be lowered at runtime: boot with lockdown=integrity or none "
            "(kernel command line; Secure Boot may force it)",
            "lockdown=confidentiality",
        )
    return Result(
        "lockdown",
        WARN,
        f"unrecognised mode in {sec / 'lockdown'}: {text.strip()}",
        "confidentiality is the mode that breaks tracing: check the kernel command line's lockdown=",
        "lockdown unknown",
    )


def _kfunc_note(aff: Path) -> str:
    # bpftrace 0.17 enables kfunc/fentry only when it can read the traceable functions' list.
    try:
        with open(aff, "rb") as f:
            f.read(1)
    except OSError as e:
        why = "missing" if isinstance(e, FileNotFoundError) else (e.strerror or "unreadable").lower()
        return f"bpftrace 0.17's kfunc/fentry is unavailable ({aff.name}: {why})"
    return "kfunc/fentry: available_filter_functions is readable"


def check_kprobes(env: Env) -> Result:
    d, state = _tracing_dir(env)
    on: bool | None = None
    source = ""
    if d is not None and _probe(d / "kprobe_events") == "yes":
        on, source = True, f"{d}/kprobe_events exists"
    else:
        cfg = kernel_config(env)
        if cfg is not None and "CONFIG_KPROBES" in cfg[0]:
            on, source = cfg[0]["CONFIG_KPROBES"] == "y", cfg[1]
        elif d is not None:
            on, source = False, f"no {d}/kprobe_events"
    aff = (d or env.sys / "kernel/tracing") / "available_filter_functions"
    if state == "denied":
        kfunc = "kfunc/fentry: cannot tell (only root can look in tracefs)"
    else:
        kfunc = _kfunc_note(aff)
    if on:
        return Result("kprobes", OK, f"CONFIG_KPROBES on ({source}); {kfunc}")
    if on is None:
        return Result(
            "kprobes",
            WARN,
            f"cannot tell whether CONFIG_KPROBES is on; {kfunc}",
            "the syscalls lab needs no kprobes",
            "kprobes unknown",
        )
    return Result(
        "kprobes",
        WARN,
        f"CONFIG_KPROBES off ({source}): kprobe:/kretprobe: probes cannot attach; {kfunc}",
        "the syscalls lab needs no kprobes; kprobe-based tools (e.g. BCC's opensnoop, execsnoop) "
        "need a kernel built with CONFIG_KPROBES=y",
        "kprobes off",
    )


def check_tracepoints(env: Env) -> Result:
    name = "tracepoints"
    remedy = "a kernel built with CONFIG_FTRACE_SYSCALLS=y (every major distribution's kernel has it)"
    d, state = _tracing_dir(env)
    if d is None:
        cfg = kernel_config(env)
        value, source = (cfg[0].get("CONFIG_FTRACE_SYSCALLS"), cfg[1]) if cfg else (None, "")
        why = "tracefs is not mounted" if state == "no" else "only root can look in tracefs"
        if value == "y":
            return Result(name, OK, f"CONFIG_FTRACE_SYSCALLS=y ({source}); not listed: {why}")
        if value is not None:
            return Result(
                name,
                FAIL,
                "no tracepoint:syscalls: CONFIG_FTRACE_SYSCALLS is off",
                remedy,
                "no syscall tracepoints",
            )
        return Result(
            name,
            WARN,
            f"cannot tell whether tracepoint:syscalls exist: {why}",
            TRACEFS_MOUNT if state == "no" else "run as root: sudo bpfhol doctor",
            "tracepoints unknown",
        )
    events = d / "events"
    missing = [f"tracepoint:{g}" for g in ("syscalls", "raw_syscalls") if _probe(events / g) != "yes"]
    if missing:
        return Result(
            name,
            FAIL,
            f"missing {' and '.join(missing)} (kernel built without CONFIG_FTRACE_SYSCALLS?)",
            remedy,
            "no syscall tracepoints",
        )
    count = sum(1 for e in (events / "syscalls").iterdir() if e.name.startswith("sys_enter_"))
    return Result(name, OK, f"tracepoint:syscalls ({count} system calls) and tracepoint:raw_syscalls")


def check_arch(env: Env) -> Result:
    # Only which architectures the lab was tried on: the system calls and flag values that
    # differ between them are what the exercises ask about, so the doctor does not say them.
    m = env.machine
    if m == "x86_64":
        return Result("arch", INFO, "x86_64: the architecture the pages' outputs were captured on")
    if m in ("aarch64", "arm64"):
        return Result(
            "arch",
            INFO,
            "arm64: tested; a few system calls and flag values differ from x86_64, and the pages say where",
        )
    return Result(
        "arch",
        WARN,
        f"{m}: untested; system call names and flag values may differ from the lab's",
        "compare with `bpftrace -l 'tracepoint:syscalls:*'` on this machine",
        f"{m} untested",
    )


def _import_bcc(env: Env, python: str) -> str | None:
    """None when `python` imports BCC's module (the real one, with BPF), else why not."""
    try:
        p = subprocess.run(
            [python, "-c", _BCC_PROBE, "import", ""], capture_output=True, text=True, timeout=60, env=dict(env.vars)
        )
        got = json.loads(p.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, IndexError, ValueError) as e:
        return f"it does not run ({e})" if isinstance(e, OSError) else "it does not answer"
    if "import_error" in got:
        return got["import_error"]
    if got.get("not_bcc"):
        return f"its `import bcc` finds PyPI's unrelated 'bcc' ({got['file']})"
    return None


def sudo_path(env: Env) -> str | None:
    """sudo's secure_path (the PATH `sudo python3` searches), when the sudoers file is readable."""
    files = [env.etc / "sudoers", *sorted((env.etc / "sudoers.d").glob("*"))] if env.etc.is_dir() else []
    found = None
    for f in files:
        for m in re.finditer(r"^\s*Defaults\s+secure_path\s*=\s*\"?([^\"\n]+)\"?", _read(f) or "", re.M):
            found = m.group(1).strip()  # the last one read wins, as in sudo
    return found


def check_python3(env: Env) -> Result:
    """The `python3` a learner types: the pages run BCC programs as `sudo python3 prog.py`.

    sudo runs that with its secure_path, not the caller's PATH, where a venv, pyenv or conda may
    come first. Under sudo the PATH seen here is already sudo's; otherwise the sudoers file
    says (root can read it), and both are tried.
    """
    name = "python3"
    system = config.DEFAULT_PYTHON
    under_sudo = env.euid == 0 and bool(env.vars.get("SUDO_USER"))
    mine = shutil.which("python3", path=env.vars.get("PATH", os.defpath))
    secure = None if under_sudo else sudo_path(env)
    sudos = mine if under_sudo else (shutil.which("python3", path=secure) if secure else None)
    mine_why = _import_bcc(env, mine) if mine else "there is none"
    sudo_why = None if sudos is None else (mine_why if sudos == mine else _import_bcc(env, sudos))
    if under_sudo:
        if mine_why is None:
            return Result(name, OK, f"`sudo python3` is {mine}, which imports bcc")
        return Result(
            name,
            WARN,
            f"`sudo python3` is {mine or 'missing'}, which cannot import bcc: {mine_why}",
            f"run the BCC programs as sudo {system} prog.py (the Python python3-bpfcc installs into), "
            "or put /usr/bin before the other directory of sudo's secure_path (sudo visudo)",
            "python3 without bcc",
        )
    if mine_why is None and sudo_why is None:
        also = f"; so is `sudo python3` ({sudos})" if sudos and sudos != mine else ""
        return Result(name, OK, f"`python3` is {mine}, which imports bcc{also}")
    if mine_why is not None and sudos is not None and sudo_why is None:
        return Result(
            name,
            WARN,
            f"`python3` on your PATH is {mine or 'missing'}, which cannot import bcc ({mine_why}); "
            f"`sudo python3` is {sudos}, which can",
            "run the BCC programs as the pages do, with sudo: sudo python3 prog.py",
            "python3 without bcc",
        )
    bad, why = (sudos, sudo_why) if sudo_why is not None else (mine, mine_why)
    who = "`sudo python3`" if sudo_why is not None else "`python3` on your PATH"
    return Result(
        name,
        WARN,
        f"{who} is {bad or 'missing'}, which cannot import bcc: {why}",
        f"run the BCC programs as sudo {system} prog.py (the Python python3-bpfcc installs into)",
        "python3 without bcc",
    )


CHECKS: tuple[Callable[[Env], Result], ...] = (
    check_privileges,
    check_bpftrace,
    check_bcc,
    check_python3,
    check_btf,
    check_tracefs,
    check_lockdown,
    check_kprobes,
    check_tracepoints,
    check_arch,
)
