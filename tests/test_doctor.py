"""`bpfhol doctor`'s checks: on this machine for real, and on fake /sys, /proc trees for the failure paths.

The fake trees stand in for machine state only (tracefs unmounted, lockdown, missing BTF...);
bpftrace and BCC are always the real programs, or a path that does not exist.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bpfhol import diagnosis, doctor
from bpfhol.diagnosis import FAIL, INFO, OK, WARN, Env, Result
from bpfhol.errors import UsageError
from bpfhol.text import WIDTH

RELEASE = "6.9.0-lab"
ALL_CAPS = "000001ffffffffff"
NO_CAPS = "0000000000000000"


def _write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _config(root: Path, text: str) -> None:
    p = root / "proc/config.gz"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(gzip.compress(text.encode()))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    """A healthy machine's tree, except that bpftrace and BCC's Python do not exist."""
    sys_ = tmp_path / "sys"
    tracing = sys_ / "kernel/tracing"
    for event in (
        "syscalls/sys_enter_openat",
        "syscalls/sys_exit_openat",
        "syscalls/sys_enter_mmap",
        "raw_syscalls/sys_enter",
        "raw_syscalls/sys_exit",
    ):
        (tracing / "events" / event).mkdir(parents=True)
    _write(tracing / "available_filter_functions", "vfs_read\n")
    _write(sys_ / "kernel/btf/vmlinux", "BTF")
    _write(sys_ / "kernel/security/lockdown", "[none] integrity confidentiality\n")
    _write(sys_ / "kernel/security/lsm", "capability,lockdown,bpf")
    _write(tmp_path / "proc/self/status", f"Name:\tpython3\nCapEff:\t{ALL_CAPS}\n")
    _config(tmp_path, "# CONFIG_KPROBES is not set\nCONFIG_FTRACE_SYSCALLS=y\n")
    headers = tmp_path / f"usr/src/linux-headers-{RELEASE}"
    _write(headers / "include/generated/utsrelease.h", f'#define UTS_RELEASE "{RELEASE}"\n')
    (tmp_path / "lib/modules" / RELEASE).mkdir(parents=True)
    (tmp_path / "lib/modules" / RELEASE / "build").symlink_to(headers)
    return Env(
        sys=sys_,
        proc=tmp_path / "proc",
        boot=tmp_path / "boot",
        modules=tmp_path / "lib/modules",
        release=RELEASE,
        machine="x86_64",
        euid=0,
        vars={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "BPFHOL_BPFTRACE": "/nonexistent/bpftrace",
            "BPFHOL_PYTHON": "/nonexistent/python3",
        },
    )


def with_vars(env: Env, **more: str) -> Env:
    return replace(env, vars={**env.vars, **more})


# --- privileges ---------------------------------------------------------------------------


def test_root_with_capabilities_is_ok(env: Env) -> None:
    assert diagnosis.check_privileges(env).status == OK


def test_root_without_cap_bpf_fails(env: Env) -> None:
    _write(env.proc / "self/status", f"CapEff:\t{NO_CAPS}\n")
    r = diagnosis.check_privileges(env)
    assert r.status == FAIL and "CAP_BPF" in r.detail and r.remedy


@pytest.mark.parametrize("caps", [(1 << 39) | (1 << 38), 1 << 21], ids=["bpf+perfmon", "sys_admin"])
def test_non_root_with_bpf_capabilities_warns(env: Env, caps: int) -> None:
    _write(env.proc / "self/status", f"CapEff:\t{caps:016x}\n")
    r = diagnosis.check_privileges(replace(env, euid=1000))
    assert r.status == WARN and "sudo" in (r.remedy or "")


def test_non_root_with_cap_bpf_alone_fails(env: Env) -> None:
    _write(env.proc / "self/status", f"CapEff:\t{1 << 39:016x}\n")
    r = diagnosis.check_privileges(replace(env, euid=1000))
    assert r.status == FAIL and "euid 1000" in r.detail
    assert "sudo" in (r.remedy or "")


def test_real_privileges_match_euid() -> None:
    r = diagnosis.check_privileges(Env.real())
    assert (r.status == OK) == (os.geteuid() == 0)


# --- bpftrace ------------------------------------------------------------------------------


def test_missing_bpftrace_says_how_to_install(env: Env) -> None:
    r = diagnosis.check_bpftrace(env)
    assert r.status == FAIL and "/nonexistent/bpftrace" in r.detail
    assert "sudo apt-get install bpftrace" in (r.remedy or "")
    assert "sudo dnf install bpftrace" in (r.remedy or "")


def test_unparsable_bpftrace_command_fails(env: Env) -> None:
    r = diagnosis.check_bpftrace(with_vars(env, BPFHOL_BPFTRACE='bpftrace "unclosed'))
    assert r.status == FAIL and "BPFHOL_BPFTRACE" in r.detail


def test_failing_bpftrace_command_fails(env: Env) -> None:
    r = diagnosis.check_bpftrace(with_vars(env, BPFHOL_BPFTRACE="false"))
    assert r.status == FAIL and "--version" in r.detail


def test_bpftrace_command_may_carry_arguments(env: Env) -> None:
    real = subprocess.run(["bpftrace", "--version"], capture_output=True, text=True, check=True).stdout.split()[-1]
    r = diagnosis.check_bpftrace(replace(with_vars(env, BPFHOL_BPFTRACE="env LC_ALL=C bpftrace"), euid=1000))
    assert r.status == OK
    assert f"bpftrace {real}" in r.detail and "not tried" in r.detail


def test_bpftrace_attaches_a_tracepoint_as_root(needs_bpf: None) -> None:
    r = diagnosis.check_bpftrace(Env.real())
    assert r.status == OK, r
    assert "attached a tracepoint program" in r.detail


# --- BCC and headers ------------------------------------------------------------------------


def test_missing_python_for_bcc_fails(env: Env) -> None:
    r = diagnosis.check_bcc(env)
    assert r.status == FAIL and "/nonexistent/python3" in r.detail
    assert "python3-bpfcc" in (r.remedy or "")


def test_python_without_bcc_fails_and_warns_off_pypi(env: Env) -> None:
    # -S drops the system site-packages, where Debian's python3-bpfcc lives.
    r = diagnosis.check_bcc(with_vars(env, BPFHOL_PYTHON="/usr/bin/python3 -S"))
    assert r.status == FAIL and "cannot import bcc" in r.detail
    assert "sudo apt-get install bpfcc-tools python3-bpfcc" in (r.remedy or "")
    assert "never `pip install bcc`" in (r.remedy or "")


def test_pypi_bcc_is_recognised_as_the_wrong_package(env: Env, tmp_path: Path) -> None:
    _write(tmp_path / "pypi/bcc/__init__.py", "# not BCC: a package that happens to have the same name\n")
    r = diagnosis.check_bcc(with_vars(env, BPFHOL_PYTHON="/usr/bin/python3 -S", PYTHONPATH=str(tmp_path / "pypi")))
    assert r.status == FAIL and "unrelated" in r.detail
    assert (r.remedy or "").startswith("pip uninstall bcc")


def test_bcc_imports_without_root(env: Env) -> None:
    r = diagnosis.check_bcc(replace(with_vars(env, BPFHOL_PYTHON="/usr/bin/python3"), euid=1000))
    assert r.status == WARN and "compiling not tried" in r.detail, r
    assert r.tag == "bcc compile untried"


def test_bcc_compiles_a_tracepoint_program_as_root(needs_bpf: None) -> None:
    r = diagnosis.check_bcc(Env.real())
    assert r.status in (OK, WARN), r
    assert "compiled a tracepoint program" in r.detail


def test_matching_headers_are_ok(env: Env) -> None:
    r = diagnosis.headers_state(env)
    assert r.status == OK and RELEASE in r.detail


def test_generic_headers_are_a_warning(env: Env, tmp_path: Path) -> None:
    other = tmp_path / "usr/src/linux-headers-6.1.0-56-amd64"
    _write(other / "include/generated/utsrelease.h", '#define UTS_RELEASE "6.1.0-56-amd64"\n')
    build = env.modules / RELEASE / "build"
    build.unlink()
    build.symlink_to(other)
    r = diagnosis.headers_state(env)
    assert r.status == WARN and r.tag == "generic headers" and "6.1.0-56-amd64" in r.detail


def test_missing_headers_fail(env: Env) -> None:
    (env.modules / RELEASE / "build").unlink()
    r = diagnosis.headers_state(env)
    assert r.status == FAIL and "linux-headers-$(uname -r)" in (r.remedy or "")


def test_builtin_kernel_headers_are_enough(env: Env) -> None:
    (env.modules / RELEASE / "build").unlink()
    _write(env.sys / "kernel/kheaders.tar.xz")
    assert diagnosis.headers_state(env).status == OK


# --- BTF, tracefs, lockdown -------------------------------------------------------------------


def test_btf_present_and_missing(env: Env) -> None:
    assert diagnosis.check_btf(env).status == OK
    (env.sys / "kernel/btf/vmlinux").unlink()
    r = diagnosis.check_btf(env)
    assert r.status == WARN and "CO-RE" in r.detail


def test_tracefs_unmounted_fails_with_the_mount_command(env: Env) -> None:
    assert diagnosis.check_tracefs(env).status == OK
    (env.sys / "kernel/tracing").rename(env.sys / "kernel/unmounted")
    r = diagnosis.check_tracefs(env)
    assert r.status == FAIL and "bpftrace" in r.detail
    assert r.remedy == "sudo mount -t tracefs nodev /sys/kernel/tracing"


def test_tracefs_under_debugfs_counts(env: Env) -> None:
    (env.sys / "kernel/debug").mkdir()
    (env.sys / "kernel/tracing").rename(env.sys / "kernel/debug/tracing")
    r = diagnosis.check_tracefs(env)
    assert r.status == OK and "debug/tracing" in r.detail


@pytest.mark.parametrize(
    "text, status, words",
    [
        ("[none] integrity confidentiality", OK, "none"),
        ("none [integrity] confidentiality", OK, "fine for the labs"),
        ("none integrity [confidentiality]", FAIL, "reading kernel memory"),
    ],
)
def test_lockdown_modes(env: Env, text: str, status: str, words: str) -> None:
    _write(env.sys / "kernel/security/lockdown", text + "\n")
    r = diagnosis.check_lockdown(env)
    assert r.status == status and words in r.detail
    assert (r.remedy is not None) == (status == FAIL)


def test_lockdown_lsm_not_active(env: Env) -> None:
    (env.sys / "kernel/security/lockdown").unlink()
    r = diagnosis.check_lockdown(env)
    assert r.status == OK and r.detail.startswith("none")


def test_lockdown_unknown_without_securityfs(env: Env) -> None:
    for f in ("lockdown", "lsm"):
        (env.sys / "kernel/security" / f).unlink()
    r = diagnosis.check_lockdown(env)
    assert r.status == WARN and r.detail.startswith("unknown")
    assert r.remedy == "sudo mount -t securityfs securityfs /sys/kernel/security"


# --- kprobes, syscall tracepoints, architecture ------------------------------------------------


def test_kprobes_off_in_config_is_a_warning(env: Env) -> None:
    r = diagnosis.check_kprobes(env)
    assert r.status == WARN and r.tag == "kprobes off" and "config.gz" in r.detail
    assert "the syscalls lab needs no kprobes" in (r.remedy or "")
    assert "available_filter_functions is readable" in r.detail


def test_kprobe_events_means_kprobes_on(env: Env) -> None:
    _write(env.sys / "kernel/tracing/kprobe_events")
    assert diagnosis.check_kprobes(env).status == OK


def test_kprobes_from_boot_config(env: Env) -> None:
    (env.proc / "config.gz").unlink()
    _write(env.boot / f"config-{RELEASE}", "CONFIG_KPROBES=y\n")
    r = diagnosis.check_kprobes(env)
    assert r.status == OK and f"config-{RELEASE}" in r.detail


def test_kprobes_off_when_tracefs_lacks_kprobe_events(env: Env) -> None:
    (env.proc / "config.gz").unlink()
    r = diagnosis.check_kprobes(env)
    assert r.status == WARN and "kprobe_events" in r.detail


def test_kprobes_unknown_without_config_or_tracefs(env: Env) -> None:
    (env.proc / "config.gz").unlink()
    (env.sys / "kernel/tracing").rename(env.sys / "kernel/unmounted")
    r = diagnosis.check_kprobes(env)
    assert r.status == WARN and r.tag == "kprobes unknown"


def test_kfunc_needs_available_filter_functions(env: Env) -> None:
    (env.sys / "kernel/tracing/available_filter_functions").unlink()
    assert "kfunc/fentry is unavailable" in diagnosis.check_kprobes(env).detail


def test_syscall_tracepoints_present(env: Env) -> None:
    r = diagnosis.check_tracepoints(env)
    assert r.status == OK and "(2 system calls)" in r.detail


@pytest.mark.parametrize("group", ["syscalls", "raw_syscalls"])
def test_missing_syscall_tracepoints_fail(env: Env, group: str) -> None:
    (env.sys / "kernel/tracing/events" / group).rename(env.sys / "kernel/tracing" / group)
    r = diagnosis.check_tracepoints(env)
    assert r.status == FAIL and f"tracepoint:{group}" in r.detail and "CONFIG_FTRACE_SYSCALLS" in (r.remedy or "")


def test_syscall_tracepoints_from_config_when_tracefs_unmounted(env: Env) -> None:
    (env.sys / "kernel/tracing").rename(env.sys / "kernel/unmounted")
    assert diagnosis.check_tracepoints(env).status == OK
    _config(env.proc.parent, "# CONFIG_FTRACE_SYSCALLS is not set\n")
    assert diagnosis.check_tracepoints(env).status == FAIL
    (env.proc / "config.gz").unlink()
    r = diagnosis.check_tracepoints(env)
    assert r.status == WARN and r.remedy == diagnosis.TRACEFS_MOUNT


@pytest.mark.parametrize(
    "machine, status, words",
    [
        ("x86_64", INFO, "captured on"),
        ("aarch64", INFO, "the pages say where"),
        ("riscv64", WARN, "untested"),
    ],
)
def test_architecture_notes(env: Env, machine: str, status: str, words: str) -> None:
    r = diagnosis.check_arch(replace(env, machine=machine))
    assert r.status == status and words in r.detail
    # What the open exercises ask (which call, which flag value) is theirs to find.
    assert not any(w in r.detail for w in ("0x", "openat", "open(2)", "O_TMPFILE"))


# --- the python3 a learner types ----------------------------------------------------------------


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv without the system's site packages, as pyenv, conda or `python3 -m venv` make: no bcc."""
    d = tmp_path_factory.mktemp("venv")
    subprocess.run([diagnosis.config.DEFAULT_PYTHON, "-m", "venv", "--without-pip", str(d)], check=True)
    return d


