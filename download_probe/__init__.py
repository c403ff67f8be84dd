"""The measuring and diagnosing core: times a download started by a click and says how it went.

It knows nothing of Harbor's pages: it works on any Playwright page and any locator.
"""

from download_probe.analysis import DownloadAnalysis, Hop, analyse_download
from download_probe.capture import CapturedExchange, ConsoleLine, NetworkCapture
from download_probe.checks import (
    Problem,
    check_size_independence,
    diagnose_failed_start,
    latency_cause,
    parse_sentences,
    check_latency_budget,
    check_name_and_size,
    check_redirect_strategy,
    check_token_accepted,
)
from download_probe.probe import DownloadAttempt, start_download
from download_probe.redact import REDACTED, Redactor

__all__ = [
    "REDACTED",
    "CapturedExchange",
    "ConsoleLine",
    "DownloadAnalysis",
    "DownloadAttempt",
    "Hop",
    "NetworkCapture",
    "Problem",
    "Redactor",
    "analyse_download",
    "check_size_independence",
    "diagnose_failed_start",
    "latency_cause",
    "parse_sentences",
    "check_latency_budget",
    "check_name_and_size",
    "check_redirect_strategy",
    "check_token_accepted",
    "start_download",
]
