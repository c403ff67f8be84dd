"""A CI run's verdict and a short Markdown summary of it, for GitHub's job summary.

    python3 -m tools.ci_summary --downloads reports/downloads.json --exit-code N [--history reports/history.jsonl]
    python3 -m tools.ci_summary --downloads reports/downloads.json --exit-code N --annotate

Reads what the suite wrote (`downloads.json`) and the exit code of `scripts/e2e`, and tells the three
kinds of outcome apart, in words and in its own exit code:

    0  PASS              every check passed (files marked degraded are named, but do not fail the run
                         unless the suite was run with HARBOR_FAIL_ON_DEGRADED=1)
    1  CHECKS_FAILED     the suite ran and a check of Harbor failed: a product problem (pytest exit 1,
                         downloads.json written, no run_error)
    2  COULD_NOT_CHECK   the run could not get past set-up: a setting, the target, the credentials...
                         (pytest exit 1 and downloads.json's run_error, which is quoted)
    3  TOOLING_BROKE     the suite or this tool broke: pytest exit 2 or more (interrupted, internal or
                         usage error, no tests), no exit code (the step did not finish), no downloads.json
                         or an unreadable one, or the two disagree

By default it prints the Markdown summary (verdict line first, a table of files per environment, the
causes, and with --history the recent p95 trend per file). With --annotate it prints one GitHub
workflow command instead (`::notice` or `::error` with the verdict), for a workflow's last step.
Either way it exits with the outcome's code.

Only what the suite wrote is printed (downloads.json and the history are already redacted); nothing
comes from the environment. Standard library only: it runs even when the suite's set-up failed.
"""

from __future__ import annotations

import argparse
import enum
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

DEFAULT_ENVIRONMENT = "default"
TREND_RUNS = 7


class Outcome(enum.IntEnum):
    PASS = 0
    CHECKS_FAILED = 1
    COULD_NOT_CHECK = 2
    TOOLING_BROKE = 3


TITLES = {
    Outcome.PASS: "Harbor checks passed",
    Outcome.CHECKS_FAILED: "Harbor checks failed",
    Outcome.COULD_NOT_CHECK: "The run could not check Harbor",
    Outcome.TOOLING_BROKE: "The tooling broke",
}
ICONS = {Outcome.PASS: "✅", Outcome.CHECKS_FAILED: "❌", Outcome.COULD_NOT_CHECK: "⚠️", Outcome.TOOLING_BROKE: "🛠️"}
PYTEST_EXIT_MEANINGS = {
    2: "pytest was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was called wrongly (usage error)",
    5: "pytest collected no tests",
}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    sentence: str  # one line, says what happened and what it means

    @property
    def title(self) -> str:
        return TITLES[self.outcome]


# --- reading -------------------------------------------------------------------------------------


