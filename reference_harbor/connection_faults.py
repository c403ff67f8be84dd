"""Network faults below HTTP: a TCP connection reset before any response (the `connection-reset-once` fault).

ASGI cannot reset a socket, so this works at the server's connection level: the HTTP protocol of each
new connection is wrapped, and when a connection's first bytes are a request the fault targets (the
download-token request a Download click starts with), the socket is set to SO_LINGER 0 and aborted
before the application sees it: the kernel sends a RST and the client gets no HTTP response at all,
exactly as from a broken network path or a crashing proxy.

Only a connection's first request is looked at, and while the fault is on every response says
`Connection: close`, so each request comes on a fresh connection: a reset of a kept-alive connection
would be retried by the browser by itself (HTTP clients resend on a reused connection that breaks),
and the fault would go unseen.
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import threading
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A download click's first request (the contract's token request), at the start of a connection.
DOWNLOAD_TOKEN_REQUEST = re.compile(rb"^POST /api/files/[^/\s?]+/download-token[\s?]")


class ConnectionResets:
    """Resets the TCP connection of the first `count` requests that match `pattern`, before any response."""

    def __init__(self, count: int, pattern: re.Pattern[bytes] = DOWNLOAD_TOKEN_REQUEST) -> None:
        self.remaining = count
        self.done = 0
        self.pattern = pattern
        self._lock = threading.Lock()

    def take(self, first_bytes: bytes) -> bool:
        """Whether the connection that began with `first_bytes` is to be reset (and count it)."""
        if not self.pattern.match(first_bytes):
            return False
        with self._lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            self.done += 1
            return True

    def protocol(self, inner: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
        """An HTTP protocol class (for uvicorn's `http=`) that wraps `inner` and resets what it must."""
        resets = self

        class ResettingProtocol(asyncio.Protocol):
            def __init__(self, **kwargs: Any) -> None:
                self._inner = inner(**kwargs)
                self._transport: asyncio.Transport | None = None
                self._first = True

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                assert isinstance(transport, asyncio.Transport)
                self._transport = transport
                self._inner.connection_made(transport)

            def data_received(self, data: bytes) -> None:
                if self._first:
                    self._first = False
                    if resets.take(data):
                        reset(self._transport)
                        return
                self._inner.data_received(data)

            def eof_received(self) -> bool | None:
                return self._inner.eof_received()

            def connection_lost(self, exc: Exception | None) -> None:
                self._inner.connection_lost(exc)

            def pause_writing(self) -> None:
                self._inner.pause_writing()

            def resume_writing(self) -> None:
                self._inner.resume_writing()

            def __getattr__(self, name: str) -> Any:
                return getattr(self._inner, name)

        return ResettingProtocol


def reset(transport: asyncio.Transport | None) -> None:
    """Close the connection with a RST (SO_LINGER 0), nothing sent."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class ConnectionCloseMiddleware:
    """Every response says `Connection: close`, so every request comes on a fresh connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_closing)
