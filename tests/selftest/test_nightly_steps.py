"""The nightly workflow's steps, run here in order as far as they do not need GitHub.

In a fresh `git clone` of this repository (the workflow and tools/ taken from the working tree, so the
versions being edited are the ones run), each step of .github/workflows/nightly.yml runs in turn:

- `run:` steps run as on GitHub: the same script, bash with `-eo pipefail`, the workflow's, job's and
  step's `env:` resolved as GitHub resolves them when the repository's secrets are empty (so
  HARBOR_BASE_URL is empty and the suite checks its embedded reference Harbor), $GITHUB_OUTPUT,
  $GITHUB_ENV and $GITHUB_STEP_SUMMARY as files, and each step's `if:` obeyed. Added to the
  environment: HARBOR_REPEAT=1 (one click per file, to keep it short). Left out: GITHUB_ACTIONS=true,
  which would make scripts/setup.sh install Playwright's Chromium with apt; here it finds the
  machine's Chromium. The clone's .venv points at this checkout's, so nothing is installed.
- `uses:` steps cannot run here and are simulated: checkout (the clone is the checkout) and
  setup-python (the machine's python3) do nothing; the cache restore puts a previous night's history
  where the action would (its `path`); the upload and the cache save check that what they would take
  is there and keep it for the assertions; their keys must let the next night find this one's.

The pre-release workflow's steps run the same way once, with a bad base URL (fast: no browser starts).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.selftest.workflow_runner import JobRun, clean_base_env, load_workflow, run_job

pytestmark = pytest.mark.selftest

REPOSITORY = Path(__file__).resolve().parents[2]
# What this test is about, taken from the working tree rather than the last commit.
UNDER_TEST = (".github/workflows", "tools")
RUN_ID = "4242"
HISTORY_KEYS = {"time", "environment", "target", "build", "version", "file", "count", "min_ms", "median_ms",
                "p95_ms", "max_ms", "strategy", "verdict", "degraded"}
# Slower than any run here, so that this night is not marked degraded against it.
PREVIOUS_NIGHT = [
    {"time": "2026-01-01T03:00:41+00:00", "environment": "default", "target": "https://harbor.example.com",
     "build": "2.0.0-40", "version": "2.0.0", "file": file, "count": 3, "min_ms": 800.0, "median_ms": 900.0,
     "p95_ms": 1500.0, "max_ms": 1600.0, "strategy": "redirect", "verdict": "pass", "degraded": False}
    for file in ("harbor-tools-2.0.0.tar.gz", "harbor-firmware-2.0.0.img", "SHA256SUMS-2.0.0.txt")
]
EXPECTED_STEPS = [
    ("uses", "actions/checkout"),
    ("uses", "actions/setup-python"),
    ("uses", "actions/cache/restore"),
    ("run", "Run the suite against production"),
    ("run", "Job summary"),
    ("uses", "actions/upload-artifact"),
    ("uses", "actions/cache/save"),
    ("run", "Verdict"),
]


def _checkout(tmp_path: Path) -> Path:
    """A fresh clone with the working tree's workflow and tools, and a .venv that is this checkout's."""
    workspace = tmp_path / "workspace"
    subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(workspace)], check=True, timeout=120)
    for relative in UNDER_TEST:
        shutil.copytree(REPOSITORY / relative, workspace / relative, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shared = REPOSITORY / ".venv"
    if not (shared / "bin" / "python").is_file():
        pytest.fail("no .venv in this checkout: run scripts/setup.sh first")
    # scripts/setup.sh reinstalls when .venv's stamp is not the hash of pyproject.toml: the clone's
    # .venv links to this one's contents with a stamp of its own, so it installs nothing (and never
    # repoints this checkout's editable install at the clone).
    venv = workspace / ".venv"
    venv.mkdir()
    for entry in shared.iterdir():
        if entry.name != ".installed-pyproject":
            (venv / entry.name).symlink_to(entry)
    stamp = hashlib.sha256((workspace / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".installed-pyproject").write_text(stamp + "\n")
    return workspace


class _Actions:
    """Stand-ins for the workflow's actions, keeping what they were given and what they would take."""

    def __init__(self, history_path: str) -> None:
        self.history_path = history_path
        self.restored: dict[str, str] = {}
        self.uploaded: set[str] = set()
        self.saved: dict[str, str] = {}
        self.saved_history = ""

    def handlers(self) -> dict[str, Any]:
        return {
            "actions/checkout": self.checkout,
            "actions/setup-python": self.setup_python,
            "actions/cache/restore": self.restore,
            "actions/upload-artifact": self.upload,
            "actions/cache/save": self.save,
        }

    def checkout(self, with_: dict[str, str], workspace: Path) -> str:
        assert with_.get("persist-credentials") == "false"
        return "simulated: the workspace is a fresh clone"

    def setup_python(self, with_: dict[str, str], workspace: Path) -> str:
        assert with_["python-version"] == "3.11"
        return "simulated: the machine's python3"

    def restore(self, with_: dict[str, str], workspace: Path) -> str:
        assert with_["path"] == self.history_path, "the cache must restore the file the suite appends to"
        self.restored = with_
        target = workspace / with_["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(json.dumps(record) + "\n" for record in PREVIOUS_NIGHT), encoding="utf-8")
        return f"simulated: the previous night's history put at {with_['path']}"

    def upload(self, with_: dict[str, str], workspace: Path) -> str:
        folder = workspace / with_["path"]
        assert folder.is_dir(), f"nothing to upload at {with_['path']}"
        self.uploaded = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
        return f"simulated: would upload {sorted(self.uploaded)}"

    def save(self, with_: dict[str, str], workspace: Path) -> str:
        assert with_["path"] == self.history_path
        self.saved = with_
        self.saved_history = (workspace / with_["path"]).read_text(encoding="utf-8")
        return f"simulated: would save {with_['path']} as {with_['key']}"


def _run_workflow(tmp_path: Path, name: str, secrets: dict[str, str],
                  inputs: dict[str, Any] | None = None) -> tuple[JobRun, _Actions, Path]:
    workspace = _checkout(tmp_path)
    path = workspace / ".github" / "workflows" / name
    workflow = load_workflow(path)
    (job_id,) = workflow["jobs"]
    actions = _Actions((workflow.get("env") or {}).get("HARBOR_HISTORY_PATH", ""))
    run = run_job(
        path, job_id, workspace,
        secrets=secrets,
        inputs=inputs,
        github={"run_id": RUN_ID, "run_attempt": "1", "workspace": str(workspace)},
        base_env=clean_base_env({"HARBOR_REPEAT": "1", "GITHUB_RUN_ID": RUN_ID, "GITHUB_RUN_ATTEMPT": "1",
                                 "RUNNER_TEMP": str(tmp_path / "runner-temp")}),
        actions=actions.handlers(),
        scratch=tmp_path / "github",
    )
    return run, actions, workspace


def _run_nightly(tmp_path: Path, secrets: dict[str, str]) -> tuple[JobRun, _Actions, Path]:
    return _run_workflow(tmp_path, "nightly.yml", secrets)


def _assert_order(run: JobRun) -> None:
    assert [("uses" if step.uses else "run", step.uses or step.name) for step in run.steps] == EXPECTED_STEPS, run.describe()
    assert all(step.ran for step in run.steps), run.describe()


def _assert_the_next_night_finds_this_history(actions: _Actions) -> None:
    prefixes = actions.restored["restore-keys"].split()
    assert RUN_ID in actions.saved["key"], "each night must save under a key of its own"
    assert any(actions.saved["key"].startswith(prefix) for prefix in prefixes), (actions.saved, prefixes)


def test_a_healthy_night_runs_every_step_green_and_keeps_the_history(tmp_path: Path) -> None:
    run, actions, workspace = _run_nightly(tmp_path, secrets={})
    _assert_order(run)
    assert [step.exit_code for step in run.steps] == [0] * len(EXPECTED_STEPS), run.describe()
    assert run.step("Run the suite against production").outputs == {"code": "0"}, run.describe()

    first = run.summary.splitlines()[0]
    assert "Harbor checks passed" in first, run.summary
    assert "embedded reference Harbor" in run.summary  # the secrets were empty, and the summary says so
    assert "| file | strategy | median | p95 | max | verdict | degraded |" in run.summary
    assert run.step("Verdict").stdout.startswith("::notice title=Harbor checks passed"), run.describe()

    reports = workspace / "reports"
    assert (reports / "report.html").is_file() and (reports / "junit.xml").is_file()
    downloads = json.loads((reports / "downloads.json").read_text(encoding="utf-8"))
    assert downloads["run_error"] is None and downloads["downloads"]
    assert {"report.html", "downloads.json", "junit.xml"} <= actions.uploaded
    _assert_the_next_night_finds_this_history(actions)

    records = [json.loads(line) for line in actions.saved_history.splitlines() if line.strip()]
    assert records[: len(PREVIOUS_NIGHT)] == PREVIOUS_NIGHT, "the previous nights' records must be kept"
    new = records[len(PREVIOUS_NIGHT):]
    assert sorted(record["file"] for record in new) == sorted(row["file"] for row in downloads["downloads"])
    for record in new:
        assert HISTORY_KEYS <= set(record), record
        assert record["environment"] == "default" and record["verdict"] == "pass" and record["count"] == 1


def test_a_bad_setting_ends_the_night_red_as_could_not_check(tmp_path: Path) -> None:
    run, actions, workspace = _run_nightly(tmp_path, secrets={"HARBOR_BASE_URL": "not-a-url"})
    _assert_order(run)
    # The suite's step keeps its exit code for the verdict; only the last step fails, with its meaning.
    assert [step.exit_code for step in run.steps] == [0] * (len(EXPECTED_STEPS) - 1) + [2], run.describe()
    assert run.step("Run the suite against production").outputs == {"code": "1"}, run.describe()
    problem = "HARBOR_BASE_URL must be an http(s) URL such as https://harbor.example.com, got 'not-a-url'"

    first = run.summary.splitlines()[0]
    assert "The run could not check Harbor" in first and problem in first, run.summary
    verdict = run.step("Verdict").stdout
    assert verdict.startswith("::error title=The run could not check Harbor (COULD_NOT_CHECK%2C exit 2)::"), verdict
    assert problem in verdict

    assert {"report.html", "downloads.json"} <= actions.uploaded
    assert json.loads((workspace / "reports" / "downloads.json").read_text(encoding="utf-8"))["run_error"] == problem
    # A night that could not check loses nothing of the history.
    records = [json.loads(line) for line in actions.saved_history.splitlines() if line.strip()]
    assert records[: len(PREVIOUS_NIGHT)] == PREVIOUS_NIGHT
    _assert_the_next_night_finds_this_history(actions)


def test_pre_release_with_a_bad_base_url_ends_red_as_could_not_check(tmp_path: Path) -> None:
    # The pre-release workflow's steps the same way (no history there): its inputs reach the suite.
    inputs = {"base_url": "not-a-url", "expected_build": "2.0.0-1", "version": "2.0.0", "full_download": False}
    run, actions, workspace = _run_workflow(tmp_path, "pre-release.yml", secrets={}, inputs=inputs)
    assert [("uses" if step.uses else "run", step.uses or step.name) for step in run.steps] == [
        ("uses", "actions/checkout"),
        ("uses", "actions/setup-python"),
        ("run", "Run the suite against the pre-release deployment"),
        ("run", "Job summary"),
        ("uses", "actions/upload-artifact"),
        ("run", "Verdict"),
    ], run.describe()
    assert [step.exit_code for step in run.steps] == [0, 0, 0, 0, 0, 2], run.describe()
    assert run.step("Run the suite against the pre-release deployment").outputs == {"code": "1"}
    assert "The run could not check Harbor" in run.summary.splitlines()[0] and "'not-a-url'" in run.summary
    assert run.step("Verdict").stdout.startswith("::error title=The run could not check Harbor")
    assert {"report.html", "downloads.json"} <= actions.uploaded
