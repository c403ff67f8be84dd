"""Faults the reference Harbor can be started with: what the download PRD suspects, made real.

Each fault changes real behaviour (frontend code paths, server timing, headers, tokens); the suite
never reads which faults are on. Start with `--fault NAME[=VALUE]` (repeatable, or comma-separated)
or the environment variable HARBOR_REFERENCE_FAULTS="name[=value],...". VALUE is in seconds for
the delays, in MiB/s for throughputs, in MiB for thresholds, a count for `connection-reset-once`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

ENV_VAR = "HARBOR_REFERENCE_FAULTS"


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    default: float | None = None  # the value used when none is given; None: takes no value
    unit: str = ""


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in [
        # -- frontend ---------------------------------------------------------------------------
        Fault("legacy-download-service", "the Download buttons use the old download service: the proxy path (fetch, then blob:)"),
        Fault("large-files-via-proxy", "strategy selection picks proxy for files above a (wrong) size threshold", 256.0, "MiB"),
        Fault("old-endpoint", "the frontend uses the old download endpoint, which buffers the whole file server-side first"),
        Fault("token-dropped", "the frontend navigates to the download URL without the token"),
        Fault("token-wrong-file", "the frontend asks for a token for one file and uses it for another"),
        Fault("stale-frontend", "the served pages and bundle are an older build than the API's"),
        Fault("cache-forever", "HTML pages cached for a year, bundle names not hashed"),
        # -- API and streaming service ----------------------------------------------------------
        Fault("slow-token", "the token endpoint answers after a delay", 2.5, "s"),
        Fault("slow-redirect", "the download endpoint answers its redirect after a delay", 2.5, "s"),
        Fault("slow-stream-start", "the streaming endpoint waits before sending its headers", 2.5, "s"),
        Fault("buffered-stream", "the streaming endpoint reads the whole file (at this NAS speed) before answering", 200.0, "MiB/s"),
        Fault("redirect-chain", "three redirect hops before the stream, each answering after this delay", 0.8, "s"),
        Fault("inline-disposition", "the checksum list is sent inline, so the browser shows it instead of saving it"),
        Fault("stream-down", "the streaming endpoint answers 503; the frontend falls back to the proxy path"),
        Fault("stream-down-no-fallback", "the streaming endpoint answers 503 and the frontend has no fallback"),
        Fault("no-content-length", "the stream is sent chunked, without Content-Length"),
        Fault("stream-stops-early", "the stream announces the whole Content-Length, then closes the connection after this much", 8.0, "MiB"),
        # -- network ------------------------------------------------------------------------------
        Fault("connection-reset-once", "the first N download-token requests (a Download click's first request) get "
              "their TCP connection reset, with no HTTP response", 1.0, "requests"),
        # -- security: each one breaks one check of tests/e2e/test_security.py ------------------
        Fault("token-not-required", "the download endpoint redirects to the stream without a download token"),
        Fault("download-token-unsigned", "download tokens are accepted without checking their signature"),
        Fault("token-any-file", "a download token is accepted for any file"),
        Fault("no-expiry-check", "expired download tokens are accepted"),
        Fault("long-lived-token", "download tokens live this long", 86400.0, "s"),
        Fault("unsigned-stream", "the streaming service does not check the URL signature"),
        Fault("stream-expiry-unsigned", "the streaming URL signature does not cover its expiry, so it can be extended"),
        Fault("stream-refusal-with-body", "a refused streaming URL answers 403 but sends the file body anyway"),
        Fault("token-api-open", "the token endpoint issues download tokens without an access token"),
        Fault("access-token-unsigned", "access tokens are accepted without checking their signature"),
        Fault("logout-ineffective", "sign-out answers 204 but does not revoke the access token"),
        Fault("error-page-200", "refusals (401/403) come back as 200 HTML error pages"),
        Fault("referrer-leak", "responses carry Referrer-Policy: unsafe-url"),
        Fault("token-to-third-party", "the frontend reports each download URL, token included, to an analytics origin"),
    ]
}


def parse_faults(specs: Iterable[str]) -> dict[str, float | None]:
    """{"slow-token": 2.5, ...} from ["slow-token=2.5", "token-dropped,cache-forever"]; ValueError naming a bad one."""
    faults: dict[str, float | None] = {}
    for spec in specs:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, _, raw = item.partition("=")
            fault = FAULTS.get(name.strip())
            if fault is None:
                raise ValueError(f"unknown fault {name.strip()!r}; known faults: {', '.join(FAULTS)}")
            if raw and fault.default is None:
                raise ValueError(f"fault {fault.name!r} takes no value")
            try:
                faults[fault.name] = float(raw) if raw else fault.default
            except ValueError:
                raise ValueError(f"fault {fault.name!r} needs a number ({fault.unit}), got {raw!r}") from None
    return faults


def faults_from_environment(environ: Mapping[str, str]) -> dict[str, float | None]:
    return parse_faults([environ.get(ENV_VAR, "")])