def load_downloads(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """downloads.json's content, or None and why it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{path} was not written"
    except OSError as error:
        return None, f"{path} cannot be read ({error.strerror or error})"
    except UnicodeDecodeError:
        return None, f"{path} is not UTF-8 text"
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, f"{path} is not valid JSON ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("downloads"), list):
        return None, f"{path} does not have the suite's shape (no list of downloads)"
    run_error = data.get("run_error")
    if run_error is not None and not isinstance(run_error, str):
        return None, f"{path} does not have the suite's shape (run_error is not text)"
    return data, None


def load_history(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The history's records (JSON Lines) and how many lines were unreadable; a missing file is empty."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return [], 0
    records, bad = [], 0
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(record, dict) and isinstance(record.get("file"), str):
            records.append(record)
        else:
            bad += 1
    return records, bad


def parse_exit_code(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


# --- judging -------------------------------------------------------------------------------------


def judge(exit_code: int | None, downloads: dict[str, Any] | None, load_error: str | None) -> Verdict:
    """The outcome of a run from the suite's exit code and what it wrote."""
    if exit_code is None:
        return Verdict(
            Outcome.TOOLING_BROKE,
            "the suite reported no exit code: its step was cancelled, timed out or did not start",
        )
    if exit_code >= 2 or exit_code < 0:
        meaning = PYTEST_EXIT_MEANINGS.get(exit_code, "the suite's command failed")
        return Verdict(Outcome.TOOLING_BROKE, f"{meaning} (exit code {exit_code}); see the job's log")
    if downloads is None:
        return Verdict(
            Outcome.TOOLING_BROKE,
            f"the suite ended with exit code {exit_code} but {load_error}: its set-up or its reporting broke;"
            " see the job's log",
        )
    run_error = downloads.get("run_error")
    if exit_code == 0:
        if run_error:
            return Verdict(
                Outcome.TOOLING_BROKE,
                f"the suite passed (exit code 0) yet recorded a set-up error ({one_line(run_error)}): they disagree",
            )
        rows = list(download_rows(downloads))
        failed = [row for row in rows if row.get("verdict") == "fail"]
        if failed:
            return Verdict(
                Outcome.TOOLING_BROKE,
                f"the suite passed (exit code 0) yet {plural(len(failed), 'file')} failed in downloads.json:"
                " they disagree",
            )
        degraded = [row for row in rows if row.get("degraded") is True]
        sentence = f"{plural(len(rows), 'file')} checked, every check passed"
        if degraded:
            sentence += f"; {plural(len(degraded), 'file')} degraded (slower than recent runs, within budget)"
        return Verdict(Outcome.PASS, sentence)
    # exit_code == 1
    if run_error:
        return Verdict(Outcome.COULD_NOT_CHECK, f"harbor-e2e: {one_line(run_error)}")
    rows = list(download_rows(downloads))
    failed = [row for row in rows if row.get("verdict") == "fail"]
    causes = all_causes(downloads)
    parts = []
    if failed:
        parts.append(f"{plural(len(failed), 'file')} of {len(rows)} failed")
    codes = sorted({cause["code"] for cause in causes if cause["code"]})
    if codes:
        parts.append("causes: " + ", ".join(codes))
    if not parts:
        parts.append("a test failed without naming a cause in downloads.json: see report.html")
    return Verdict(Outcome.CHECKS_FAILED, "; ".join(parts))


# --- the data --------------------------------------------------------------------------------------


def download_rows(downloads: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for row in downloads.get("downloads") or []:
        if isinstance(row, dict):
            yield row


def environment_of(row: dict[str, Any]) -> str:
    name = row.get("environment")
    return name if isinstance(name, str) and name else DEFAULT_ENVIRONMENT


def by_environment(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(environment_of(row), []).append(row)
    return groups


def all_causes(downloads: dict[str, Any]) -> list[dict[str, str]]:
    """The run's causes, then the problems of files and full downloads not already among them."""
    found: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()

    def add(item: Any, environment: str | None = None) -> None:
        if not isinstance(item, dict):
            return
        cause = {
            "code": text(item.get("code")),
            "subject": text(item.get("subject")),
            "message": text(item.get("message")),
            "environment": environment or text(item.get("environment")),
        }
        key = (cause["code"], cause["subject"], cause["message"])
        if key not in seen:
            seen.add(key)
            found.append(cause)

    for cause in downloads.get("causes") or []:
        add(cause)
    for row in download_rows(downloads):
        for problem in row.get("problems") or []:
            add(problem, row.get("environment") if isinstance(row.get("environment"), str) else None)
    for row in downloads.get("full_downloads") or []:
        if isinstance(row, dict):
            for problem in row.get("problems") or []:
                add(problem)
    return found


def environment_facts(downloads: dict[str, Any], environment: str) -> dict[str, str]:
    """Facts about one environment: downloads.json's "environment" is one dict of facts, or (several
    environments) a dict of them by name. The target URL is left out: it comes from a secret."""
    facts = downloads.get("environment")
    if not isinstance(facts, dict):
        return {}
    if facts and all(isinstance(value, dict) for value in facts.values()):
        facts = facts.get(environment) or {}
    wanted = ("Harbor build", "Version checked", "Clicks per file", "Browser")
    shown = {key: text(facts[key]) for key in wanted if key in facts and not isinstance(facts[key], (dict, list))}
    if "embedded reference Harbor" in text(facts.get("Harbor target")):
        # Said outright: a nightly whose HARBOR_BASE_URL secret is empty checks no deployment at all.
        shown = {"Target": "the embedded reference Harbor, not a deployment", **shown}
    return shown


# --- rendering -------------------------------------------------------------------------------------


def render(
    verdict: Verdict,
    downloads: dict[str, Any] | None,
    history: list[dict[str, Any]] | None = None,
    history_unreadable: int = 0,
) -> str:
    lines = [f"## {ICONS[verdict.outcome]} {verdict.title}: {cell(verdict.sentence)}", ""]
    lines.append(f"Outcome `{verdict.outcome.name}` (summary exit code {int(verdict.outcome)}). {MEANING[verdict.outcome]}")
    lines.append("")
    if downloads is None:
        return "\n".join(lines) + "\n"
    rows = list(download_rows(downloads))
    budget = downloads.get("budget_ms")
    groups = by_environment(rows)
    for environment, group in groups.items():
        if len(groups) > 1 or environment != DEFAULT_ENVIRONMENT:
            lines.append(f"### Environment `{cell(environment)}`")
            lines.append("")
        facts = environment_facts(downloads, environment)
        if facts:
            lines.append(" · ".join(f"{cell(key)}: {cell(value)}" for key, value in facts.items()))
            lines.append("")
        lines.append("| file | strategy | median | p95 | max | verdict | degraded |")
        lines.append("|---|---|---:|---:|---:|---|---|")
        for row in group:
            latency = row.get("latency") if isinstance(row.get("latency"), dict) else {}
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"`{cell(row.get('file'))}`",
                        cell(row.get("strategy") or "-"),
                        ms(latency.get("median_ms")),
                        ms(latency.get("p95_ms")),
                        ms(latency.get("max_ms")),
                        "**fail**" if row.get("verdict") == "fail" else cell(row.get("verdict") or "-"),
                        {True: "**degraded**", False: "no"}.get(row.get("degraded"), "-"),
                    ]
                )
                + " |"
            )
        lines.append("")
    if isinstance(budget, (int, float)) and rows:
        lines.append(f"Start latency: click to download start, budget {ms(budget)} on each file's p95 and max.")
        lines.append("")
    full = [row for row in downloads.get("full_downloads") or [] if isinstance(row, dict)]
    if full:
        lines.append("### Full downloads")
        lines.append("")
        lines.append("| file | ended | seconds | MiB/s | verdict |")
        lines.append("|---|---|---:|---:|---|")
        for row in full:
            lines.append(
                f"| `{cell(row.get('file'))}` | {cell(row.get('ended') or '-')} | {number(row.get('seconds'))}"
                f" | {number(row.get('throughput_mib_s'))} | {cell(row.get('verdict') or '-')} |"
            )
        lines.append("")
    causes = all_causes(downloads)
    if causes:
        lines.append("### Causes")
        lines.append("")
        several = len(groups) > 1
        for cause in causes:
            where = f"{cause['environment']}: " if several and cause["environment"] else ""
            subject = f"`{cell(cause['subject'])}`" if cause["subject"] else "(run)"
            lines.append(f"- `{cell(cause['code'] or '?')}` {where}{subject}: {cell(cause['message'])}")
        lines.append("")
    if history is not None:
        lines.extend(render_trend(history, history_unreadable))
    lines.append("The full report, `downloads.json` and the JUnit XML are in the run's `reports` artifact.")
    return "\n".join(lines) + "\n"