def _sudoers(root: Path, path: str) -> Path:
    _write(root / "etc/sudoers", f'Defaults\tenv_reset\nDefaults\tsecure_path="{path}"\n')
    return root / "etc"


def test_python3_on_path_without_bcc_is_told_to_use_sudo(env: Env, venv: Path, tmp_path: Path) -> None:
    learner = replace(with_vars(env, PATH=f"{venv}/bin:/usr/bin:/bin"), euid=1000)
    r = diagnosis.check_python3(learner)
    assert r.status == WARN and f"{venv}/bin/python3" in r.detail and "cannot import bcc" in r.detail
    assert "sudo" in (r.remedy or "") and "prog.py" in (r.remedy or "")
    # As root, with sudoers readable: what `sudo python3` runs is tried too, and it can.
    root = replace(learner, euid=0, etc=_sudoers(tmp_path, "/usr/sbin:/usr/bin:/sbin:/bin"))
    r = diagnosis.check_python3(root)
    assert r.status == WARN and "`sudo python3` is /usr/bin/python3, which can" in r.detail
    assert r.remedy == "run the BCC programs as the pages do, with sudo: sudo python3 prog.py"


def test_sudo_python3_without_bcc_is_told_the_system_python(env: Env, venv: Path, tmp_path: Path) -> None:
    """Under sudo, PATH is sudo's own: a python3 there without bcc breaks the pages' commands."""
    r = diagnosis.check_python3(with_vars(env, PATH=f"{venv}/bin:/usr/bin", SUDO_USER="learner"))
    assert r.status == WARN and r.detail.startswith(f"`sudo python3` is {venv}/bin/python3, which cannot")
    assert f"sudo {diagnosis.config.DEFAULT_PYTHON} prog.py" in (r.remedy or "")
    # A secure_path that finds such a python3 first, read from sudoers by a root shell.
    shell = replace(with_vars(env, PATH="/usr/bin:/bin"), etc=_sudoers(tmp_path, f"{venv}/bin:/usr/bin"))
    r = diagnosis.check_python3(shell)
    assert r.status == WARN and r.detail.startswith(f"`sudo python3` is {venv}/bin/python3")


