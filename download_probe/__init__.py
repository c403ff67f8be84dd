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
    check_repeated_latency,
    check_token_accepted,
    representative,
)
from download_probe.network_failure import CONNECTION_ERRORS, NetworkFailure, network_failure
from download_probe.probe import DownloadAttempt, start_download
from download_probe.redact import REDACTED, Redactor
from download_probe.stats import LatencyStats, nearest_rank
from download_probe.timeline import HARNESS_PHASE, Phase, Timeline, build_timeline, event_delivery_ms

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
    "check_repeated_latency",
    "check_token_accepted",
    "representative",
    "start_download",
    "CONNECTION_ERRORS",
    "NetworkFailure",
    "network_failure",
    "LatencyStats",
    "nearest_rank",
    "HARNESS_PHASE",
    "Phase",
    "Timeline",
    "build_timeline",
    "event_delivery_ms",
]
