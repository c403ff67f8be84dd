"""Runs the e2e suite as a user would (a pytest process of its own) and reads what it wrote."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from download_probe import parse_sentences

REPOSITORY = Path(__file__).resolve().parents[2]
SUITE_TIMEOUT_S = 600


@dataclass(frozen=True)
class TestOutcome:
    name: str
    outcome: str  # "passed", "failed", "error" or "skipped"
    message: str

    @property
    def causes(self) -> set[tuple[str, str]]:
        """(subject, code) pairs named in the failure message."""
        return {(problem.subject, problem.code) for problem in parse_sentences(self.message)}


@dataclass
class SuiteRun:
    exit_code: int
    output: str
    report_dir: Path
    outcomes: dict[str, TestOutcome] = field(default_factory=dict)
    downloads: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> dict[str, TestOutcome]:
        return {name: o for name, o in self.outcomes.items() if o.outcome in ("failed", "error")}

    def describe(self) -> str:
        lines = [f"exit code {self.exit_code}"]
        for name, outcome in sorted(self.outcomes.items()):
            lines.append(f"  {outcome.outcome:<7} {name} {sorted(outcome.causes)}")
        return "\n".join(lines)


def run_suite(
    report_dir: Path,
    *,
    faults: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    tests: str = "tests/e2e",
) -> SuiteRun:
    """Run the suite against an embedded reference Harbor started with `faults`; reports go to report_dir."""
    report_dir.mkdir(parents=True, exist_ok=True)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("HARBOR_") and k != "PYTEST_ADDOPTS"}
    # A .env (a developer's real deployment) must not replace the reference Harbor under test.
    # One click per file unless a test asks for more: a fault shows in every click, and the matrix
    # runs the suite once per fault.
    child_env.update(
        {
            "HARBOR_REFERENCE_FAULTS": ",".join(faults),
            "HARBOR_IGNORE_DOTENV": "1",
            "HARBOR_REPEAT": "1",
            # Its own history: a faulty Harbor's figures must not reach the developer's reports/history.jsonl.
            "HARBOR_HISTORY_PATH": str(report_dir / "history.jsonl"),
            **(env or {}),
        }
    )
    command = [
        sys.executable, "-m", "pytest", tests, "-p", "no:cacheprovider", "-q",
        f"--html={report_dir / 'report.html'}", f"--junitxml={report_dir / 'junit.xml'}",
        f"--downloads-json={report_dir / 'downloads.json'}", *args,
    ]
    completed = subprocess.run(
        command, cwd=REPOSITORY, env=child_env, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S
    )
    run = SuiteRun(completed.returncode, completed.stdout + completed.stderr, report_dir)
    junit = report_dir / "junit.xml"
    if junit.is_file():
        run.outcomes = _read_junit(junit)
    downloads = report_dir / "downloads.json"
    if downloads.is_file():
        run.downloads = json.loads(downloads.read_text(encoding="utf-8"))
    return run


def _read_junit(path: Path) -> dict[str, TestOutcome]:
    outcomes = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = re.sub(r"\[.*\]$", "", case.get("name", ""))
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = "\n".join(filter(None, [element.get("message", ""), element.text or ""]))
                break
        key = f"{module}::{name}" if module else name
        # A test can have a call failure and a teardown error: keep the worst.
        if key not in outcomes or outcomes[key].outcome == "passed":
            outcomes[key] = TestOutcome(key, outcome, message)
    return outcomes
