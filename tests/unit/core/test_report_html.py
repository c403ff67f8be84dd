"""The HTML report's pieces: causes grouped so each is read once, failed rows that link to the file's
section instead of copying it, and a trend chart scaled to the runs."""

from __future__ import annotations

import re
from html import escape

from download_probe import Problem, Redactor
from fixtures import report_html
from tests.unit.core.test_history import run as history_run
from tests.unit.core.test_parity import record

FILES = ("SHA256SUMS-2.0.0.txt", "harbor-firmware-2.0.0.img", "harbor-tools-2.0.0.tar.gz")
PROXY = "started by the proxy strategy (page script fetched the body, download from blob:)"
NO_TOKEN = f"no download request with a token: {PROXY}"
SLOW = f"{PROXY} - slowest of 5 clicks 5.22 s after the click, p95 5.22 s, median 5.22 s: p95 and maximum over the budget 2.00 s"
BUDGET_TEST = "test_click_starts_download_within_budget"
STRATEGY_TEST = "test_download_goes_by_redirect_strategy"
TOKEN_TEST = "test_download_request_carries_accepted_token"

# The legacy-download-service fault: one cause, on 3 files, caught by 3 tests (7 test x file findings).
LEGACY = [
    (BUDGET_TEST, Problem("STRATEGY_PROXY", FILES[1], SLOW)),
    *((STRATEGY_TEST, Problem("STRATEGY_PROXY", f, PROXY)) for f in FILES),
    *((TOKEN_TEST, Problem("STRATEGY_PROXY", f, NO_TOKEN)) for f in FILES),
]


def rows(html: str) -> list[str]:
    return re.findall(r"<tr>(.*?)</tr>", html)[1:]  # without the header


def test_one_cause_on_three_files_is_read_once_with_every_fact() -> None:
    html = report_html.causes_html(LEGACY, Redactor())
    assert html.count("<b>STRATEGY_PROXY</b>") == 1 and 'rowspan="3"' in html and "3 files" in html
    found = rows(html)
    assert len(found) == 3  # one per sentence, not one per test and file
    # The sentences said of every file first, each with its files and the test that caught it.
    assert all(all(f in row for f in FILES) for row in found[:2])
    said = {row.split("</td><td>")[-2]: row.split("</td><td>")[-1] for row in found[:2]}
    assert said == {escape(NO_TOKEN): f"{TOKEN_TEST}</td>", escape(PROXY): f"{STRATEGY_TEST}</td>"}
    assert SLOW in found[2] and FILES[1] in found[2] and FILES[0] not in found[2] and BUDGET_TEST in found[2]
    assert html.startswith("<h2>Causes found: STRATEGY_PROXY</h2>")


def test_files_caught_by_other_tests_keep_their_own_row() -> None:
    causes = [
        ("test_a", Problem("NO_DOWNLOAD", "a.img", "no download started")),
        ("test_b", Problem("NO_DOWNLOAD", "a.img", "no download started")),
        ("test_a", Problem("NO_DOWNLOAD", "b.img", "no download started")),
        ("test_a", Problem("TOKEN_MISSING", "b.img", "401 from GET /api/files/b/download")),
    ]
    html = report_html.causes_html(causes, Redactor())
    found = rows(html)
    assert len(found) == 3
    assert "a.img" in found[0] and "test_a<br>test_b" in found[0] and "b.img" not in found[0]
    assert "b.img" in found[1] and "test_b" not in found[1]
    assert "TOKEN_MISSING" in found[2] and html.startswith("<h2>Causes found: NO_DOWNLOAD, TOKEN_MISSING</h2>")


def test_causes_are_redacted_and_escaped() -> None:
    redactor = Redactor()
    redactor.learn("s3cret-token-value", any_length=True)
    html = report_html.causes_html([("t", Problem("X_Y", "<f>", "got s3cret-token-value & more"))], redactor)
    assert "s3cret-token-value" not in html and "&lt;f&gt;" in html and "&amp; more" in html


def test_a_failed_row_links_to_the_files_section_instead_of_copying_it() -> None:
    downloads = [record("prod", "firmware.img"), record("prod", "tools.tar.gz")]
    sections = "".join(report_html.download_detail_html(r, Redactor()) for r in downloads)
    ids = re.findall(r'<details id="([^"]+)"', sections)
    assert ids == [report_html.detail_anchor(r.label) for r in downloads] and len(set(ids)) == 2
    problem = Problem("STRATEGY_PROXY", downloads[0].label, PROXY)
    row = report_html.failed_files_html([(downloads[0].label, [problem])], Redactor())
    assert f'href="#{report_html.detail_anchor(downloads[0].label)}"' in row
    assert f"{PROXY} [STRATEGY_PROXY]" in row
    assert "<svg" not in row and "<table" not in row  # no copy of the waterfall, hops or requests


def test_anchor_is_a_valid_fragment() -> None:
    assert report_html.detail_anchor("prod/harbor firmware-2.0.0.img") == "hx-file-prod-harbor-firmware-2.0.0.img"


def axis_top(svg: str) -> float:
    labels = [float(v) * (1000 if unit == "s" else 1) for v, unit in re.findall(r'fill="#555">([\d.]+) (ms|s)</text>', svg)]
    return max(labels)


def circle_ys(svg: str) -> list[float]:
    return [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]


def test_trend_axis_follows_fast_runs_and_says_the_budget_is_above() -> None:
    runs = [history_run(v, time=f"2026-12-0{i + 1}T03:00:00Z") for i, v in enumerate([30.0, 45.0, 100.0, 60.0])]
    svg = report_html.trend_svg(runs, 2000.0)
    top = axis_top(svg)
    assert 100.0 < top <= 150.0  # headroom over the slowest run, nowhere near 2.2 s
    ys = circle_ys(svg)
    # 150 px high, plot from y=14 to y=126: the points spread over the plot instead of lying on its floor.
    assert max(ys) - min(ys) > 40
    assert "budget 2.00 s (above)" in svg and "stroke-dasharray" not in svg


def test_trend_draws_the_budget_when_it_is_on_the_axis() -> None:
    runs = [history_run(v) for v in (1200.0, 1500.0, 2400.0)]
    svg = report_html.trend_svg(runs, 2000.0)
    assert axis_top(svg) >= 2400.0 * 1.15 - 1
    assert "stroke-dasharray" in svg and "budget 2.00 s</text>" in svg and "(above)" not in svg
    # A budget within twice the slowest run is taken into the axis.
    svg = report_html.trend_svg([history_run(v) for v in (900.0, 1100.0)], 2000.0)
    assert axis_top(svg) >= 2000.0 and "stroke-dasharray" in svg


def test_trend_without_a_started_download_still_shows_the_budget() -> None:
    svg = report_html.trend_svg([history_run(None), history_run(None)], 2000.0)
    assert "stroke-dasharray" in svg and "<circle" not in svg
