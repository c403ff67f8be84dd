"""The nightly and pre-release workflows hand settings to the suite the safe way: secrets and inputs
only as environment variables of the step that runs it, actions pinned by commit, least permissions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.selftest.workflow_runner import _Context, load_workflow

WORKFLOWS = Path(__file__).resolve().parents[3] / ".github" / "workflows"
NIGHTLY, PRE_RELEASE = WORKFLOWS / "nightly.yml", WORKFLOWS / "pre-release.yml"
E2E_COMMAND = "scripts/e2e --junitxml=reports/junit.xml"


def _steps(path: Path) -> list[dict[str, Any]]:
    (job,) = load_workflow(path)["jobs"].values()
    return job["steps"]


def _e2e_step(path: Path) -> dict[str, Any]:
    (step,) = [step for step in _steps(path) if E2E_COMMAND in step.get("run", "")]
    return step


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda path: path.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    for job in load_workflow(path)["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name')}: pass it through env:"


@pytest.mark.parametrize("path", [NIGHTLY, PRE_RELEASE], ids=lambda path: path.name)
def test_secrets_reach_only_the_suites_step(path: Path) -> None:
    workflow = load_workflow(path)
    (job,) = workflow["jobs"].values()
    assert "secrets." not in str(workflow.get("env")) and "secrets." not in str(job.get("env"))
    e2e = _e2e_step(path)
    for step in job["steps"]:
        if step != e2e:
            assert "secrets." not in str(step), f"{path.name}: {step.get('name') or step.get('uses')}"
    assert set(_e2e_step(path)["env"]) >= {"HARBOR_BASE_URL", "HARBOR_USERNAME", "HARBOR_PASSWORD"}


@pytest.mark.parametrize("path", [NIGHTLY, PRE_RELEASE], ids=lambda path: path.name)
def test_least_permissions_pinned_actions_and_a_timeout(path: Path) -> None:
    workflow = load_workflow(path)
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "permissions" not in job and job["timeout-minutes"] <= 120
    assert _e2e_step(path)["timeout-minutes"] < job["timeout-minutes"], "leave time for the summary and upload"
    for line in path.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            assert re.search(r"uses: [\w./-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+$", line), line


def test_nightly_is_scheduled_and_carries_its_history() -> None:
    workflow = load_workflow(NIGHTLY)
    triggers = workflow["on"]
    assert triggers["schedule"] and "workflow_dispatch" in triggers
    steps = {step.get("uses", "").split("@")[0]: step for step in _steps(NIGHTLY) if "uses" in step}
    restore, save = steps["actions/cache/restore"]["with"], steps["actions/cache/save"]["with"]
    assert restore["path"] == save["path"] == workflow["env"]["HARBOR_HISTORY_PATH"]
    assert "github.run_id" in save["key"]
    (prefix,) = restore["restore-keys"].split()
    assert save["key"].startswith(prefix)
    assert steps["actions/upload-artifact"]["if"] == "always()"


@pytest.mark.parametrize("full_download, expected", [(True, "1"), (False, "0")])
def test_pre_release_inputs_become_the_suites_settings(full_download: bool, expected: str) -> None:
    inputs = load_workflow(PRE_RELEASE)["on"]["workflow_dispatch"]["inputs"]
    assert inputs["base_url"]["required"] is True
    assert inputs["version"]["default"] == "2.0.0"
    assert inputs["full_download"] == {**inputs["full_download"], "type": "boolean", "default": False}
    given = {"base_url": "https://rc.example.com", "expected_build": "2.1.0-17", "version": "2.1.0",
             "full_download": full_download}
    context = _Context(secrets={"HARBOR_USERNAME": "qa", "HARBOR_PASSWORD": "pw"}, github={}, inputs=given,
                       workspace=WORKFLOWS)
    env = {key: context.substitute(str(value)) for key, value in _e2e_step(PRE_RELEASE)["env"].items()}
    assert env == {
        "HARBOR_BASE_URL": "https://rc.example.com",
        "HARBOR_EXPECTED_BUILD": "2.1.0-17",
        "HARBOR_VERSION": "2.1.0",
        "HARBOR_FULL_DOWNLOAD": expected,
        "HARBOR_USERNAME": "qa",
        "HARBOR_PASSWORD": "pw",
    }


def test_both_workflows_end_with_the_same_verdict_step() -> None:
    nightly, pre_release = _steps(NIGHTLY)[-1], _steps(PRE_RELEASE)[-1]
    assert nightly["name"] == pre_release["name"] == "Verdict"
    assert nightly["run"] == pre_release["run"] and nightly["if"] == "always()"
    assert "--annotate" in nightly["run"]
