"""Checks of analysed downloads. Each returns problems: a stable code and a plain sentence that names
the first broken link, told apart by evidence (resource types, blob: URLs, statuses, per-hop times,
time to first headers against file size), never by knowing what was broken.

Sentences only ever hold redacted URLs, since they end up in assertion messages and reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence
from urllib.parse import urlsplit

from download_probe.analysis import DownloadAnalysis
from download_probe.capture import CapturedExchange
from download_probe.redact import redact_url
from download_probe.stats import LatencyStats

# A hop that takes at least this share of the start latency is "the" slow hop.
DOMINANT_SHARE = 0.5
# Time to first headers "grows with size" when a much larger file waits this much longer...
BUFFERING_MIN_EXTRA_MS = 250.0
# ...and this many times as long as a file at least SIZE_RATIO times smaller.
BUFFERING_MIN_FACTOR = 4.0
BUFFERING_SIZE_RATIO = 16


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


# A problem's sentence as it appears in an assertion message or a log line: "subject: message [CODE]".
_SENTENCE = re.compile(
    r"^(?:E\s+)?(?:AssertionError: )?(?P<subject>[^\s:][^:]*?): (?P<message>.*) \[(?P<code>[A-Z][A-Z0-9_]+)\]\s*$"
)


def parse_sentences(text: str) -> list[Problem]:
    """The problems named in a text (one sentence per line), in order, without repeats."""
    found: list[Problem] = []
    for line in text.splitlines():
        match = _SENTENCE.match(line.strip())
        if match:
            problem = Problem(match["code"], match["subject"].strip(), match["message"])
            if problem not in found:
                found.append(problem)
    return found


def seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def describe_exchange(exchange: CapturedExchange) -> str:
    path = redact_url(urlsplit(exchange.url)._replace(scheme="", netloc="").geturl())
    if exchange.status is None:
        return f"no answer to {exchange.method} {path}" + (f" ({exchange.failure})" if exchange.failure else "")
    return f"{exchange.status} from {exchange.method} {path}"


def _path(exchange: CapturedExchange) -> str:
    return redact_url(urlsplit(exchange.url)._replace(scheme="", netloc="").geturl())


PROXY_WORDS = "started by the proxy strategy (page script fetched the body, download from blob:)"


def _fallback_words(analysis: DownloadAnalysis) -> str:
    final = analysis.final_response
    failed = describe_exchange(final) if final else "the redirect path failed"
    return f"the redirect path failed ({failed}) and the page fell back to the proxy strategy (download from blob:)"


# -- a download that did not start: its first broken link ----------------------------------------


def diagnose_failed_start(analysis: DownloadAnalysis) -> Problem:
    label, reason = analysis.label, analysis.attempt.error or "no download started"
    token = analysis.token_request
    if token is not None and (token.status is None or token.status >= 400):
        return Problem("TOKEN_REQUEST_FAILED", label, f"the download token request failed - {describe_exchange(token)}")
    chain = analysis.chain
    if not chain:
        if not analysis.attempt.exchanges:
            return Problem("NO_DOWNLOAD", label, f"{reason}; the click caused no request at all")
        return Problem("NO_DOWNLOAD", label, f"{reason}; no navigation to a download URL followed the click")
    first, final = chain[0], chain[-1]
    if first.status is not None and 400 <= first.status < 500:
        if not analysis.token_in_download_request:
            return Problem("TOKEN_MISSING", label, f"download request carried no token - {describe_exchange(first)}")
        return Problem("TOKEN_REJECTED", label, f"the download token was refused - {describe_exchange(first)}")
    if final.status is not None and final.status >= 500:
        return Problem(
            "NO_FALLBACK", label, f"{describe_exchange(final)} and the page did not fall back to another path; {reason}"
        )
    if final.status is not None and 200 <= final.status < 300 and not final.is_attachment:
        disposition = final.content_disposition or "none"
        return Problem(
            "NOT_A_DOWNLOAD",
            label,
            f"the browser showed the response instead of saving it (Content-Disposition: {disposition}) - "
            f"{describe_exchange(final)}",
        )
    if final.status is None:
        return Problem("NO_ANSWER", label, f"{describe_exchange(final)}; {reason}")
    return Problem("NO_DOWNLOAD", label, f"{reason}; last hop: {describe_exchange(final)}")


# -- timing ----------------------------------------------------------------------------------------


def start_grows_with_size(analysis: DownloadAnalysis, peers: Sequence[DownloadAnalysis]) -> str | None:
    """Evidence that the body's first headers wait for the whole file: compared with a much smaller
    file fetched the same way, the wait is far longer. A sentence, or None."""
    if analysis.strategy == "proxy":
        return None
    found = _far_above_a_much_smaller_file(analysis, peers, lambda a: a.headers_wait_ms, same_strategy=True)
    if found is None:
        return None
    wait, small, small_wait = found
    return (
        f"the response took {seconds(wait)} to send its headers for {analysis.size_bytes:,} bytes, against "
        f"{seconds(small_wait)} for {small.label} ({small.size_bytes:,} bytes): the start grows with size "
        "(the body is read whole before it is sent)"
    )


def proxy_start_grows_with_size(analysis: DownloadAnalysis, peers: Sequence[DownloadAnalysis]) -> str | None:
    """A download by the proxy path that starts far later than a much smaller file's (by any path):
    it waited for its whole body. A sentence, or None."""
    found = _far_above_a_much_smaller_file(analysis, peers, lambda a: a.download_start_ms, same_strategy=False)
    if found is None:
        return None
    start, small, small_start = found
    return (
        f"the download started {seconds(start)} after the click for {analysis.size_bytes:,} bytes, against "
        f"{seconds(small_start)} for {small.label} ({small.size_bytes:,} bytes): the start grows with size "
        "(page script fetched the whole file before saving it)"
    )


def _far_above_a_much_smaller_file(
    analysis: DownloadAnalysis,
    peers: Sequence[DownloadAnalysis],
    measure: Callable[[DownloadAnalysis], float | None],
    *,
    same_strategy: bool,
) -> tuple[float, DownloadAnalysis, float] | None:
    """(this file's figure, the smaller file, its figure) when `measure` of this file is far above that
    of the fastest file at least BUFFERING_SIZE_RATIO times smaller; else None."""
    value, size = measure(analysis), analysis.size_bytes
    if value is None or not size:
        return None
    smaller = [
        peer
        for peer in peers
        if peer is not analysis
        and (peer.strategy == analysis.strategy or not same_strategy)
        and peer.size_bytes
        and peer.size_bytes * BUFFERING_SIZE_RATIO <= size
        and measure(peer) is not None
    ]
    if not smaller:
        return None
    small = min(smaller, key=lambda peer: measure(peer) or 0.0)
    small_value = measure(small) or 0.0
    if value - small_value >= BUFFERING_MIN_EXTRA_MS and value >= BUFFERING_MIN_FACTOR * (small_value + 25):
        return value, small, small_value
    return None


def _phases(analysis: DownloadAnalysis) -> list[tuple[str, float, str]]:
    """(name, duration ms, code if it is the slow one) of each hop of a started download."""
    phases: list[tuple[str, float, str]] = []
    token = analysis.token_request
    if token is not None and token.headers_ms is not None:
        phases.append((f"the token request ({token.method} {_path(token)})", token.headers_ms - token.started_ms, "SLOW_HOP"))
    for position, exchange in enumerate(analysis.chain):
        if exchange.headers_ms is None:
            continue
        wait = exchange.headers_ms - exchange.started_ms
        if exchange.is_redirect:
            name = "the download request" if position == 0 else f"redirect hop {position}"
            phases.append((f"{name} ({exchange.method} {_path(exchange)}) answering its redirect", wait, "SLOW_HOP"))
        else:
            phases.append((f"the response ({exchange.method} {_path(exchange)}) sending its first headers", wait, "SLOW_HOP"))
    return phases


def latency_cause(analysis: DownloadAnalysis, peers: Sequence[DownloadAnalysis] = ()) -> tuple[str, str]:
    """(code, words) for why a started download took as long as it did."""
    if analysis.strategy == "proxy":
        return ("FALLBACK_USED", _fallback_words(analysis)) if analysis.fell_back else ("STRATEGY_PROXY", PROXY_WORDS)
    total = analysis.download_start_ms or 0.0
    later_redirects = [e for e in analysis.chain[1:] if e.is_redirect and e.headers_ms is not None]
    if later_redirects:
        chain_ms = sum((e.headers_ms or 0.0) - e.started_ms for e in later_redirects)
        if chain_ms >= DOMINANT_SHARE * total:
            return "REDIRECT_CHAIN", (
                f"{len(analysis.redirects)} redirects before the file; the {len(later_redirects)} after the "
                f"download request took {seconds(chain_ms)}"
            )
    phases = _phases(analysis)
    if phases:
        name, took, code = max(phases, key=lambda phase: phase[1])
        if took >= DOMINANT_SHARE * total:
            if analysis.final_response is not None and name.startswith("the response"):
                grows = start_grows_with_size(analysis, peers)
                if grows:
                    return "BUFFERED_STREAM", grows
            return code, f"{name} took {seconds(took)}"
    return "OVER_BUDGET", f"no single hop stands out (slowest: {max(phases, key=lambda p: p[1])[0] if phases else 'none'})"


def check_latency_budget(
    analysis: DownloadAnalysis, budget_ms: float, peers: Sequence[DownloadAnalysis] = ()
) -> list[Problem]:
    """Click to download start within the budget; when not, the hop or the strategy to blame."""
    if not analysis.attempt.started:
        return [diagnose_failed_start(analysis)]
    start_ms = analysis.download_start_ms or 0.0
    if start_ms <= budget_ms:
        return []
    code, words = latency_cause(analysis, peers)
    return [Problem(code, analysis.label, f"{words} - {seconds(start_ms)} after the click, budget {seconds(budget_ms)}")]


def representative(analyses: Sequence[DownloadAnalysis]) -> DownloadAnalysis:
    """The attempt that stands for a file's clicks: the first that started no download, else the
    median one by start latency (the lower middle of an even count)."""
    if not analyses:
        raise ValueError("no attempts")
    not_started = [a for a in analyses if not a.attempt.started]
    if not_started:
        return not_started[0]
    ordered = sorted(analyses, key=lambda a: a.download_start_ms or 0.0)
    return ordered[(len(ordered) - 1) // 2]


def check_repeated_latency(
    analyses: Sequence[DownloadAnalysis], budget_ms: float, peers: Sequence[DownloadAnalysis] = ()
) -> list[Problem]:
    """Every click of one file started a download, and the p95 and the maximum of their start
    latencies are within the budget; when not, the slowest click's hop or strategy to blame."""
    if not analyses:
        return []
    not_started = [a for a in analyses if not a.attempt.started]
    if not_started:
        problem = diagnose_failed_start(not_started[0])
        if len(analyses) == 1:
            return [problem]
        return [Problem(problem.code, problem.subject, f"{problem.message} ({len(not_started)} of {len(analyses)} clicks)")]
    if len(analyses) == 1:
        return check_latency_budget(analyses[0], budget_ms, peers)
    stats = LatencyStats.of([a.download_start_ms or 0.0 for a in analyses])
    if stats.max_ms <= budget_ms:
        return []
    slowest = max(analyses, key=lambda a: a.download_start_ms or 0.0)
    code, words = latency_cause(slowest, peers)
    over = "p95 and maximum over" if stats.p95_ms > budget_ms else "maximum over (p95 within)"
    return [
        Problem(
            code,
            slowest.label,
            f"{words} - slowest of {stats.count} clicks {seconds(stats.max_ms)} after the click, "
            f"p95 {seconds(stats.p95_ms)}, median {seconds(stats.median_ms)}: {over} the budget {seconds(budget_ms)}",
        )
    ]


def check_size_independence(analyses: Sequence[DownloadAnalysis]) -> list[Problem]:
    """A start that grows with file size, even under budget: the stream buffering the body before its
    headers, or the proxy path (page script fetching the whole file before it is saved)."""
    problems = []
    for analysis in analyses:
        if not analysis.attempt.started:
            continue
        if analysis.strategy == "proxy":
            grows = proxy_start_grows_with_size(analysis, analyses)
            if grows:
                code = "FALLBACK_USED" if analysis.fell_back else "STRATEGY_PROXY"
                problems.append(Problem(code, analysis.label, grows))
        elif grows := start_grows_with_size(analysis, analyses):
            problems.append(Problem("BUFFERED_STREAM", analysis.label, grows))
    return problems


# -- strategy, token, name and size ---------------------------------------------------------------


def check_redirect_strategy(analysis: DownloadAnalysis) -> list[Problem]:
    """A navigation, a 3xx, then an attachment response; no script fetched the body; not blob:."""
    if not analysis.attempt.started:
        return [diagnose_failed_start(analysis)]
    problems = []
    if analysis.strategy == "proxy":
        if analysis.fell_back:
            problems.append(Problem("FALLBACK_USED", analysis.label, _fallback_words(analysis)))
        else:
            problems.append(Problem("STRATEGY_PROXY", analysis.label, PROXY_WORDS))
    elif analysis.strategy != "redirect":
        via = f" ({describe_exchange(analysis.final_response)})" if analysis.final_response else ""
        problems.append(
            Problem("NO_REDIRECT", analysis.label, f"the download request answered with the file itself, no redirect{via}")
        )
    elif analysis.final_response is not None and not analysis.final_response.is_attachment:
        problems.append(
            Problem(
                "NO_ATTACHMENT_HEADER",
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
    """The download request carried a token and the server accepted it."""
    request = analysis.download_request
    if request is None:
        if analysis.strategy == "proxy":
            return [Problem("STRATEGY_PROXY", analysis.label, "no download request with a token: " + PROXY_WORDS)]
        return [diagnose_failed_start(analysis)]
    if not analysis.token_in_download_request:
        return [Problem("TOKEN_MISSING", analysis.label, f"download request carried no token - {describe_exchange(request)}")]
    if analysis.token_accepted is False:
        return [Problem("TOKEN_REJECTED", analysis.label, f"the download token was refused - {describe_exchange(request)}")]
    if analysis.token_accepted is None:
        return [Problem("NO_ANSWER", analysis.label, f"the download request got {describe_exchange(request)}")]
    return []


def check_name_and_size(analysis: DownloadAnalysis, expected_name: str, expected_size: int) -> list[Problem]:
    """The browser's suggested file name and the response's Content-Length match the table."""
    if not analysis.attempt.started:
        return [diagnose_failed_start(analysis)]
    problems = []
    suggested = analysis.attempt.suggested_filename
    if suggested != expected_name:
        problems.append(
            Problem("NAME_MISMATCH", analysis.label, f"browser suggested {suggested!r}, the table says {expected_name!r}")
        )
    size = analysis.size_bytes
    if size is None:
        source = analysis.body_source
        where = f" ({describe_exchange(source)})" if source else ""
        problems.append(
            Problem("NO_CONTENT_LENGTH", analysis.label, f"the file was sent without Content-Length{where}, so its size is unknown")
        )
    elif size != expected_size:
        problems.append(
            Problem("SIZE_MISMATCH", analysis.label, f"Content-Length {size:,} bytes, the table says {expected_size:,} bytes")
        )
    return problems
