"""Checks of one analysed download. Each returns problems: a stable code and a plain sentence.

Sentences only ever hold redacted URLs, since they end up in assertion messages and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from download_probe.analysis import DownloadAnalysis
from download_probe.capture import CapturedExchange
from download_probe.redact import redact_url


@dataclass(frozen=True)
class Problem:
    code: str
    subject: str
    message: str

    @property
    def sentence(self) -> str:
        return f"{self.subject}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "subject": self.subject, "message": self.message}


def seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def describe_exchange(exchange: CapturedExchange) -> str:
    path = redact_url(urlsplit(exchange.url)._replace(scheme="", netloc="").geturl())
    if exchange.status is None:
        return f"no answer to {exchange.method} {path}" + (f" ({exchange.failure})" if exchange.failure else "")
    return f"{exchange.status} from {exchange.method} {path}"


def where_it_stopped(analysis: DownloadAnalysis) -> str:
    last = analysis.final_response
    if last is None and analysis.script_requests:
        last = analysis.script_requests[-1]
    if last is None:
        return "the click caused no request at all"
    return f"last hop: {describe_exchange(last)}"


def _strategy_words(analysis: DownloadAnalysis) -> str:
    if analysis.strategy == "proxy":
        return "started by the proxy strategy (page script fetched the body, download from blob:)"
    if analysis.strategy == "direct":
        return "started by a navigation without a redirect"
    return f"started by the {analysis.strategy} strategy"


def check_download_started(analysis: DownloadAnalysis) -> list[Problem]:
    if analysis.attempt.started:
        return []
    reason = analysis.attempt.error or "no download started"
    return [Problem("NO_DOWNLOAD", analysis.label, f"{reason}; {where_it_stopped(analysis)}")]


def check_latency_budget(analysis: DownloadAnalysis, budget_ms: float) -> list[Problem]:
    if not analysis.attempt.started:
        return check_download_started(analysis)
    start_ms = analysis.download_start_ms or 0.0
    if start_ms <= budget_ms:
        return []
    slowest = max(
        (h for h in analysis.hops if h.until_ms is not None),
        key=lambda h: (h.until_ms or 0) - h.at_ms,
        default=None,
    )
    slow_part = ""
    if slowest is not None:
        slow_part = f"; slowest hop: {slowest.name} {seconds((slowest.until_ms or 0) - slowest.at_ms)}"
    return [
        Problem(
            "OVER_BUDGET",
            analysis.label,
            f"{_strategy_words(analysis)} - {seconds(start_ms)} after the click, budget {seconds(budget_ms)}"
            + slow_part,
        )
    ]


def check_redirect_strategy(analysis: DownloadAnalysis) -> list[Problem]:
    if not analysis.attempt.started:
        return check_download_started(analysis)
    problems = []
    if analysis.strategy == "proxy":
        problems.append(Problem("STRATEGY_PROXY", analysis.label, _strategy_words(analysis)))
    elif analysis.strategy != "redirect":
        problems.append(Problem("NO_REDIRECT", analysis.label, _strategy_words(analysis)))
    elif analysis.final_response is not None and not analysis.final_response.is_attachment:
        problems.append(
            Problem(
                "NOT_AN_ATTACHMENT",
                analysis.label,
                "the final response is not sent as an attachment "
                f"(Content-Disposition: {analysis.final_response.content_disposition or 'none'})",
            )
        )
    if analysis.strategy != "proxy":
        for fetch in analysis.body_fetches:
            problems.append(
                Problem("SCRIPT_FETCHED_BODY", analysis.label, f"page script fetched a file body: {describe_exchange(fetch)}")
            )
    return problems


def check_token_accepted(analysis: DownloadAnalysis) -> list[Problem]:
    request = analysis.download_request
    if request is None:
        if analysis.strategy == "proxy":
            return [Problem("STRATEGY_PROXY", analysis.label, "no download request with a token: " + _strategy_words(analysis))]
        return check_download_started(analysis) or [
            Problem("NO_DOWNLOAD_REQUEST", analysis.label, "no navigation to a download URL after the click")
        ]
    problems = []
    if not analysis.token_in_download_request:
        problems.append(
            Problem("TOKEN_MISSING", analysis.label, f"download request carried no token - {describe_exchange(request)}")
        )
    elif analysis.token_accepted is False:
        problems.append(
            Problem("TOKEN_REJECTED", analysis.label, f"the download token was refused - {describe_exchange(request)}")
        )
    elif analysis.token_accepted is None:
        problems.append(Problem("NO_ANSWER", analysis.label, f"the download request got {describe_exchange(request)}"))
    return problems


def check_name_and_size(analysis: DownloadAnalysis, expected_name: str, expected_size: int) -> list[Problem]:
    if not analysis.attempt.started:
        return check_download_started(analysis)
    problems = []
    suggested = analysis.attempt.suggested_filename
    if suggested != expected_name:
        problems.append(
            Problem("NAME_MISMATCH", analysis.label, f"browser suggested {suggested!r}, the table says {expected_name!r}")
        )
    size = analysis.size_bytes
    if size is None:
        problems.append(Problem("SIZE_UNKNOWN", analysis.label, "the response carried no Content-Length"))
    elif size != expected_size:
        problems.append(
            Problem("SIZE_MISMATCH", analysis.label, f"Content-Length {size} bytes, the table says {expected_size} bytes")
        )
    return problems
