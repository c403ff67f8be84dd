"""Command line: ``python -m reference_harbor [--host 127.0.0.1] [--port 0] [options]``.

Prints, flushed, one line ``Reference Harbor running at http://HOST:PORT`` once the
server accepts requests, then the demo credentials; serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from .app import create_app
from .connection_faults import ConnectionResets
from .faults import ENV_VAR, FAULTS, parse_faults
from .issued_secrets import ENV_VAR as ISSUED_SECRETS_ENV_VAR
from .settings import DEMO_PASSWORD, DEMO_USERNAME, STRATEGIES, HarborSettings

READY_PREFIX = "Reference Harbor running at "


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reference_harbor", description="Run the reference Harbor.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind; 0 picks a free one (default 8000)")
    parser.add_argument("--token-lifetime", type=int, default=60, metavar="SECONDS",
                        help="download token lifetime (default 60)")
    parser.add_argument("--access-token-lifetime", type=int, default=3600, metavar="SECONDS",
                        help="access token lifetime (default 3600)")
    parser.add_argument("--stream-url-lifetime", type=int, default=300, metavar="SECONDS",
                        help="lifetime of signed streaming URLs (default 300)")
    parser.add_argument("--build-id", default=None, help="override the build id (default: hash of the assets)")
    parser.add_argument("--strategy-override", choices=STRATEGIES, default=None,
                        help="force every download through this strategy")
    parser.add_argument("--debug-downloads", action="store_true", help="log download steps as if ?debug=1")
    parser.add_argument("--digest-cache-dir", type=Path, default=None,
                        help="where to cache file digests (default $XDG_CACHE_HOME/harbor-reference)")
    parser.add_argument("--no-digest-cache", action="store_true", help="always compute file digests")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME[=VALUE]",
                        help=f"switch on a fault (repeatable or comma-separated; also ${ENV_VAR}); one of: "
                             + ", ".join(FAULTS))
    parser.add_argument("--issued-secrets-file", type=Path, default=os.environ.get(ISSUED_SECRETS_ENV_VAR) or None,
                        metavar="PATH", help="append every token and URL signature handed out to PATH "
                        f"(for the suite's secret scan; also ${ISSUED_SECRETS_ENV_VAR})")
    parser.add_argument("--proxy-throughput", type=float, default=100.0, metavar="MIB_S",
                        help="throughput cap of the legacy proxy path in MiB/s (default 100; 0 = none)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> HarborSettings:
    return HarborSettings(
        token_lifetime=args.token_lifetime,
        access_token_lifetime=args.access_token_lifetime,
        stream_url_lifetime=args.stream_url_lifetime,
        build_id=args.build_id,
        strategy_override=args.strategy_override,
        debug_downloads=args.debug_downloads,
        digest_cache_dir=args.digest_cache_dir,
        use_digest_cache=not args.no_digest_cache,
        proxy_throughput_mib_s=args.proxy_throughput,
        faults=parse_faults([os.environ.get(ENV_VAR, ""), *args.fault]),
        issued_secrets_file=args.issued_secrets_file,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen before printing, so ``--port 0`` hands out a port nobody can steal."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _AnnouncingServer(uvicorn.Server):
    """uvicorn server that prints the ready line once it is really serving."""

    def __init__(self, config: uvicorn.Config, announcement: str) -> None:
        super().__init__(config)
        self._announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            print(self._announcement, flush=True)


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises the signal it shut down for; ending here turns that
    # into a clean exit (status 0) instead of death by signal.
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_quietly)
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sock = bind_socket(args.host, args.port)
    app = create_app(settings)  # computes file digests (or reads them from the cache)
    url = base_url(sock)
    announcement = "\n".join(
        [
            f"{READY_PREFIX}{url}",
            f"build: {app.state.harbor.build_id}",
            *([f"faults: {', '.join(settings.faults)}"] if settings.faults else []),
            f"username: {DEMO_USERNAME}",
            f"password: {DEMO_PASSWORD}",
            f"Open {url}/login in a browser and sign in; Ctrl+C stops the server.",
        ]
    )
    http: Any = "auto"
    if settings.fault("connection-reset-once"):
        # Below HTTP: the first N download-token requests' connections are reset (connection_faults.py).
        resets = ConnectionResets(int(settings.fault_value("connection-reset-once")))
        http = resets.protocol(import_from_string(HTTP_PROTOCOLS["auto"]))
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=False,
        lifespan="off",
        # Do not wait forever for a paused download when asked to stop.
        timeout_graceful_shutdown=3,
        http=http,
    )
    server = _AnnouncingServer(config, announcement)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
