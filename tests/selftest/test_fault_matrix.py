"""Self-tests: the e2e suite against a reference Harbor with each fault fails exactly as the matrix
says (the expected tests, codes and files, nothing else), and passes against a healthy one."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.selftest.fault_matrix import DOC, EXPECTED, render_markdown
from tests.selftest.suite_runner import run_suite

pytestmark = pytest.mark.selftest
# The download and freshness checks; the security checks have their own faults and self-tests.
SUITE_ARGS = ["-m", "not security"]


def test_healthy_reference_harbor_passes_everything(tmp_path: Path) -> None:
    run = run_suite(tmp_path, args=SUITE_ARGS)
    assert run.exit_code == 0 and not run.failed, run.describe()
    assert run.downloads["downloads"] and all(d["verdict"] == "pass" for d in run.downloads["downloads"])


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_fault_is_caught_by_the_right_tests_with_the_right_causes(fault: str, tmp_path: Path) -> None:
    run = run_suite(tmp_path, faults=[fault], args=SUITE_ARGS)
    expected = EXPECTED[fault]
    failed = run.failed
    assert set(failed) == set(expected), f"{fault}: failing tests differ from the matrix\n{run.describe()}"
    for test, causes in expected.items():
        assert failed[test].causes == causes, f"{fault}: {test} named other causes\n{run.describe()}"
    assert run.exit_code == 1, run.describe()
    # The same causes reach downloads.json, where QA and tools read them.
    recorded = {(d["file"], p["code"]) for d in run.downloads.get("downloads", []) for p in d["problems"]}
    download_causes = {cause for test, causes in expected.items() if test.startswith("test_downloads") for cause in causes}
    assert download_causes <= recorded, f"{fault}: downloads.json lacks {download_causes - recorded}"


def test_fault_matrix_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/fault-matrix.md is out of date: run `python tests/selftest/fault_matrix.py > docs/fault-matrix.md`"
    )
