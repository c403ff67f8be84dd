"""The reference Harbor ASGI application."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from html import escape
import time
from typing import Any

import anyio
import anyio.lowlevel
import prometheus_client
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .assets import AssetBundle
from .catalog import Catalog, CatalogFile, build_catalog
from .connection_faults import ConnectionCloseMiddleware
from .content import DigestCache
from .faults import FAULTS
from .issued_secrets import IssuedSecretsLog
from .http_utils import ByteRange, RangeNotSatisfiable, content_disposition, parse_range
from .pages import dashboard_page, login_page, not_found_page
from .settings import HarborSettings
from .signing import AccessTokens, DownloadTokens, StreamUrlSigner, TokenError

HTML_CACHE_CONTROL = "no-cache"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
CACHE_FOREVER = "public, max-age=31536000"  # the `cache-forever` fault, for pages and unhashed bundles
MIB = 1 << 20
REDIRECT_CHAIN_HOPS = 3
API_CACHE_CONTROL = "no-store"


class ApiError(Exception):
    """A refusal rendered as a JSON error body with a proper status."""

    def __init__(self, status_code: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.error = error
        self.detail = detail
        self.headers = headers or {}


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    all_headers = {"Cache-Control": API_CACHE_CONTROL, **(headers or {})}
    return JSONResponse(content, status_code=status_code, headers=all_headers)


def _error_body(error: str, detail: str) -> dict[str, str]:
    return {"error": error, "detail": detail}


class SecurityHeadersMiddleware:
    """Adds the headers every response carries (pure ASGI: keeps streaming intact)."""

    def __init__(self, app: ASGIApp, referrer_policy: str = "no-referrer") -> None:
        self.app = app
        # no-referrer: download URLs carry tokens in their query, so no URL of ours goes anywhere as a Referer.
        self.headers = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", referrer_policy.encode("ascii")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class FileBodyResponse:
    """Streams (part of) a generated file body.

    Headers go out first, then the body in chunks of at most 1 MiB generated on
    demand: nothing is read ahead, `send` back-pressure keeps memory flat, and
    a client disconnect stops the generation.
    """

    def __init__(
        self,
        file: CatalogFile,
        byte_range: ByteRange,
        status_code: int,
        headers: dict[str, str],
        *,
        throughput_bytes_s: float | None = None,
        buffer_first_bytes_s: float | None = None,
        stop_after_bytes: int | None = None,
    ) -> None:
        self.file = file
        self.byte_range = byte_range
        self.status_code = status_code
        self.headers = headers
        # A cap on the body's pace (the legacy proxy path through the API server).
        self.throughput_bytes_s = throughput_bytes_s
        # The `buffered-stream` / old-endpoint behaviour: read the whole range, at this NAS
        # speed, into memory before the headers go out.
        self.buffer_first_bytes_s = buffer_first_bytes_s
        # The `stream-stops-early` fault: the headers promise the whole range, the body ends here.
        self.stop_after_bytes = stop_after_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        buffered: list[bytes] | None = None
        if self.buffer_first_bytes_s and scope["method"] != "HEAD":
            buffered = []
            read_started = time.monotonic()
            for chunk in self.file.body.iter_range(self.byte_range.start, self.byte_range.stop):
                buffered.append(bytes(chunk))
                await _pace(read_started, sum(map(len, buffered)), self.buffer_first_bytes_s)
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw_headers})
        if scope["method"] == "HEAD" or self.byte_range.length == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        chunks = buffered if buffered is not None else self.file.body.iter_range(self.byte_range.start, self.byte_range.stop)

        async with anyio.create_task_group() as task_group:

            async def stop_on_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                task_group.cancel_scope.cancel()

            task_group.start_soon(stop_on_disconnect)
            sent, send_started = 0, time.monotonic()
            for chunk in chunks:
                if self.stop_after_bytes is not None and sent + len(chunk) > self.stop_after_bytes:
                    chunk = chunk[: self.stop_after_bytes - sent]
                    if chunk:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    # Return with the response unfinished: the server then closes the connection
                    # (uvicorn: "ASGI callable returned without completing response"), as a
                    # streaming service that dies mid-file does; the client sees a short body.
                    task_group.cancel_scope.cancel()
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
                if self.throughput_bytes_s:
                    await _pace(send_started, sent, self.throughput_bytes_s)
                # A yield point per chunk, so a disconnect is noticed even when
                # the server's send() returns without waiting.
                await anyio.lowlevel.checkpoint()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            task_group.cancel_scope.cancel()


async def _pace(started: float, done_bytes: int, bytes_per_s: float) -> None:
    """Sleep until `done_bytes` at `bytes_per_s` since `started` would be due."""
    delay = started + done_bytes / bytes_per_s - time.monotonic()
    if delay > 0:
        await anyio.sleep(delay)


async def _fault_delay(settings: HarborSettings, fault: str) -> None:
    if settings.fault(fault):
        await anyio.sleep(settings.fault_value(fault))


class HarborService:
    """State of one reference Harbor and its request handlers."""

    def __init__(self, settings: HarborSettings) -> None:
        self.settings = settings
        self.digest_cache = DigestCache(settings.digest_cache_dir, enabled=settings.use_digest_cache)
        self.catalog: Catalog = build_catalog(self.digest_cache)
        self.assets = AssetBundle.load(settings.version, hashed=not settings.fault("cache-forever"))
        self.build_id = settings.build_id or self.assets.build_id
        # What pages say they are: an older build than the API's under `stale-frontend`.
        self.page_build_id = self.build_id
        if settings.fault("stale-frontend"):
            older = hashlib.sha256(f"before {self.build_id}".encode()).hexdigest()[:12]
            self.page_build_id = f"{settings.version}-{older}"
        self.html_cache_control = CACHE_FOREVER if settings.fault("cache-forever") else HTML_CACHE_CONTROL
        self.asset_cache_control = CACHE_FOREVER if settings.fault("cache-forever") else ASSET_CACHE_CONTROL
        # redirect-chain: hop id -> where the last hop goes (the signed streaming URL).
        self.redirect_hops: dict[str, str] = {}
        clock = settings.clock
        fault = settings.fault
        self.issued_secrets = IssuedSecretsLog(settings.issued_secrets_file)
        record = self.issued_secrets.record
        self.access_tokens = AccessTokens(
            settings.access_token_secret, settings.access_token_lifetime, clock,
            check_signature=not fault("access-token-unsigned"), on_issue=record,
        )
        token_lifetime = int(settings.fault_value("long-lived-token")) if fault("long-lived-token") else settings.token_lifetime
        self.download_tokens = DownloadTokens(
            settings.download_token_secret, token_lifetime, clock,
            check_signature=not fault("download-token-unsigned"),
            check_expiry=not fault("no-expiry-check"),
            check_file=not fault("token-any-file"),
            on_issue=record,
        )
        self.stream_urls = StreamUrlSigner(
            settings.stream_url_secret, settings.stream_url_lifetime, clock,
            check_signature=not fault("unsigned-stream"),
            sign_expiry=not fault("stream-expiry-unsigned"),
            on_issue=record,
        )

    # -- helpers -----------------------------------------------------------------

    def frontend_config(self) -> dict[str, Any]:
        # Rendered into every page (#harbor-config): the switchboard through
        # which server-side options change frontend behaviour.
        fault = self.settings.fault
        config: dict[str, Any] = {
            "version": self.settings.version,
            "build": self.page_build_id,
            "debug": self.settings.debug_downloads,
            "strategyOverride": self.settings.strategy_override,
        }
        # Faults switch real code paths of the frontend (see download-service.js).
        if fault("legacy-download-service"):
            config["downloadService"] = "legacy"
        if fault("large-files-via-proxy"):
            config["proxyAboveBytes"] = int(self.settings.fault_value("large-files-via-proxy") * MIB)
        if fault("old-endpoint"):
            config["downloadEndpoint"] = "v1"
        if fault("token-dropped"):
            config["dropToken"] = True
        if fault("token-wrong-file"):
            config["tokenForNeighbour"] = True
        if fault("stream-down-no-fallback"):
            config["fallbackToProxy"] = False
        if fault("token-to-third-party"):
            config["analyticsBeacon"] = True
        return config

    def html(self, content: str, status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(content, status_code=status_code, headers={"Cache-Control": self.html_cache_control})

    def authenticate(self, request: Request) -> dict[str, Any]:
        """Claims of the request's valid Bearer access token, else ApiError 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "Sign in first.", {"WWW-Authenticate": "Bearer"})
        try:
            claims = self.access_tokens.verify(token.strip())
        except TokenError as exc:
            raise ApiError(
                401, "invalid_token", f"The access token was refused ({exc.reason}).",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from exc
        if claims["sub"] not in self.settings.users:
            raise ApiError(401, "invalid_token", "Unknown user.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return claims

    def file_or_404(self, file_id: str) -> CatalogFile:
        file = self.catalog.get(file_id)
        if file is None:
            raise ApiError(404, "not_found", f"No file with id {file_id!r}.")
        return file

    def file_headers(self, file: CatalogFile, length: int) -> dict[str, str]:
        inline = self.settings.fault("inline-disposition") and file.name.startswith("SHA256SUMS")
        return {
            "Content-Type": file.content_type,
            "Content-Length": str(length),
            "Content-Disposition": content_disposition(file.name, "inline" if inline else "attachment"),
            "Accept-Ranges": "bytes",
            "ETag": f'"{file.sha256[:32]}"',
            "Cache-Control": "private, no-store",
        }

    # -- pages ---------------------------------------------------------------------

    async def root(self, request: Request) -> Response:
        return RedirectResponse("/dashboard", status_code=302, headers={"Cache-Control": HTML_CACHE_CONTROL})

    async def login_page(self, request: Request) -> Response:
        return self.html(login_page(self.assets, self.page_build_id, self.frontend_config()))

    async def dashboard_page(self, request: Request) -> Response:
        return self.html(dashboard_page(self.assets, self.page_build_id, self.frontend_config()))

    async def asset(self, request: Request) -> Response:
        asset = self.assets.by_hashed_name(request.path_params["name"])
        if asset is None:
            raise ApiError(404, "not_found", "No such asset.")
        return Response(asset.content, media_type=asset.content_type, headers={"Cache-Control": self.asset_cache_control})

    # -- API -----------------------------------------------------------------------

    async def analytics_collect(self, request: Request) -> Response:
        # Stands in for a third-party analytics service (the `token-to-third-party` fault's
        # frontend reports to it from another origin); it keeps nothing.
        return Response(status_code=204, headers={"Cache-Control": API_CACHE_CONTROL})

    async def version(self, request: Request) -> Response:
        return json_response({"version": self.settings.version, "build": self.build_id})

    async def login(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "bad_request", "Expected a JSON body.") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "bad_request", "Expected a JSON object.")
        username, password = body.get("username"), body.get("password")
        expected = self.settings.users.get(username) if isinstance(username, str) else None
        # Compare even for unknown users, so timing does not reveal valid names.
        candidate = password if isinstance(password, str) else ""
        valid = hmac.compare_digest(candidate.encode(), (expected or "\x00invalid").encode())
        if expected is None or not valid:
            raise ApiError(401, "invalid_credentials", "Wrong username or password")
        token = self.access_tokens.issue(username)
        return json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": self.settings.access_token_lifetime}
        )

    async def logout(self, request: Request) -> Response:
        claims = self.authenticate(request)
        if not self.settings.fault("logout-ineffective"):
            self.access_tokens.revoke(claims)
        return Response(status_code=204, headers={"Cache-Control": API_CACHE_CONTROL})

    async def releases(self, request: Request) -> Response:
        self.authenticate(request)
        return json_response(self.catalog.to_api())

    async def download_token(self, request: Request) -> Response:
        if self.settings.fault("token-api-open") and "authorization" not in request.headers:
            claims = {"sub": next(iter(self.settings.users))}  # the fault: anyone gets the first user's tokens
        else:
            claims = self.authenticate(request)
        file = self.file_or_404(request.path_params["file_id"])
        await _fault_delay(self.settings, "slow-token")
        token = self.download_tokens.issue(file.id, claims["sub"])
        return json_response(
            {
                "token": token,
                "expires_in": self.download_tokens.lifetime,
                "download_url": f"/api/files/{file.id}/download?token={token}",
            }
        )

    def verified_download(self, request: Request) -> tuple[CatalogFile, str]:
        """The file and user of a download request's valid token, else a 401/403 ApiError."""
        file = self.file_or_404(request.path_params["file_id"])
        token = request.query_params.get("token")
        if not token:
            if self.settings.fault("token-not-required"):
                return file, next(iter(self.settings.users))
            raise ApiError(401, "missing_token", "A download token is required.")
        try:
            claims = self.download_tokens.verify(token, file.id)
        except TokenError as exc:
            error = {"expired": "expired_token", "wrong_file": "wrong_file"}.get(exc.reason, "invalid_token")
            raise ApiError(403, error, f"The download token was refused ({exc.reason}).") from exc
        user = claims["sub"]
        if user not in self.settings.users:
            raise ApiError(403, "wrong_user", "The download token's user is unknown.")
        # A browser navigation carries no Authorization header; an API client
        # that does send one must be the token's user.
        if "authorization" in request.headers:
            try:
                bearer_user = self.authenticate(request)["sub"]
            except ApiError as exc:
                raise ApiError(403, "wrong_user", "The Authorization header does not match the token.") from exc
            if bearer_user != user:
                raise ApiError(403, "wrong_user", "The download token was issued for another user.")
        return file, user

    async def download(self, request: Request) -> Response:
        file, user = self.verified_download(request)
        await _fault_delay(self.settings, "slow-redirect")
        location = self.stream_urls.sign(file.id, user)
        if self.settings.fault("redirect-chain"):
            hop_id = secrets.token_urlsafe(12)
            self.redirect_hops[hop_id] = location
            location = f"/nas/v1/hop/1/{hop_id}"
        return RedirectResponse(location, status_code=302, headers={"Cache-Control": API_CACHE_CONTROL})

    async def redirect_hop(self, request: Request) -> Response:
        """One extra hop of the `redirect-chain` fault: wait, then on to the next hop or the stream."""
        number, hop_id = int(request.path_params["number"]), request.path_params["hop_id"]
        if hop_id not in self.redirect_hops or not 1 <= number <= REDIRECT_CHAIN_HOPS:
            raise ApiError(404, "not_found", "No such hop.")
        await _fault_delay(self.settings, "redirect-chain")
        if number < REDIRECT_CHAIN_HOPS:
            location = f"/nas/v1/hop/{number + 1}/{hop_id}"
        else:
            location = self.redirect_hops.pop(hop_id)
        return RedirectResponse(location, status_code=302, headers={"Cache-Control": API_CACHE_CONTROL})

    async def download_v1(self, request: Request) -> FileBodyResponse:
        """The old download endpoint (only the `old-endpoint` fault's frontend uses it): no redirect,
        the API server reads the whole file from the NAS first, then sends it."""
        file, _ = self.verified_download(request)
        nas_speed = self.settings.faults.get("buffered-stream") or FAULTS["buffered-stream"].default
        assert nas_speed is not None
        return FileBodyResponse(
            file, ByteRange(0, file.size), 200, self.file_headers(file, file.size), buffer_first_bytes_s=nas_speed * MIB
        )

    async def content(self, request: Request) -> Response | FileBodyResponse:
        self.authenticate(request)
        file = self.file_or_404(request.path_params["file_id"])
        throughput = self.settings.proxy_throughput_mib_s * MIB or None
        return FileBodyResponse(
            file, ByteRange(0, file.size), 200, self.file_headers(file, file.size), throughput_bytes_s=throughput
        )

    # -- streaming ("NAS") service -----------------------------------------------------

    async def stream(self, request: Request) -> Response | FileBodyResponse:
        file = self.file_or_404(request.path_params["file_id"])
        params = request.query_params
        try:
            self.stream_urls.verify(file.id, params.get("user"), params.get("expires"), params.get("sig"))
        except TokenError as exc:
            error = "expired_signature" if exc.reason == "expired" else "invalid_signature"
            if self.settings.fault("stream-refusal-with-body"):
                # The fault: the right refusal status, but the file's body all the same.
                return FileBodyResponse(file, ByteRange(0, file.size), 403, self.file_headers(file, file.size))
            raise ApiError(403, error, f"The streaming URL was refused ({exc.reason}).") from exc
        if params["user"] not in self.settings.users:
            raise ApiError(403, "wrong_user", "Unknown user.")
        if self.settings.fault("stream-down") or self.settings.fault("stream-down-no-fallback"):
            raise ApiError(503, "unavailable", "The streaming service is unavailable.", {"Retry-After": "30"})
        await _fault_delay(self.settings, "slow-stream-start")

        headers = self.file_headers(file, file.size)
        range_header = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if if_range is not None and if_range.strip() != headers["ETag"]:
            range_header = None  # the client's partial copy is stale: send everything
        try:
            byte_range = parse_range(range_header, file.size)
        except RangeNotSatisfiable:
            return json_response(
                _error_body("range_not_satisfiable", "The requested range is outside the file."),
                status_code=416,
                headers={"Content-Range": f"bytes */{file.size}", "Accept-Ranges": "bytes"},
            )
        status = 200 if byte_range is None else 206
        if byte_range is None:
            byte_range = ByteRange(0, file.size)
        else:
            headers["Content-Length"] = str(byte_range.length)
            headers["Content-Range"] = byte_range.content_range(file.size)
        if self.settings.fault("no-content-length"):
            del headers["Content-Length"]  # the server then sends the body chunked
        buffered = self.settings.faults.get("buffered-stream") if self.settings.fault("buffered-stream") else None
        stops_early = self.settings.fault("stream-stops-early")
        return FileBodyResponse(
            file,
            byte_range,
            status,
            headers,
            buffer_first_bytes_s=buffered * MIB if buffered else None,
            stop_after_bytes=int(self.settings.fault_value("stream-stops-early") * MIB) if stops_early else None,
        )

    # -- monitoring ----------------------------------------------------------------

    async def metrics(self, request: Request) -> Response:
        """Prometheus metrics: the default collectors, among them the process's
        `process_resident_memory_bytes`, which the suite samples during a full download."""
        return Response(
            prometheus_client.generate_latest(prometheus_client.REGISTRY),
            media_type=prometheus_client.CONTENT_TYPE_LATEST,
            headers={"Cache-Control": API_CACHE_CONTROL},
        )

    # -- errors --------------------------------------------------------------------

    async def on_api_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if self.settings.fault("error-page-200") and exc.status_code in (401, 403):
            # The fault: a refusal dressed as a friendly page, with status 200.
            page = f"<!doctype html><title>Access denied</title><h1>Access denied</h1><p>{escape(exc.detail)}</p>"
            return HTMLResponse(page, status_code=200, headers={"Cache-Control": API_CACHE_CONTROL})
        return json_response(_error_body(exc.error, exc.detail), exc.status_code, exc.headers)

    async def on_http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404 and not path.startswith(("/api/", "/nas/", "/assets/")):
            return self.html(not_found_page(self.assets, self.page_build_id, self.frontend_config()), status_code=404)
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return json_response(_error_body(error, str(exc.detail)), exc.status_code, dict(exc.headers or {}))