def test_system_python3_is_fine(env: Env) -> None:
    r = diagnosis.check_python3(replace(with_vars(env, PATH="/usr/bin:/bin"), euid=1000))
    assert r.status == OK and "imports bcc" in r.detail


def test_doctor_with_a_venv_first_on_path_says_the_fix(venv: Path) -> None:
    """The whole command, as a learner whose shell has a venv activated runs it."""
    e = {**os.environ, "PATH": f"{venv}/bin:/usr/bin:/bin", "VIRTUAL_ENV": str(venv)}
    e.pop("SUDO_USER", None)
    p = subprocess.run(
        [sys.executable, "-m", "bpfhol", "doctor"], cwd=diagnosis.config.ROOT, env=e, capture_output=True, text=True
    )
    lines = p.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("warn  python3"))
    told = " ".join(line.strip() for line in lines[at : at + 5])
    assert f"{venv}/bin/python3" in told and "cannot import bcc" in told, p.stdout
    assert "-> run the BCC programs" in told and "sudo" in told, p.stdout


def test_report_fits_100_columns(env: Env) -> None:
    results = doctor.run_checks(replace(env, machine="riscv64"))
    text = doctor.report(env, results)
    *body, verdict = text.splitlines()
    # A line may pass WIDTH only to hold one word (a path) that no break could shorten.
    long = [line for line in body if len(line) > WIDTH and len(line[21:].split()) > 1]
    assert long == [], long
    assert verdict.startswith("fail: ") and verdict.endswith(": fix the failures above first")
    assert any(line.lstrip().startswith("-> ") for line in text.splitlines()), "each fix on a line of its own"


