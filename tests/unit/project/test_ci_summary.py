"""tools/ci_summary.py: the CI verdict tells a product failure from a run that could not check Harbor
and from broken tooling, and the job summary says what failed where. Hand-written downloads.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools import ci_summary
from tools.ci_summary import Outcome

REPOSITORY = Path(__file__).resolve().parents[3]


def _download(file: str, *, verdict: str = "pass", median: float = 40.0, p95: float = 60.0, maximum: float = 70.0,
              strategy: str = "redirect", problems: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "file": file, "file_id": "f-" + file, "version": "2.0.0", "size_bytes": 288, "strategy": strategy,
        "token_seen": True, "token_accepted": True, "download_start_ms": median,
        "latency": {"count": 3, "min_ms": median - 5, "median_ms": median, "p95_ms": p95, "max_ms": maximum},
        "verdict": verdict, "problems": problems or [], "median_click": 0, "clicks": [], **extra,
    }


def _downloads_json(downloads: list[dict[str, Any]], *, causes: list[dict[str, str]] | None = None,
                    run_error: str | None = None, environment: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "written_at": "2026-12-03T03:04:05+0000",
        "environment": {
            "Harbor target": "https://harbor.example.com",
            "Harbor build": "2.0.0-41",
            "Version checked": "2.0.0",
            "Browser": "chromium 150",
        } if environment is None else environment,
        "budget_ms": 2000.0,
        "run_error": run_error,
        "causes": causes or [],
        "downloads": downloads,
        "full_downloads": [],
    }


HEALTHY = _downloads_json([_download("harbor-tools-2.0.0.tar.gz"), _download("SHA256SUMS-2.0.0.txt", median=30, p95=35)])
TOKEN_MISSING = {
    "code": "TOKEN_MISSING", "subject": "SHA256SUMS-2.0.0.txt",
    "message": "download request carried no token - 401 from GET /api/files/f-200-sums/download",
}
FAILED = _downloads_json(
    [_download("harbor-tools-2.0.0.tar.gz"),
     _download("SHA256SUMS-2.0.0.txt", verdict="fail", problems=[dict(TOKEN_MISSING)])],
    causes=[{"test": "test_click_starts_download_within_budget", **TOKEN_MISSING},
            {"test": "test_frontend_is_fresh", "code": "STALE_FRONTEND", "subject": "dashboard",
             "message": "the page runs build 2.0.0-40 | the API 2.0.0-41"}],
)
SETUP_ERROR = "wrong credentials: HARBOR_USERNAME / HARBOR_PASSWORD were refused by https://harbor.example.com (401)"
COULD_NOT = _downloads_json([], run_error=SETUP_ERROR, environment={})


def _summarise(tmp_path: Path, data: Any, exit_code: str | None, *extra: str) -> tuple[int, str]:
    path = tmp_path / "downloads.json"
    if data is not None:
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    argv = ["--downloads", str(path), *extra]
    if exit_code is not None:
        argv += ["--exit-code", exit_code]
    return _capture(argv)


def _capture(argv: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = ci_summary.main(argv)
    return code, out.getvalue()


def test_exit_codes_are_documented_and_distinct() -> None:
    assert [int(outcome) for outcome in Outcome] == [0, 1, 2, 3]
    for outcome in Outcome:
        assert f"{int(outcome)}  {outcome.name}" in ci_summary.__doc__


def test_a_passing_run_says_pass_first_and_lists_the_files(tmp_path: Path) -> None:
    code, markdown = _summarise(tmp_path, HEALTHY, "0")
    assert code == Outcome.PASS
    first = markdown.splitlines()[0]
    assert first.startswith("## ") and "Harbor checks passed" in first and "2 files checked" in first
    assert "| `harbor-tools-2.0.0.tar.gz` | redirect | 40 ms | 60 ms | 70 ms | pass | - |" in markdown
    assert "| `SHA256SUMS-2.0.0.txt` | redirect | 30 ms | 35 ms | 70 ms | pass | - |" in markdown
    assert "Harbor build: 2.0.0-41" in markdown
    assert "### Causes" not in markdown
    # The target URL is a repository secret in the nightly: never in the summary.
    assert "harbor.example.com" not in markdown


def test_a_run_against_the_embedded_harbor_says_so(tmp_path: Path) -> None:
    data = _downloads_json([_download("a.img")], environment={
        "Harbor target": "http://127.0.0.1:35379 (embedded reference Harbor)", "Harbor build": "2.0.0-0d86"})
    code, markdown = _summarise(tmp_path, data, "0")
    assert code == Outcome.PASS
    assert "Target: the embedded reference Harbor, not a deployment · Harbor build: 2.0.0-0d86" in markdown
    assert "127.0.0.1" not in markdown


def test_a_product_failure_is_checks_failed_with_its_causes(tmp_path: Path) -> None:
    code, markdown = _summarise(tmp_path, FAILED, "1")
    assert code == Outcome.CHECKS_FAILED
    first = markdown.splitlines()[0]
    assert "Harbor checks failed" in first
    assert "1 file of 2 failed" in first and "STALE_FRONTEND" in first and "TOKEN_MISSING" in first
    assert "a product problem, not the tooling" in markdown
    assert "| `SHA256SUMS-2.0.0.txt` | redirect | 40 ms | 60 ms | 70 ms | **fail** | - |" in markdown
    causes = markdown.split("### Causes", 1)[1]
    assert ("- `TOKEN_MISSING` `SHA256SUMS-2.0.0.txt`: download request carried no token - 401 from "
            "GET /api/files/f-200-sums/download") in causes
    # The file's own problem repeats a cause of the run: listed once.
    assert causes.count("TOKEN_MISSING") == 1
    # A pipe in a sentence does not break the Markdown.
    assert "the page runs build 2.0.0-40 \\| the API 2.0.0-41" in causes


def test_a_set_up_problem_is_could_not_check_and_quotes_run_error(tmp_path: Path) -> None:
    code, markdown = _summarise(tmp_path, COULD_NOT, "1")
    assert code == Outcome.COULD_NOT_CHECK
    first = markdown.splitlines()[0]
    assert "The run could not check Harbor" in first
    assert f"harbor-e2e: {SETUP_ERROR}" in first
    assert "| file |" not in markdown


@pytest.mark.parametrize(
    ("data", "exit_code", "says"),
    [
        (HEALTHY, "2", "pytest was interrupted (exit code 2)"),
        (HEALTHY, "3", "pytest hit an internal error (exit code 3)"),
        (HEALTHY, "4", "usage error"),
        (HEALTHY, "5", "pytest collected no tests (exit code 5)"),
        (COULD_NOT, "2", "pytest was interrupted"),  # interrupted during set-up is still the tooling
        (HEALTHY, "", "reported no exit code"),
        (HEALTHY, None, "reported no exit code"),
        (HEALTHY, "one", "not a number"),
        (None, "1", "was not written"),
        (None, "0", "was not written"),
        ("{\"downloads\": [", "1", "is not valid JSON"),
        ("[]", "1", "does not have the suite's shape"),
        (json.dumps({"run_error": None}), "0", "does not have the suite's shape"),
        (COULD_NOT, "0", "they disagree"),
        (FAILED, "0", "they disagree"),
    ],
    ids=["interrupted", "internal", "usage", "no-tests", "interrupted-in-setup", "empty-code", "no-code",
         "bad-code", "no-json-red", "no-json-green", "corrupt-json", "not-a-dict", "no-downloads",
         "green-with-run-error", "green-with-failed-file"],
)
def test_broken_tooling_is_told_apart(tmp_path: Path, data: Any, exit_code: str | None, says: str) -> None:
    code, markdown = _summarise(tmp_path, data, exit_code)
    assert code == Outcome.TOOLING_BROKE
    first = markdown.splitlines()[0]
    assert "The tooling broke" in first and says in first
    assert "Says nothing about Harbor" in markdown


def test_environments_get_a_table_each_and_degraded_is_not_failed(tmp_path: Path) -> None:
    data = _downloads_json(
        [
            _download("harbor-tools-2.0.0.tar.gz", environment="dev"),
            _download("harbor-tools-2.0.0.tar.gz", environment="prod", p95=900, degraded=True),
            _download("SHA256SUMS-2.0.0.txt", environment="prod", degraded=False),
        ],
        environment={"dev": {"Harbor build": "2.0.0-44"}, "prod": {"Harbor build": "2.0.0-41"}},
    )
    code, markdown = _summarise(tmp_path, data, "0")
    assert code == Outcome.PASS
    assert "3 files checked, every check passed; 1 file degraded" in markdown.splitlines()[0]
    dev, prod = markdown.split("### Environment `dev`", 1)[1].split("### Environment `prod`", 1)
    assert "Harbor build: 2.0.0-44" in dev and "harbor-tools-2.0.0.tar.gz" in dev and "SHA256SUMS" not in dev
    assert "Harbor build: 2.0.0-41" in prod
    assert "| `harbor-tools-2.0.0.tar.gz` | redirect | 40 ms | 900 ms | 70 ms | pass | **degraded** |" in prod
    assert "| `SHA256SUMS-2.0.0.txt` | redirect | 40 ms | 60 ms | 70 ms | pass | no |" in prod


def test_degraded_that_fails_the_run_is_a_product_failure(tmp_path: Path) -> None:
    # HARBOR_FAIL_ON_DEGRADED=1: the suite exits 1 with no run_error.
    data = _downloads_json([_download("harbor-tools-2.0.0.tar.gz", degraded=True)])
    code, markdown = _summarise(tmp_path, data, "1")
    assert code == Outcome.CHECKS_FAILED
    assert "**degraded**" in markdown


def test_history_shows_the_recent_p95_per_file(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    lines = [
        json.dumps({"time": f"2026-12-{day:02d}T03:00:00Z", "environment": "default", "file": "a.img",
                    "p95_ms": 100.0 + day, "degraded": day == 9})
        for day in range(1, 10)
    ]
    history.write_text("\n".join([lines[0], "{not json", *lines[1:], "[1, 2]"]) + "\n", encoding="utf-8")
    code, markdown = _summarise(tmp_path, HEALTHY, "0", "--history", str(history))
    assert code == Outcome.PASS
    trend = markdown.split("### Trend", 1)[1]
    assert ("`a.img`: 103 ms, 104 ms, 105 ms, 106 ms, 107 ms, 108 ms, 109 ms over the last 7 of 9 runs "
            "(**degraded**)") in trend
    assert "2 history lines could not be read" in trend


def test_a_missing_history_is_the_first_night(tmp_path: Path) -> None:
    code, markdown = _summarise(tmp_path, HEALTHY, "0", "--history", str(tmp_path / "none.jsonl"))
    assert code == Outcome.PASS
    assert "No history yet" in markdown


def test_annotate_prints_one_workflow_command_that_cannot_inject_another(tmp_path: Path) -> None:
    code, line = _summarise(tmp_path, _downloads_json([], run_error="bad\n::add-mask::x 100%"), "1", "--annotate")
    assert code == Outcome.COULD_NOT_CHECK
    assert line.count("\n") == 1 and line.startswith("::error title=The run could not check Harbor (COULD_NOT_CHECK%2C exit 2)::")
    assert "\n::add-mask" not in line and "%0A" not in line  # run_error is made one line
    assert "100%25" in line
    code, line = _summarise(tmp_path, HEALTHY, "0", "--annotate")
    assert code == Outcome.PASS and line.startswith("::notice title=Harbor checks passed")


def test_nothing_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARBOR_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("HARBOR_BASE_URL", "https://secret-host.example")
    for data, exit_code in ((HEALTHY, "0"), (FAILED, "1"), (COULD_NOT, "1"), (None, "3")):
        for extra in ((), ("--annotate",)):
            _, out = _summarise(tmp_path, data, exit_code, *extra)
            assert "hunter2-secret" not in out and "secret-host" not in out


def test_the_command_line_exits_with_the_outcome(tmp_path: Path) -> None:
    path = tmp_path / "downloads.json"
    for data, exit_code, expected in ((HEALTHY, "0", 0), (FAILED, "1", 1), (COULD_NOT, "1", 2), (HEALTHY, "4", 3)):
        path.write_text(json.dumps(data), encoding="utf-8")
        completed = subprocess.run(
            [sys.executable, "-m", "tools.ci_summary", "--downloads", str(path), "--exit-code", exit_code],
            cwd=REPOSITORY, capture_output=True, text=True, timeout=60,
        )
        assert completed.returncode == expected, completed.stdout + completed.stderr
    usage = subprocess.run([sys.executable, "-m", "tools.ci_summary", "--no-such-option"], cwd=REPOSITORY,
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == Outcome.TOOLING_BROKE, usage.stderr