def create_app(settings: HarborSettings | None = None) -> Starlette:
    """Build the reference Harbor; computes (or loads cached) file digests first."""
    service = HarborService(settings or HarborSettings())
    routes = [
        Route("/", service.root),
        Route("/login", service.login_page),
        Route("/dashboard", service.dashboard_page),
        Route("/assets/{name}", service.asset),
        Route("/api/version", service.version),
        Route("/metrics", service.metrics),
        Route("/analytics/collect", service.analytics_collect, methods=["GET", "POST"]),
        Route("/api/auth/login", service.login, methods=["POST"]),
        Route("/api/auth/logout", service.logout, methods=["POST"]),
        Route("/api/releases", service.releases),
        Route("/api/files/{file_id}/download-token", service.download_token, methods=["POST"]),
        Route("/api/files/{file_id}/download", service.download),
        Route("/api/files/{file_id}/content", service.content),
        Route("/api/v1/files/{file_id}/download", service.download_v1),
        Route("/nas/v1/hop/{number}/{hop_id}", service.redirect_hop),
        Route(StreamUrlSigner.PATH_PREFIX + "{file_id}", service.stream),  # GET and HEAD
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SecurityHeadersMiddleware,
                referrer_policy="unsafe-url" if service.settings.fault("referrer-leak") else "no-referrer",
            ),
            # `connection-reset-once`: a fresh connection per request, so the resets reach the page.
            *([Middleware(ConnectionCloseMiddleware)] if service.settings.fault("connection-reset-once") else []),
        ],
        exception_handlers={ApiError: service.on_api_error, HTTPException: service.on_http_error},
    )
    app.state.harbor = service
    return app
