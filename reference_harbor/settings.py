"""Settings of one reference Harbor process.

Everything a test (or a later fault-injection option) may want to vary lives in
`HarborSettings`, so that `create_app(settings)` is the only entry point.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "harbor-demo-pass"
OTHER_USERNAME = "other"
OTHER_PASSWORD = "harbor-other-pass"

STRATEGIES = ("redirect", "proxy")


def _random_secret() -> bytes:
    # Per-process secrets: tokens and signed URLs never survive a restart,
    # which is what a test suite wants from a throwaway server.
    return secrets.token_bytes(32)


def _default_users() -> dict[str, str]:
    return {DEMO_USERNAME: DEMO_PASSWORD, OTHER_USERNAME: OTHER_PASSWORD}


@dataclass
class HarborSettings:
    """Options of the reference Harbor; every field has a sensible default."""

    # username -> password
    users: dict[str, str] = field(default_factory=_default_users)
    # Three independent keys, so a token of one kind can never pass as another.
    access_token_secret: bytes = field(default_factory=_random_secret)
    download_token_secret: bytes = field(default_factory=_random_secret)
    stream_url_secret: bytes = field(default_factory=_random_secret)
    # Lifetimes in seconds.
    access_token_lifetime: int = 3600
    token_lifetime: int = 60  # download tokens (the contract's "short-lived")
    stream_url_lifetime: int = 300
    # The release this Harbor "is"; the build id is derived from the asset hashes
    # unless overridden (e.g. to simulate a deploy without changing the bundle).
    version: str = "2.0.0"
    build_id: str | None = None
    # Frontend behaviour rendered into every page's #harbor-config block.
    strategy_override: str | None = None  # None, "redirect" or "proxy"
    debug_downloads: bool = False  # same as ?debug=1 on every page
    # Where sha256 digests of generated files are cached; None = XDG cache dir.
    digest_cache_dir: Path | None = None
    use_digest_cache: bool = True
    # Injectable clock (seconds since the epoch) so tests can expire tokens.
    clock: Callable[[], float] = time.time
    # The legacy proxy path goes through the API server: this caps its throughput (MiB/s), as a
    # proxying API server does; 0 = no cap.
    proxy_throughput_mib_s: float = 100.0
    # Switched-on faults (see faults.py): name -> value (seconds, MiB/s, MiB) or None.
    faults: dict[str, float | None] = field(default_factory=dict)
    # Where to record every token and signature handed out (the suite's secret scan); None = nowhere.
    issued_secrets_file: Path | None = None

    def fault(self, name: str) -> bool:
        return name in self.faults

    def fault_value(self, name: str) -> float:
        value = self.faults[name]
        assert value is not None, f"fault {name} takes no value"
        return value

    def __post_init__(self) -> None:
        if self.strategy_override not in (None, *STRATEGIES):
            raise ValueError(f"strategy_override must be one of {STRATEGIES} or None")
        from .faults import FAULTS  # late: faults.py documents the names, settings only hold them

        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults: {', '.join(sorted(unknown))}")
        for name in ("access_token_lifetime", "token_lifetime", "stream_url_lifetime"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