MEANING = {
    Outcome.PASS: "Harbor's downloads behave.",
    Outcome.CHECKS_FAILED: "A check of Harbor failed: a product problem, not the tooling.",
    Outcome.COULD_NOT_CHECK: "Nothing was checked: fix the setting, the target or the credentials named above.",
    Outcome.TOOLING_BROKE: "Says nothing about Harbor: the suite or the workflow needs fixing.",
}


def render_trend(history: list[dict[str, Any]], unreadable: int) -> list[str]:
    lines = ["### Trend (p95 start latency, oldest to newest)", ""]
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in sorted(history, key=lambda record: text(record.get("time"))):
        series.setdefault((environment_of(record), text(record.get("file"))), []).append(record)
    if not series:
        lines.append("No history yet: the trend starts with this run's records.")
    else:
        several = len({environment for environment, _ in series}) > 1
        for (environment, file), records in series.items():
            recent = records[-TREND_RUNS:]
            values = ", ".join(ms(record.get("p95_ms")) for record in recent)
            flag = " (**degraded**)" if recent[-1].get("degraded") is True else ""
            where = f"{cell(environment)}: " if several else ""
            lines.append(f"- {where}`{cell(file)}`: {values} over the last {len(recent)} of {len(records)} runs{flag}")
    if unreadable:
        lines.append(f"- {plural(unreadable, 'history line')} could not be read and were left out")
    lines.append("")
    return lines


