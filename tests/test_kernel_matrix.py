"""The kernel matrix's pieces that need no VM: kernel names, the deep dive's source table and its check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bpfhol import config
from devtools import kernel_run, kernel_sources, kernels, kvm, matrix, results, tested_on


def test_kernel_names_select_kernels_and_their_toolchains() -> None:
    assert [k.series for k in kernels.resolve(["all"])] == ["6.1", "6.12", "7.x"]
    assert [k.toolchain for k in kernels.resolve(["7", "6.1,6.12"])] == ["unstable", "debian12", "debian13"]
    with pytest.raises(ValueError, match="no kernel '5.10'"):
        kernels.resolve(["5.10"])
    args = matrix.parse(["--kernel", "6.12,7.x"])
    assert args.names == ["debian13", "unstable"] and [k.series for k in args.kernels] == ["6.12", "7.x"]
    for bad in (["debian12", "--kernel", "6.1"], ["--kernel", "6.1", "--full"], ["--kernel", "4.19"]):
        with pytest.raises(SystemExit):
            matrix.parse(bad)


def test_kernel_images_are_found_where_each_release_puts_them(tmp_path: Path) -> None:
    assert kernels.image(tmp_path, "6.1.0-1-amd64") is None
    old = tmp_path / "boot/vmlinuz-6.1.0-1-amd64"  # Debian 12 and 13: /boot
    old.parent.mkdir()
    old.write_bytes(b"k")
    assert kernels.image(tmp_path, "6.1.0-1-amd64") == old
    new = tmp_path / "usr/lib/modules/7.2.1+deb14-amd64/vmlinuz"  # Debian 14: next to the modules
    new.parent.mkdir(parents=True)
    new.write_bytes(b"k")
    assert kernels.image(tmp_path, "7.2.1+deb14-amd64") == new
    assert kernel_sources.series_of("7.2.1+deb14-amd64") == "7.2"
    assert kernel_sources.series_of("6.1.0-50-amd64") == "6.1"


def test_the_deep_dive_table_names_every_kernel_of_the_matrix() -> None:
    rows = kernel_sources.table()
    assert len(rows) >= 20
    for row in rows:
        assert set(row.cells) == {"6.1", "6.12", "6.18", "7.2"}, row
        assert all(cell for cell in row.cells.values()), row
    text = "".join(p.read_text() for p in kernel_sources.PAGE.parent.glob("*.md"))
    for row in rows:  # every name in the table is one the lab's pages talk about, besides the table itself
        assert text.count(row.symbol) >= 2, row.name


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_source_check_finds_a_moved_a_missing_and_an_unexpected_definition(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n" + kernel_sources.MARK + "\n| Name | 6.1 | 7.2 |\n| --- | --- | --- |\n"
        "| `do_work()` | kernel/entry/common.c | include/linux/entry-common.h |\n"
        "| `NEW_MACRO` | — | include/linux/tracepoint.h |\n"
        "| `entry_SYSCALL_64` | arch/x86/entry/entry_64.S | arch/x86/entry/entry_64.S |\n\nmore\n"
    )
    rows = kernel_sources.table(page)
    old = _tree(
        tmp_path / "6.1",
        {
            "kernel/entry/common.c": "static long do_work(struct pt_regs *regs)\n{\n\treturn 0;\n}\n",
            "include/linux/entry-common.h": "long do_work(struct pt_regs *regs);\n",  # a prototype is no definition
            "arch/x86/entry/entry_64.S": "SYM_CODE_START(entry_SYSCALL_64)\n",
        },
    )
    assert kernel_sources.mismatches(old, "6.1", rows) == []
    new = _tree(
        tmp_path / "7.2",
        {
            "kernel/entry/common.c": "static long do_work(struct pt_regs *regs)\n{\n\treturn 0;\n}\n",
            "include/linux/entry-common.h": "static __always_inline void other(void)\n{\n\tdo_work(regs);\n}\n",
            "arch/x86/entry/entry_64.S": "SYM_CODE_START(entry_SYSCALL_64)\n",
        },
    )
    wrong = kernel_sources.mismatches(new, "7.2", rows)
    assert len(wrong) == 2
    assert "do_work() is not defined in include/linux/entry-common.h in Linux 7.2" in wrong[0]
    assert wrong[0].endswith("but in kernel/entry/common.c")
    assert "no file include/linux/tracepoint.h" in wrong[1]
    (old / "include/linux/tracepoint.h").write_text("#define NEW_MACRO(name) x\n")
    assert kernel_sources.mismatches(old, "6.1", rows) == [
        f"line {rows[1].line}: NEW_MACRO is defined in Linux 6.1 (include/linux/tracepoint.h)"
    ]
    assert kernel_sources.mismatches(old, "6.12", rows) == ["the table has no column for Linux 6.12"]


def test_a_kernel_run_gets_its_own_table_and_column_on_the_tested_on_page() -> None:
    result = {
        "reference": "debian12",
        "toolchains": [
            {
                "name": "debian12",
                "suite": "bookworm",
                "debian": "12.15",
                "bpftrace": "0.17.0",
                "bcc": "0.26.0",
                "python": "3.11.2",
                "kernel": "6.18.44",
                "arch": "x86_64",
                "date": "2026-12-01",
                "passed": 1,
                "failed": 0,
                "skipped": 0,
                "examples": [
                    {"page": "docs/a.md", "line": 3, "snippet": "snippets/a.bt", "outcome": "passed", "reason": ""}
                ],
            },
            {
                "name": "debian12-linux6.1",
                "suite": "bookworm",
                "debian": "12.15",
                "bpftrace": "0.17.0",
                "bcc": "0.26.0",
                "python": "3.11.2",
                "kernel": "6.1.0-50-amd64",
                "arch": "x86_64",
                "date": "2026-12-01",
                "passed": 0,
                "failed": 1,
                "skipped": 0,
                "vm": "6.1",
                "timings": {"boot": 22.0, "setup": 95.0, "examples": 900.0},
                "sources": {"series": "6.1", "source": "linux-source-6.1 6.1.1-1", "checked": 29, "wrong": []},
                "examples": [
                    {"page": "docs/a.md", "line": 3, "snippet": "snippets/a.bt", "outcome": "failed", "reason": ""}
                ],
            },
        ],
    }
    page = tested_on.render(result)
    assert "## Kernels" in page and "| `6.1.0-50-amd64` | Debian 12.15 (bookworm) |" in page
    assert "| 0 | 1 | 0 | TCG (emulated CPU) | 22 s | 95 s | 900 s | 29 of 29 |" in page
    assert "| Debian 12, Linux 6.18 | Debian 12, Linux 6.1 (VM) |" in page
    assert "| [a.md:3](a.md) | `a.bt` | passed | **failed** |" in page


def test_only_outputs_of_kernel_scoped_examples_come_back_from_a_capture() -> None:
    scoped = kernels.kernel_scoped_outputs(kernel_sources.PAGE.parent.parent)
    assert "syscalls/deep-sleepable-accepted.out" in scoped  # requires: kernel >= 7.2
    assert "syscalls/deep-detach-cost.out" not in scoped  # runs everywhere: the reference's output


def _entry(outcomes: dict[int, str]) -> results.CellResult:
    versions = {"debian": "12.15", "bpftrace": "0.17.0", "bcc": "0.26.0", "python": "3.11.2", "arch": "x86_64"}
    r = results.CellResult("debian12-linux6.1", "bookworm", vm="6.1", versions={**versions, "kernel": "6.1.0-50-amd64"})
    r.examples = [
        {"page": "docs/a.md", "line": n, "snippet": "s", "outcome": o, "reason": "", "warnings": []}
        for n, o in outcomes.items()
    ]
    r.tests = [{"id": f"docs/a.md::line:{n}", "outcome": o} for n, o in outcomes.items()]
    return r


def test_a_filtered_kernel_run_updates_only_the_examples_it_ran(tmp_path: Path) -> None:
    result = tmp_path / "tested-on.json"
    whole = _entry({1: "passed", 2: "failed", 3: "passed"})
    whole.timings = {"examples": 900.0}
    results.write_result([whole], result)
    entry = json.loads(result.read_text())["toolchains"][0]
    result.write_text(json.dumps({"toolchains": [{**entry, "commit": "whole-run"}]}))
    again = _entry({2: "passed"})
    again.timings = {"examples": 60.0}
    again.partial = True
    results.write_result([again], result)
    (entry,) = json.loads(result.read_text())["toolchains"]
    assert [e["outcome"] for e in entry["examples"]] == ["passed", "passed", "passed"]
    assert (entry["passed"], entry["failed"]) == (3, 0)
    # The row still says when the whole run was, and what it measured; the re-run example says when it ran.
    assert entry["timings"] == {"examples": 900.0} and entry["commit"] == "whole-run"
    assert ["commit" in e for e in entry["examples"]] == [False, True, False]
    assert "passed (re-run " in tested_on._cell(entry["examples"][1])


def test_results_recorded_at_old_lines_follow_the_page_and_the_latest_run_counts() -> None:
    current = [
        {"page": "p", "line": 10, "snippet": "a"},
        {"page": "p", "line": 30, "snippet": "b"},
        {"page": "p", "line": 50, "snippet": "b"},
    ]
    recorded = [
        {"page": "p", "line": 8, "snippet": "a", "outcome": "failed"},  # the first run
        {"page": "p", "line": 28, "snippet": "b", "outcome": "passed"},
        {"page": "p", "line": 48, "snippet": "b", "outcome": "skipped"},
        {"page": "p", "line": 10, "snippet": "a", "outcome": "passed"},  # a -k re-run after an edit
        {"page": "p", "line": 9, "snippet": "gone", "outcome": "passed"},
    ]
    moved = results.realign(recorded, current)
    assert [(e["line"], e["snippet"], e["outcome"]) for e in moved] == [
        (10, "a", "passed"),
        (30, "b", "passed"),
        (50, "b", "skipped"),
    ]


def test_a_guest_that_reopens_its_output_or_hangs_keeps_its_log_and_leaves_nothing(tmp_path: Path) -> None:
    """QEMU opens /proc/self/fd/1 twice (console and programs): both streams reach the log whole; a
    guest past its time is killed with its process group and reported as such (None)."""
    log = tmp_path / "guest.log"
    log.write_text("before\n")
    marker = f"bpfhol-test-guest-{os.getpid()}"
    script = (
        f"echo console-1 >/proc/self/fd/1; echo program-1; echo console-2 >/proc/self/fd/1; exec -a {marker} sleep 30"
    )
    rc, seconds = kernels.boot(["bash", "-c", script], log, timeout=1.5)
    assert rc is None and seconds < 10
    assert log.read_text() == "before\nconsole-1\nprogram-1\nconsole-2\n"
    assert subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 1, "the guest was left"
    rc, _ = kernels.boot(["bash", "-c", "echo done; exit 3"], log, timeout=10)
    assert rc == 3 and log.read_text().endswith("console-2\ndone\n")


def test_a_one_vcpu_guest_runs_one_example_at_a_time_with_twice_the_time() -> None:
    two, one = kernels.KERNELS["7.x"], kernels.KERNELS["6.1"]
    tcg = kvm.Accel("tcg", kvm.TCG_CPU, kvm.TCG_SLOWDOWN, "")
    scale = kernels.TIMEOUT_SCALE["tcg"]
    assert (two.cpus, two.jobs, two.timeout_scale(tcg)) == (2, config.DOCS_JOBS, scale)
    assert (one.cpus, one.jobs, one.timeout_scale(tcg)) == (1, 1, 2 * scale)


def test_kvm_is_used_only_when_a_test_boot_runs_and_the_reason_is_one_line(tmp_path: Path) -> None:
    """Here /dev/kvm exists but cannot run a vCPU with the host's CPU model: the guests run under TCG."""
    if not shutil.which(kvm.QEMU):
        pytest.skip(f"{kvm.QEMU} is not installed (./dev matrix --kernel installs it)")
    assert kvm.test_boot("tcg", kvm.TCG_CPU) == "", "the test boot itself must work where KVM is not involved"
    missing = kvm.detect(dev=tmp_path / "kvm")
    assert (missing.name, missing.cpu) == ("tcg", kvm.TCG_CPU) and "no " + str(tmp_path / "kvm") in missing.reason
    accel = kvm.detect()
    assert "\n" not in accel.reason
    if accel.kvm:  # a machine with working KVM (a hosted runner): the guests get the host's CPU model
        assert accel.cpu == kvm.KVM_CPU
    else:
        assert accel.reason.startswith("no usable KVM (") and accel.cpu == kvm.TCG_CPU, accel.reason


