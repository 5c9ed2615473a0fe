"""The lab machine's files (lab/cloud-init.yaml, lab/lima.yaml) and the page that gives them out.

No VM boots here; what can be checked without one is: the user-data against cloud-init's own
schema (Debian's `cloud-init` package: `.ci/run` installs it), the Lima template against the keys
Lima's own template format defines, the guards both scripts have for a missing course URL (run
for real), and that the page says what the files do.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bpfhol import config
from devtools import toolchains

ROOT = config.ROOT
USER_DATA = ROOT / "lab" / "cloud-init.yaml"
LIMA = ROOT / "lab" / "lima.yaml"
PAGE = ROOT / "docs" / "lab-machine.md"
PLACEHOLDER = "@COURSE_GIT@"
URL = "https://example.org/course.git"

# Lima's template keys, from its Go types (the loader refuses what they do not name): the yaml
# tags of LimaYAML, Image/File, Provision/ProvisionData, Probe and Containerd, and the values of
# Arch, ProvisionMode and ProbeMode, in lima-vm/lima pkg/limatype/lima_yaml.go at commit
# 183a60d721bf9cd969f366301bf90710b8c6a28e (2026-08-21). templates/default.yaml documents each.
LIMA_TOP = {
    "base", "minimumLimaVersion", "vmType", "vmOpts", "os", "arch", "images", "cpuType", "cpus", "memory", "disk",
    "additionalDisks", "mounts", "mountTypesUnsupported", "mountType", "mountInotify", "ssh", "firmware", "audio",
    "video", "provision", "upgradePackages", "containerd", "guestInstallPrefix", "probes", "portForwards",
    "copyToHost", "message", "networks", "env", "param", "dns", "hostResolver", "propagateProxyEnv", "caCerts",
    "rosetta", "plain", "timezone", "nestedVirtualization", "user", "tpm", "osOpts",
}  # fmt: skip
LIMA_IMAGE = {"location", "arch", "digest", "kernel", "initrd", "variant", "archVariant"}
LIMA_PROVISION = {
    "mode", "skipDefaultDependencyResolution", "script", "file", "playbook", "expression", "format",
    "content", "overwrite", "owner", "path", "permissions",
}  # fmt: skip
LIMA_PROBE = {"mode", "description", "script", "file", "hint"}
LIMA_CONTAINERD = {"system", "user", "archives"}
LIMA_ARCH = {"x86_64", "aarch64", "armv7l", "ppc64le", "riscv64", "s390x"}
LIMA_PROVISION_MODE = {"system", "user", "boot", "dependency", "ansible", "data", "yq"}
LIMA_PROBE_MODE = {"readiness"}


def cloud_init() -> str:
    found = shutil.which("cloud-init")
    if found is None:
        pytest.skip("cloud-init is not installed (apt-get install cloud-init; .ci/run installs it)")
    return found


def schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [cloud_init(), "schema", "--config-file", str(path)], capture_output=True, text=True, timeout=120
    )


def rendered(tmp_path: Path) -> Path:
    """The user-data as the page's sed line makes it."""
    out = tmp_path / "user-data.yaml"
    out.write_text(USER_DATA.read_text().replace(PLACEHOLDER, URL))
    return out


def lima() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(LIMA.read_text())
    return data


def user_data_script() -> tuple[list[str], str]:
    """(the runcmd's argv, the set-up script it runs) of the user-data."""
    (argv,) = yaml.safe_load(USER_DATA.read_text())["runcmd"]
    return argv, argv[2]


def lima_script() -> str:
    (provision,) = lima()["provision"]
    script: str = provision["script"]
    return script


def setup_line(script: str) -> str:
    (line,) = [ln.strip() for ln in script.splitlines() if "./dev " in ln]
    return line


@pytest.mark.parametrize("make", [lambda tmp: USER_DATA, rendered], ids=["as-shipped", "url-filled-in"])
def test_user_data_is_valid_cloud_config(tmp_path: Path, make: Any) -> None:
    p = schema(make(tmp_path))
    assert p.returncode == 0 and "Valid cloud-config" in p.stdout, p.stdout + p.stderr


