"""Tiny broken "deployments" on 127.0.0.1, for proving the suite's one-line set-up messages.

Each is as small as its fault allows: a port nobody listens on, a server that accepts and never
answers, one that answers a TLS handshake with plain text, and a Harbor look-alike whose pages
load slowly, whose sign-in says the account is locked, or whose dashboard has no table.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

# How long a stuck request is held at most (the suite's own bound is far shorter).
HOLD_S = 60.0

_LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="harbor-build" content="fake-1"><title>Sign in</title></head><body>
<h1>Sign in</h1>
<form id="form"><label for="username">Username</label><input id="username">
<label for="password">Password</label><input id="password" type="password">
<p id="alert" role="alert"></p><button type="submit">Sign in</button></form>
<script>
document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/auth/login", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({username: username.value, password: password.value}),
  });
  if (response.ok) { location.assign("/dashboard"); return; }
  const body = await response.json().catch(() => ({}));
  document.getElementById("alert").textContent = "Sign-in failed: " + (body.detail || response.status);
});
</script></body></html>"""
_DASHBOARD_WITHOUT_TABLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="harbor-build" content="fake-1"><title>Deployments</title></head><body>
<h1>Deployments</h1><p>Nothing to show.</p></body></html>"""


class _RawServer:
    """Accepts connections and hands each to `on_connection` (in a thread of its own)."""

    def __init__(self, on_connection: Callable[[socket.socket, threading.Event], None]) -> None:
        self.stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._on_connection = on_connection
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self._connections.append(connection)
            threading.Thread(target=self._on_connection, args=(connection, self.stopped), daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()


def _never_answer(connection: socket.socket, stopped: threading.Event) -> None:
    stopped.wait(HOLD_S)


def _answer_tls_with_plain_text(connection: socket.socket, stopped: threading.Event) -> None:
    try:
        connection.recv(4096)  # the ClientHello
        connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    connection.close()


class FakeHarbor:
    """An HTTP server playing one broken deployment; `kind` is one of KINDS."""

    KINDS = ("not-harbor", "slow-pages", "account-locked", "no-table")

    def __init__(self, kind: str) -> None:
        assert kind in self.KINDS, kind
        self.kind = kind
        self.stopped = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def send(self, status: int, content_type: str, body: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if fake.kind == "not-harbor":
                    self.send(404, "text/html", "<h1>Not Found</h1>")
                elif path == "/api/version":
                    self.send(200, "application/json", json.dumps({"version": "2.0.0", "build": "fake-1"}))
                elif fake.kind == "slow-pages":
                    fake.stopped.wait(HOLD_S)
                elif path == "/login":
                    self.send(200, "text/html", _LOGIN_PAGE)
                elif path == "/dashboard":
                    self.send(200, "text/html", _DASHBOARD_WITHOUT_TABLE)
                else:
                    self.send(404, "application/json", json.dumps({"error": "not_found"}))

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/api/auth/login":
                    self.send(404, "application/json", json.dumps({"error": "not_found"}))
                elif fake.kind == "account-locked":
                    self.send(423, "application/json", json.dumps({"error": "account_locked", "detail": "This account is locked"}))
                else:
                    body = {"access_token": "fake-access-token-0123456789", "token_type": "bearer", "expires_in": 3600}
                    self.send(200, "application/json", json.dumps(body))

        return Handler


class BrokenEndpoint:
    """A deployment URL that fails below HTTP: nothing listening, never answering, or not TLS."""

    KINDS = ("unreachable", "never-answers", "not-tls")

    def __init__(self, kind: str) -> None:
        assert kind in self.KINDS, kind
        self._server: _RawServer | None = None
        if kind == "unreachable":
            with socket.create_server(("127.0.0.1", 0)) as probe:
                port = probe.getsockname()[1]  # free, and closed again: connections are refused
            self.base_url = f"http://127.0.0.1:{port}"
            return
        self._server = _RawServer(_never_answer if kind == "never-answers" else _answer_tls_with_plain_text)
        scheme = "https" if kind == "not-tls" else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self._server.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