def annotation(verdict: Verdict) -> str:
    """One GitHub workflow command: a notice when the run passed, else an error with the verdict."""
    level = "notice" if verdict.outcome is Outcome.PASS else "error"
    title = escape_property(f"{verdict.title} ({verdict.outcome.name}, exit {int(verdict.outcome)})")
    return f"::{level} title={title}::{escape_data(verdict.sentence + '. ' + MEANING[verdict.outcome])}"


# --- small helpers ---------------------------------------------------------------------------------


def text(value: Any) -> str:
    return "" if value is None else str(value)


def one_line(value: Any) -> str:
    return " ".join(text(value).split())


def cell(value: Any) -> str:
    """Safe inside a Markdown table cell: one line, pipes escaped, no HTML."""
    return one_line(value).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def ms(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{value:,.0f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


def number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    return f"{value:g}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def escape_data(value: str) -> str:
    # GitHub's escaping for a workflow command's message: no line can start a command of its own.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


# --- command line ----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # a usage error is the tooling's, never a product verdict
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(int(Outcome.TOOLING_BROKE))


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m tools.ci_summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("--downloads", type=Path, default=Path("reports/downloads.json"), help="the suite's downloads.json")
    parser.add_argument("--exit-code", default=None, help="scripts/e2e's exit code (empty: it did not finish)")
    parser.add_argument("--history", type=Path, default=None, help="the history file (JSON Lines), for the trend")
    parser.add_argument("--annotate", action="store_true", help="print one ::notice/::error line instead of Markdown")
    args = parser.parse_args(argv)
    try:
        downloads, load_error = load_downloads(args.downloads)
        exit_code = parse_exit_code(args.exit_code)
        if exit_code is None and args.exit_code is not None and args.exit_code.strip():
            verdict = Verdict(Outcome.TOOLING_BROKE, f"the suite's exit code is not a number: {cell(args.exit_code)}")
        else:
            verdict = judge(exit_code, downloads, load_error)
        if args.annotate:
            print(annotation(verdict))
        else:
            history, unreadable = load_history(args.history) if args.history is not None else (None, 0)
            print(render(verdict, downloads, history, unreadable), end="")
        return int(verdict.outcome)
    except Exception as error:  # noqa: BLE001 - this tool's own failure must not read as a product verdict
        print(f"## {ICONS[Outcome.TOOLING_BROKE]} {TITLES[Outcome.TOOLING_BROKE]}: the summary tool failed ({type(error).__name__})")
        print(f"ci_summary: {type(error).__name__}: {error}", file=sys.stderr)
        return int(Outcome.TOOLING_BROKE)


if __name__ == "__main__":
    sys.exit(main())
