"""Self-test: `pytest -n 2` gives the same results as a plain run, with each file clicked once per
click round (not once per worker), and one history record per file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.selftest.suite_runner import SuiteRun, run_suite

pytestmark = pytest.mark.selftest

# A fault, so the comparison covers failures and their causes too.
FAULT = "large-files-via-proxy"


def _results(run: SuiteRun) -> dict[str, tuple[str, frozenset[tuple[str, str]]]]:
    return {name: (outcome.outcome, frozenset(outcome.causes)) for name, outcome in run.outcomes.items()}


def _downloads(run: SuiteRun) -> dict[str, tuple[str, str, int, frozenset[str]]]:
    return {
        d["file"]: (d["strategy"], d["verdict"], len(d["clicks"]), frozenset(p["code"] for p in d["problems"]))
        for d in run.downloads["downloads"]
    }


def test_two_workers_give_the_results_of_one(tmp_path: Path) -> None:
    env = {"HARBOR_REPEAT": "2"}
    plain = run_suite(tmp_path / "plain", faults=[FAULT], env=env, args=["-m", "not security"])
    parallel = run_suite(tmp_path / "parallel", faults=[FAULT], env=env, args=["-m", "not security", "-n", "2"])
    assert plain.exit_code == parallel.exit_code == 1, plain.describe() + "\n" + parallel.describe()
    assert "gw1" in parallel.output or "2 workers" in parallel.output, parallel.output[-2000:]
    assert _results(parallel) == _results(plain), plain.describe() + "\n---\n" + parallel.describe()
    # Every file once, with the clicks of one run (a worker that did not click reads the clicks made).
    assert _downloads(parallel) == _downloads(plain)
    assert all(clicks == 2 for _, _, clicks, _ in _downloads(parallel).values())
    causes = {(c["code"], c["subject"], c["test"]) for c in parallel.downloads["causes"]}
    assert causes == {(c["code"], c["subject"], c["test"]) for c in plain.downloads["causes"]}
    history = [json.loads(line) for line in (tmp_path / "parallel" / "history.jsonl").read_text().splitlines()]
    assert sorted(r["file"] for r in history) == sorted(_downloads(plain))
    report = (tmp_path / "parallel" / "report.html").read_text(encoding="utf-8")
    assert "Causes found" in report and "Harbor build" in report
