"""Runs one job of a GitHub workflow here, step by step, as far as it does not need GitHub.

The `run:` steps run as GitHub runs them (the same script text, with bash as `shell: bash` does:
`bash --noprofile --norc -eo pipefail`), in order, with the workflow's, the job's and the step's
`env:` resolved the way GitHub resolves them (`${{ secrets.X }}` is the given secret or empty,
`${{ steps.ID.outputs.X }}` is what an earlier step wrote to $GITHUB_OUTPUT, ...), the step's `if:`
evaluated (`always()`, `success()`, `!cancelled()`, `hashFiles(...)`), and $GITHUB_OUTPUT,
$GITHUB_ENV and $GITHUB_STEP_SUMMARY as files. A `uses:` step cannot run here: the caller handles
each action it expects with a function that simulates what the action does to the workspace (e.g.
puts a restored file in place) and checks its inputs; an action without a handler is an error, so
a new action in the workflow makes the test say so.

Only the expression forms the project's workflows use are supported; anything else is an error.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ruamel.yaml import YAML

BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # GitHub's `shell: bash`
STEP_TIMEOUT_S = 900


class UnsupportedWorkflow(Exception):
    """The workflow uses something this runner does not know how to do here."""


@dataclass
class StepResult:
    index: int
    name: str
    uses: str | None  # the action (without its ref) for a `uses:` step
    ran: bool
    exit_code: int | None = None  # a `run:` step's; 0 for a simulated action, None when it did not run
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    note: str = ""  # what a simulated action did, or why the step did not run

    @property
    def failed(self) -> bool:
        return self.ran and self.exit_code not in (0, None)

    def describe(self) -> str:
        state = f"exit {self.exit_code}" if self.ran else "not run"
        return f"{self.index}. {self.name} [{'uses ' + self.uses if self.uses else 'run'}] {state} {self.note}".strip()


@dataclass
class JobRun:
    steps: list[StepResult]
    summary: str  # the job summary: every step's $GITHUB_STEP_SUMMARY, in order

    @property
    def failed(self) -> bool:
        return any(step.failed for step in self.steps)

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)

    def describe(self) -> str:
        lines = [step.describe() for step in self.steps]
        for step in self.steps:
            if step.ran and step.uses is None:
                lines.append(f"--- {step.name}: stdout ---\n{step.stdout[-3000:]}\n--- stderr ---\n{step.stderr[-3000:]}")
        return "\n".join(lines)


# An action's stand-in: (the step's resolved `with:`, the workspace) -> a note on what it did here.
ActionHandler = Callable[[dict[str, str], Path], str]


def load_workflow(path: Path) -> dict[str, Any]:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def action_name(uses: str) -> str:
    return uses.split("@", 1)[0]


def run_job(
    workflow_path: Path,
    job_id: str,
    workspace: Path,
    *,
    secrets: Mapping[str, str],
    github: Mapping[str, str],
    inputs: Mapping[str, Any] | None = None,
    base_env: Mapping[str, str],
    actions: Mapping[str, ActionHandler],
    scratch: Path,
) -> JobRun:
    """Run `job_id`'s steps in `workspace` (a checkout of the repository); `scratch` holds the GITHUB_* files."""
    workflow = load_workflow(workflow_path)
    job = workflow["jobs"][job_id]
    shell = ((job.get("defaults") or workflow.get("defaults") or {}).get("run") or {}).get("shell", "bash")
    if shell != "bash":
        raise UnsupportedWorkflow(f"shell {shell!r}: only bash is run here")
    scratch.mkdir(parents=True, exist_ok=True)
    github_env_file = scratch / "github_env"
    github_env_file.write_text("")
    context = _Context(secrets=dict(secrets), github=dict(github), inputs=dict(inputs or {}), workspace=workspace)
    results: list[StepResult] = []
    summaries: list[str] = []
    for index, step in enumerate(job["steps"], start=1):
        uses = step.get("uses")
        name = step.get("name") or (action_name(uses) if uses else step["run"].splitlines()[0])
        result = StepResult(index, name, action_name(uses) if uses else None, ran=False)
        results.append(result)
        context.env = {}
        # GitHub resolves the step's env from the workflow's, the job's and the step's, in that order.
        for level in (workflow.get("env"), job.get("env"), step.get("env")):
            for key, value in (level or {}).items():
                context.env[str(key)] = context.substitute(_text(value))
        if not context.condition(step.get("if")):
            result.note = f"skipped by its condition: {step.get('if')}"
            continue
        result.ran = True
        if uses:
            handler = actions.get(action_name(uses))
            if handler is None:
                raise UnsupportedWorkflow(f"step {index} uses {uses}: no stand-in for this action here")
            with_ = {str(key): context.substitute(_text(value)) for key, value in (step.get("with") or {}).items()}
            result.note = handler(with_, workspace)
            result.exit_code = 0
            continue
        output_file, summary_file = scratch / f"output_{index}", scratch / f"summary_{index}"
        output_file.write_text("")
        summary_file.write_text("")
        script = scratch / f"step_{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {
            **base_env,
            **_read_key_values(github_env_file),
            **context.env,
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_ENV": str(github_env_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "GITHUB_WORKSPACE": str(workspace),
        }
        working_directory = workspace / step.get("working-directory", ".")
        timeout = float(step.get("timeout-minutes", STEP_TIMEOUT_S / 60)) * 60
        completed = subprocess.run(
            [*BASH, str(script)], cwd=working_directory, env=env, capture_output=True, text=True,
            timeout=min(timeout, STEP_TIMEOUT_S),
        )
        result.exit_code, result.stdout, result.stderr = completed.returncode, completed.stdout, completed.stderr
        result.outputs = _read_key_values(output_file)
        if "id" in step:
            context.outputs[step["id"]] = result.outputs
        summaries.append(summary_file.read_text(encoding="utf-8"))
        if result.failed and not step.get("continue-on-error"):
            context.failed = True
    return JobRun(results, "".join(summaries))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_key_values(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT / $GITHUB_ENV: `name=value` lines and `name<<DELIMITER` blocks."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            while index < len(lines) and lines[index] != delimiter:
                block.append(lines[index])
                index += 1
            index += 1
            values[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


@dataclass
class _Context:
    secrets: dict[str, str]
    github: dict[str, str]
    inputs: dict[str, Any]
    workspace: Path
    env: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    failed: bool = False

    _EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)

    def substitute(self, value: str) -> str:
        return self._EXPRESSION.sub(lambda match: _text(self.evaluate(match.group(1))), value)

    def condition(self, value: Any) -> bool:
        """A step's `if:` (absent: `success()`); without a status function GitHub adds `success() &&`."""
        if value is None:
            return not self.failed
        if isinstance(value, bool):
            return value and not self.failed
        expression = str(value).strip()
        match = re.fullmatch(r"\$\{\{(.*)\}\}", expression, re.S)
        if match:
            expression = match.group(1)
        result = bool(self.evaluate(expression))
        if not re.search(r"\b(always|success|failure|cancelled)\(\)", expression):
            result = result and not self.failed
        return result

    def evaluate(self, expression: str) -> Any:
        """The expression forms the workflows use, translated to Python and evaluated on the contexts."""
        source = expression.strip()
        strings: list[str] = []

        def keep_string(match: re.Match[str]) -> str:
            strings.append(match.group(1).replace("''", "'"))
            return f"__s{len(strings) - 1}"

        source = re.sub(r"'((?:[^']|'')*)'", keep_string, source)
        if re.search(r"[\[\]\"`;]|\bimport\b|__(?!s\d)", source):
            raise UnsupportedWorkflow(f"expression not supported here: {expression!r}")
        source = source.replace("&&", " and ").replace("||", " or ")
        source = re.sub(r"!(?!=)", " not ", source)
        source = re.sub(r"\bsteps\.([\w-]+)\.outputs\.([\w-]+)", lambda m: repr(self.outputs.get(m.group(1), {}).get(m.group(2), "")), source)
        for name, values in (("secrets", self.secrets), ("github", self.github), ("env", self.env), ("inputs", self.inputs)):
            source = re.sub(rf"\b{name}\.([\w-]+)", lambda m, values=values: repr(values.get(m.group(1), "")), source)
        source = re.sub(r"__s(\d+)", lambda m: repr(strings[int(m.group(1))]), source)
        namespace = {
            "__builtins__": {},
            "always": lambda: True,
            "cancelled": lambda: False,
            "success": lambda: not self.failed,
            "failure": lambda: self.failed,
            "hashFiles": self.hash_files,
            "true": True,
            "false": False,
        }
        try:
            return eval(source, namespace)  # noqa: S307 - the project's own workflow, reduced to literals above
        except Exception as error:
            raise UnsupportedWorkflow(f"expression not supported here: {expression!r} ({error})") from error

    def hash_files(self, *patterns: str) -> str:
        """Like GitHub's hashFiles: '' when no file matches, else a digest of the matching files."""
        digest, matched = hashlib.sha256(), False
        for pattern in patterns:
            for path in sorted(self.workspace.glob(pattern)):
                if path.is_file():
                    digest.update(path.read_bytes())
                    matched = True
        return digest.hexdigest() if matched else ""


def clean_base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A runner-like environment: the machine's PATH (without a virtual environment's), HOME and locale,
    CI=true; none of the developer's HARBOR_* settings or pytest options."""
    path = os.environ.get("PATH", "")
    virtual_env = os.environ.get("VIRTUAL_ENV")
    if virtual_env:
        path = os.pathsep.join(p for p in path.split(os.pathsep) if not p.startswith(virtual_env))
    env = {"PATH": path, "CI": "true"}
    for key in ("HOME", "LANG", "LC_ALL", "TMPDIR", "PLAYWRIGHT_BROWSERS_PATH"):
        if key in os.environ:
            env[key] = os.environ[key]
    env.update(extra or {})
    return env