# --- the whole report ---------------------------------------------------------------------------


def test_summary_line() -> None:
    results = [
        Result("a", OK, "fine"),
        Result("b", WARN, "meh", "do x", "kprobes off"),
        Result("c", WARN, "meh", "do y", "generic headers"),
    ]
    assert doctor.summary_line(results) == "ok: 3 checks, 2 warnings (kprobes off, generic headers)"
    results.append(Result("d", FAIL, "bad", "do z", "tracefs not mounted"))
    assert doctor.summary_line(results) == (
        "fail: 4 checks, 1 failure (tracefs not mounted), 2 warnings (kprobes off, generic headers)"
    )
    assert doctor.summary_line(results[:1]) == "ok: 1 checks, no warnings"


def test_a_failure_makes_exit_status_1(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert doctor.main(env=env) == 1  # bpftrace and BCC's python do not exist in this Env
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"bpfhol doctor: kernel {RELEASE}, x86_64"
    assert out[-1].startswith("fail: 10 checks, 2 failures (bpftrace missing, bcc missing)")
    assert any("-> install it: sudo apt-get install bpftrace" in line for line in out)


def test_json_report(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    (env.sys / "kernel/tracing").rename(env.sys / "kernel/unmounted")
    assert doctor.main(as_json=True, env=env) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["ok"] is False and got["kernel"] == RELEASE and got["arch"] == "x86_64"
    by_name = {c["name"]: c for c in got["checks"]}
    assert list(by_name) == [c.__name__.removeprefix("check_") for c in diagnosis.CHECKS]
    assert by_name["tracefs"]["status"] == FAIL
    assert by_name["tracefs"]["remedy"] == diagnosis.TRACEFS_MOUNT
    assert all(set(c) == {"name", "status", "detail", "remedy"} for c in got["checks"])


def test_json_and_summary_exclude_each_other(env: Env) -> None:
    with pytest.raises(UsageError):
        doctor.main(as_json=True, summary=True, env=env)


def test_this_machine_can_run_a_lab(needs_bpf: None) -> None:
    env = Env.real()
    results = doctor.run_checks(env)
    assert doctor.can_run(results), doctor.report(env, results)
    by_name = {r.name: r for r in results}
    assert by_name["tracefs"].status == OK
    assert by_name["tracepoints"].status == OK
    # kprobes: the verdict follows the kernel's own evidence.
    kprobe_events = Path("/sys/kernel/tracing/kprobe_events").exists()
    assert (by_name["kprobes"].status == OK) == kprobe_events
    for r in results:
        assert r.status in (OK, INFO, WARN, FAIL)
        assert r.status not in (WARN, FAIL) or r.remedy, r


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_doctor_keeps_exercise_facts_out(env: Env, machine: str) -> None:
    """What an exercise asks for (a flag's value, which call a program makes) is the learner's to find."""
    from bpfhol.labs.syscalls import answer_key

    env = replace(env, machine=machine)
    text = doctor.report(env, doctor.run_checks(env))
    t = answer_key(0)["open"]["tempfiles"]
    told = [
        v for v in (t["o_tmpfile"], t["o_tmpfile_flags"], t["mkstemp_flags_hex"], "O_TMPFILE", "open(2)") if v in text
    ]
    assert not told, f"doctor gives away {told}:\n{text}"