def test_schema_check_refuses_broken_user_data(tmp_path: Path) -> None:
    """The check above can fail: runcmd that is not a list is refused."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(USER_DATA.read_text().replace("runcmd:\n", "runcmd: 5\nold_runcmd:\n"))
    p = schema(bad)
    assert p.returncode != 0 and "runcmd" in p.stdout + p.stderr, p.stdout + p.stderr


def test_user_data_keys_are_cloud_init_modules_keys() -> None:
    """cloud-init's schema lets unknown top-level keys through; its modules' keys are listed in it."""
    cloud_init()
    code = "import json; from cloudinit.config.schema import get_schema; s = get_schema()\n"
    code += "print(json.dumps(sorted({k for d in s['$defs'].values() for k in d.get('properties', {})})))"
    p = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    known = set(json.loads(p.stdout))
    used = set(yaml.safe_load(USER_DATA.read_text()))
    assert used <= known, f"not cloud-init keys: {sorted(used - known)}"


def test_lima_template_uses_only_lima_keys() -> None:
    t = lima()
    assert set(t) <= LIMA_TOP, sorted(set(t) - LIMA_TOP)
    for image in t["images"]:
        assert set(image) <= LIMA_IMAGE and image["arch"] in LIMA_ARCH, image
    for step in t["provision"]:
        assert set(step) <= LIMA_PROVISION and step["mode"] in LIMA_PROVISION_MODE, step
    for probe in t["probes"]:
        assert set(probe) <= LIMA_PROBE and probe["mode"] in LIMA_PROBE_MODE, probe
        assert probe["script"].startswith("#!"), "Lima runs a probe only if it starts with #!"
    assert set(t["containerd"]) <= LIMA_CONTAINERD
    assert set(t["param"]) == {"COURSE_GIT"} and "$PARAM_COURSE_GIT" in lima_script()


def test_both_files_boot_debian_13_and_run_the_same_setup() -> None:
    images = [i["location"] for i in lima()["images"]]
    assert images and all(re.search(r"/trixie/.*debian-13-generic-", i) for i in images), images
    assert setup_line(user_data_script()[1]) == setup_line(lima_script()) == "BPFHOL_BROWSER=no ./dev setup"


def test_user_data_refuses_to_run_without_the_course_url(tmp_path: Path) -> None:
    argv, _ = user_data_script()
    assert argv[-1] == PLACEHOLDER
    p = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and p.stderr.strip() == f"bpfhol: {PLACEHOLDER} was not replaced by the course's git URL"
    assert list(tmp_path.iterdir()) == []


def test_lima_provision_refuses_to_run_without_the_course_url(tmp_path: Path) -> None:
    script = tmp_path / "provision.sh"
    script.write_text(lima_script())
    p = subprocess.run(["bash", str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=30, env={})
    assert p.returncode == 1 and p.stderr.startswith("bpfhol: no course URL: limactl start --set"), p.stderr


def test_page_gives_the_files_sizes_and_commands() -> None:
    page = PAGE.read_text()
    t = lima()
    size = f"{t['cpus']} CPUs, {t['memory'].removesuffix('iB')} of memory, {t['disk'].removesuffix('iB')} of disk"
    assert size in page, f"the page does not state the template's size: {size}"
    mem, disk = t["memory"].removesuffix("iB"), t["disk"].removesuffix("iB")
    assert f"--cpus {t['cpus']} --memory {mem} --disk {disk}" in page, "Multipass's size differs from Lima's"
    for needed in ("limactl start --name=bpfhol", "multipass launch", "lab/cloud-init.yaml", "bpfhol doctor --json"):
        assert needed in page, needed
    # The page fills in what the files ask for: Lima's parameter, the user-data's placeholder.
    assert f".param.{next(iter(t['param']))} = " in page
    assert page.count(f"|{PLACEHOLDER}|") == 1 and page.count(f"'{PLACEHOLDER}'") == 1  # sed, PowerShell
    images = {i["location"] for i in t["images"] if i["arch"] == "x86_64"}
    assert set(re.findall(r"multipass launch (\S+)", page)) == images, "Multipass and Lima boot different images"


def test_readme_platforms_line_states_what_tested_on_proves() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    start = readme.index("**Platforms proven**")
    line = readme[start : readme.index("Ubuntu", start)]
    built = readme[readme.index("Ubuntu", start) : readme.index("No such machine", start)]
    rows = json.loads((ROOT / "docs" / "tested-on.json").read_text())["toolchains"]
    me = "::" + test_readme_platforms_line_states_what_tested_on_proves.__name__
    for row in rows:
        # this test's own failure in a row was about the README (or the result file) of that run, not the toolchain
        failed = [f for f in row.get("failures", []) if not f.endswith(me)]
        if build := toolchains.BUILT.get(row["name"]):  # another distribution's versions, built on Debian
            assert f"{build.distro}'s (bpftrace {row['bpftrace']}, BCC {row['bcc']})" in built, row["name"]
            bad = sum(e["outcome"] in ("failed", "error") for e in row["examples"])
            said = f"{bad} of the {len(row['examples'])} examples fail" if bad else "the whole suite passes"
            assert said in built, f"{row['name']}: the README must say {said!r}"
            assert bad or not failed, f"{row['name']} has failed tests: the whole suite did not pass"
            continue
        assert not failed, f"{row['name']} has failures: it cannot be called proven"
        release = "unstable" if row["suite"] == "sid" else f"Debian {row['debian'].split('.')[0]}"
        if "vm" in row:
            assert f"{row['sources']['series']} ({release})" in line, row["name"]
        else:
            assert f"{release} (bpftrace {row['bpftrace']}, BCC {row['bcc']})" in line, row["name"]
            assert "Linux " + ".".join(row["kernel"].split(".")[:2]) in line, row["kernel"]
    arches = {row["arch"] for row in rows}
    assert f"{', '.join(sorted(arches))} only" in line
