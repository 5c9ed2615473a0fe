"""The doctor's checks of the tools: privileges, bpftrace, BCC and its headers, the python3 a learner types."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess

from bpfhol import config
from bpfhol.diagnosis.env import (
    _BCC_PROBE,
    BCC_INSTALL,
    BCC_PROGRAM,
    BPFTRACE_INSTALL,
    CAP_BPF,
    CAP_PERFMON,
    CAP_SYS_ADMIN,
    FAIL,
    HEADERS_INSTALL,
    OK,
    WARN,
    Env,
    Result,
    _BadCommand,
    _read,
)


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
    limit = 30 * config.timeout_scale()  # an emulated VM's bpftrace can take minutes to attach
    try:
        run = subprocess.run([*cmd, "-e", probe], capture_output=True, text=True, timeout=limit, env=dict(env.vars))
    except subprocess.TimeoutExpired:
        return Result(
            name,
            FAIL,
            f"{found} did not finish a one-probe program in {limit:g} s",
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
