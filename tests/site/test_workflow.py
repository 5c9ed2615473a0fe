"""The GitHub Actions workflow: valid for GitHub, and doing what the README promises.

It cannot run here; check-jsonschema validates it offline against its vendored copy of
GitHub's workflow schema, and the assertions below read what its jobs do.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.site.builtsite import ROOT

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
    builds = [s for _, _, s in all_steps if "mkdocs build" in s.get("run", "")]
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