def test_the_kvm_estimate_speeds_up_only_the_cpu_bound_part() -> None:
    times = {"cpus": 2, "booted": 20.0, "set_up": 120.0, "done": 1120.0}
    times["cpu"] = {"booted": 30.0, "set_up": 230.0, "done": 1230.0}  # 2 vCPUs busy all of the set-up
    tcg = kvm.Accel("tcg", kvm.TCG_CPU, kvm.TCG_SLOWDOWN, "")
    est = kernel_run.kvm_estimate(times, tcg)
    speedup = kvm.TCG_SLOWDOWN / kvm.KVM_SLOWDOWN
    assert est["setup"] == round(100 / speedup, 1)  # all CPU-bound
    assert est["examples"] == round(500 + 500 / speedup, 1)  # half of it waiting
    assert kernel_run.kvm_estimate(times, kvm.Accel("kvm", "host", 1.2, "")) == {}
    assert kernel_run.kvm_estimate({"booted": 1.0}, tcg) == {}


def test_a_kernel_cell_gets_the_detected_accelerator_and_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str, float]] = []
    tcg = kvm.Accel("tcg", kvm.TCG_CPU, kvm.TCG_SLOWDOWN, "no usable KVM (test)")
    monkeypatch.setattr(matrix, "build_missing", lambda names, rebuild: {})
    monkeypatch.setattr(matrix.kvm, "detect", lambda: tcg)

    def fake(k: kernels.Kernel, accel: kvm.Accel, *, timeout: float, **kw: object) -> results.CellResult:
        seen.append((k.series, accel.name, timeout))
        return results.CellResult(k.result_name, "bookworm", vm=k.series, accel=accel.name)

    monkeypatch.setattr(matrix, "run_kernel", fake)
    matrix.run(matrix.parse(["--kernel", "6.1"]))
    assert seen == [("6.1", "tcg", kernels.GUEST_TIMEOUT)]
