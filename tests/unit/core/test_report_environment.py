"""The report's Environment table (Harbor rows first, shared before each environment's, the target named
when set-up stopped the run) and the results table's skip reasons (plain, not pytest's tuple)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pytest_html.basereport import _process_logs
from pytest_metadata.plugin import metadata_key

from fixtures import reporting
from fixtures.parity import shared_first
from fixtures.target import HarborTarget

PYTEST_METADATA = {"Python": "3.11.7", "Platform": "Linux", "Packages": {"pytest": "9"}, "Plugins": {"html": "4"}}


def config(settings: Any, **metadata: Any) -> Any:
    stash = pytest.Stash()
    stash[reporting.LEDGER] = reporting.RunLedger()
    stash[metadata_key] = {**PYTEST_METADATA, **metadata}
    return SimpleNamespace(stash=stash, settings=settings)


@pytest.fixture(autouse=True)
def settings_of_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def settings(config: Any) -> Any:
        if isinstance(config.settings, Exception):
            raise config.settings
        return config.settings

    monkeypatch.setattr(reporting, "settings_of_run", settings)


def environment(name: str = "default", base_url: str | None = None) -> Any:
    return SimpleNamespace(name=name, base_url=base_url, embedded=base_url is None)


def one_harbor(base_url: str | None = None) -> Any:
    return SimpleNamespace(environments=(environment(base_url=base_url),), compares_environments=False, version="2.0.0")


HARBOR_FACTS = {
    "Harbor target": "http://127.0.0.1:1 (embedded reference Harbor)",
    "Harbor build": "2.0.0-abc",
    "Harbor API version": "2.0.0",
    "Version checked": "2.0.0",
    "Latency budget": "2000 ms",
    "Clicks per file": "5",
    "Browser": "chromium 150",
}


def test_harbor_rows_come_first_and_an_empty_base_url_goes() -> None:
    run = config(one_harbor(), **{"Base URL": None})
    table = run.stash[metadata_key]
    reporting.describe_environment(run, HARBOR_FACTS)
    assert run.stash[metadata_key] is table  # pytest-html holds this very dict
    assert list(table) == [*HARBOR_FACTS, *PYTEST_METADATA]
    assert table["Harbor build"] == "2.0.0-abc" and table["Plugins"] == {"html": "4"}


def test_a_base_url_that_is_set_stays() -> None:
    run = config(one_harbor(), **{"Base URL": "https://h"})
    reporting.describe_environment(run, HARBOR_FACTS)
    assert list(run.stash[metadata_key])[-1] == "Base URL"


def test_several_environments_shared_rows_first_then_each_environment() -> None:
    settings = SimpleNamespace(environments=(environment("dev"), environment("prod")), compares_environments=True)
    run = config(settings, **{"Base URL": ""})
    shared = {"Version checked": "2.0.0", "Latency budget": "2000 ms", "Clicks per file": "5", "Browser": "chromium"}
    # As describe_run writes them, environment by environment (and as parallel workers hand them over).
    for name in ("prod", "dev"):
        facts = {f"Harbor target ({name})": f"http://{name}", f"Harbor build ({name})": "b", f"Harbor API version ({name})": "a"}
        reporting.describe_environment(run, {**facts, **shared})
    assert list(run.stash[metadata_key]) == [
        *shared,
        "Harbor target (dev)", "Harbor build (dev)", "Harbor API version (dev)",
        "Harbor target (prod)", "Harbor build (prod)", "Harbor API version (prod)",
        *PYTEST_METADATA,
    ]


def test_shared_first_keeps_the_described_order_otherwise() -> None:
    facts = {"b (x)": "1", "a": "2", "c (y)": "3", "d": "4", "e (x)": "5"}
    assert list(shared_first(facts, ["y", "x"])) == ["a", "d", "c (y)", "b (x)", "e (x)"]


def test_a_run_stopped_at_set_up_names_the_target_it_reached() -> None:
    run = config(one_harbor(), **{"Base URL": None})
    target = HarborTarget(
        "http://127.0.0.1:5", "demo", "pw", api_version="2.0.0", build="2.0.0-abc", embedded=True, environment="default"
    )
    run.stash[reporting._REACHED] = {"default": target}
    reporting._name_known_targets(run)
    table = run.stash[metadata_key]
    assert list(table)[:4] == ["Harbor target", "Harbor build", "Harbor API version", "Version checked"]
    assert table["Harbor target"].startswith("http://127.0.0.1:5") and "Base URL" not in table
    assert run.stash[reporting.LEDGER].environment["Harbor build"] == "2.0.0-abc"  # and downloads.json


def test_a_real_deployment_not_reached_is_named_from_the_settings() -> None:
    run = config(one_harbor("https://harbor.example.com"))
    reporting._name_known_targets(run)
    assert run.stash[metadata_key]["Harbor target"] == "https://harbor.example.com"


def test_nothing_is_named_when_the_settings_are_bad_or_the_target_was_described() -> None:
    run = config(reporting.SetupProblem("HARBOR_BASE_URL must be an http(s) URL"))
    reporting._name_known_targets(run)
    assert list(run.stash[metadata_key]) == list(PYTEST_METADATA)
    run = config(one_harbor("https://harbor.example.com"))
    reporting.describe_environment(run, HARBOR_FACTS)
    reporting._name_known_targets(run)
    assert run.stash[metadata_key]["Harbor target"] == HARBOR_FACTS["Harbor target"]


def skipped(longrepr: Any) -> pytest.TestReport:
    return pytest.TestReport("t.py::test_x", ("t.py", 37, "test_x"), {}, "skipped", longrepr, "call")


def test_a_skip_shows_its_reason_not_a_tuple() -> None:
    report = skipped((str(Path("/work/main/tests/e2e/test_freshness.py")), 38, "Skipped: HARBOR_EXPECTED_BUILD is not set <x>"))
    data = _process_logs(report)  # what pytest-html shows in the results table
    assert "test_freshness.py" in data[0]
    reporting.pytest_html_results_table_html(report, data)
    assert data[0] == escape("HARBOR_EXPECTED_BUILD is not set <x>") + "\n"


def test_other_logs_are_left_alone() -> None:
    failed = pytest.TestReport("t.py::test_x", ("t.py", 1, "test_x"), {}, "failed", "AssertionError: boom", "call")
    data = _process_logs(failed)
    shown = list(data)
    reporting.pytest_html_results_table_html(failed, shown)
    assert shown == data
    # A skip with captured output keeps its sections; only the reason line changes.
    report = skipped(("t.py", 1, "Skipped: off"))
    report.sections.append(("Captured stdout call", "hello"))
    data = _process_logs(report)
    reporting.pytest_html_results_table_html(report, data)
    assert data[0] == "off\n" and "hello" in data[1]
