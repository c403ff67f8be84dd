"""The reference Harbor ASGI application."""

from __future__ import annotations

import hmac
from typing import Any

import anyio
import anyio.lowlevel
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .assets import AssetBundle
from .catalog import Catalog, CatalogFile, build_catalog
from .content import DigestCache
from .http_utils import ByteRange, RangeNotSatisfiable, content_disposition, parse_range
from .pages import dashboard_page, login_page, not_found_page
from .settings import HarborSettings
from .signing import AccessTokens, DownloadTokens, StreamUrlSigner, TokenError

HTML_CACHE_CONTROL = "no-cache"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
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

    HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class FileBodyResponse:
    """Streams (part of) a generated file body.

    Headers go out first, then the body in chunks of at most 1 MiB generated on
    demand: nothing is read ahead, `send` back-pressure keeps memory flat, and
    a client disconnect stops the generation.
    """

    def __init__(self, file: CatalogFile, byte_range: ByteRange, status_code: int, headers: dict[str, str]) -> None:
        self.file = file
        self.byte_range = byte_range
        self.status_code = status_code
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw_headers})
        if scope["method"] == "HEAD" or self.byte_range.length == 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return

        async with anyio.create_task_group() as task_group:

            async def stop_on_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                task_group.cancel_scope.cancel()

            task_group.start_soon(stop_on_disconnect)
            for chunk in self.file.body.iter_range(self.byte_range.start, self.byte_range.stop):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                # A yield point per chunk, so a disconnect is noticed even when
                # the server's send() returns without waiting.
                await anyio.lowlevel.checkpoint()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            task_group.cancel_scope.cancel()


class HarborService:
    """State of one reference Harbor and its request handlers."""

    def __init__(self, settings: HarborSettings) -> None:
        self.settings = settings
        self.digest_cache = DigestCache(settings.digest_cache_dir, enabled=settings.use_digest_cache)
        self.catalog: Catalog = build_catalog(self.digest_cache)
        self.assets = AssetBundle.load(settings.version)
        self.build_id = settings.build_id or self.assets.build_id
        clock = settings.clock
        self.access_tokens = AccessTokens(settings.access_token_secret, settings.access_token_lifetime, clock)
        self.download_tokens = DownloadTokens(settings.download_token_secret, settings.token_lifetime, clock)
        self.stream_urls = StreamUrlSigner(settings.stream_url_secret, settings.stream_url_lifetime, clock)

    # -- helpers -----------------------------------------------------------------

    def frontend_config(self) -> dict[str, Any]:
        # Rendered into every page (#harbor-config): the switchboard through
        # which server-side options change frontend behaviour.
        return {
            "version": self.settings.version,
            "build": self.build_id,
            "debug": self.settings.debug_downloads,
            "strategyOverride": self.settings.strategy_override,
        }

    def html(self, content: str, status_code: int = 200) -> HTMLResponse:
        return HTMLResponse(content, status_code=status_code, headers={"Cache-Control": HTML_CACHE_CONTROL})

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
        return {
            "Content-Type": file.content_type,
            "Content-Length": str(length),
            "Content-Disposition": content_disposition(file.name),
            "Accept-Ranges": "bytes",
            "ETag": f'"{file.sha256[:32]}"',
            "Cache-Control": "private, no-store",
        }

    # -- pages ---------------------------------------------------------------------

    async def root(self, request: Request) -> Response:
        return RedirectResponse("/dashboard", status_code=302, headers={"Cache-Control": HTML_CACHE_CONTROL})

    async def login_page(self, request: Request) -> Response:
        return self.html(login_page(self.assets, self.build_id, self.frontend_config()))

    async def dashboard_page(self, request: Request) -> Response:
        return self.html(dashboard_page(self.assets, self.build_id, self.frontend_config()))

    async def asset(self, request: Request) -> Response:
        asset = self.assets.by_hashed_name(request.path_params["name"])
        if asset is None:
            raise ApiError(404, "not_found", "No such asset.")
        return Response(asset.content, media_type=asset.content_type, headers={"Cache-Control": ASSET_CACHE_CONTROL})

    # -- API -----------------------------------------------------------------------

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
        self.access_tokens.revoke(claims)
        return Response(status_code=204, headers={"Cache-Control": API_CACHE_CONTROL})

    async def releases(self, request: Request) -> Response:
        self.authenticate(request)
        return json_response(self.catalog.to_api())

    async def download_token(self, request: Request) -> Response:
        claims = self.authenticate(request)
        file = self.file_or_404(request.path_params["file_id"])
        token = self.download_tokens.issue(file.id, claims["sub"])
        return json_response(
            {
                "token": token,
                "expires_in": self.settings.token_lifetime,
                "download_url": f"/api/files/{file.id}/download?token={token}",
            }
        )

    async def download(self, request: Request) -> Response:
        file = self.file_or_404(request.path_params["file_id"])
        token = request.query_params.get("token")
        if not token:
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
        return RedirectResponse(
            self.stream_urls.sign(file.id, user), status_code=302, headers={"Cache-Control": API_CACHE_CONTROL}
        )

    async def content(self, request: Request) -> Response | FileBodyResponse:
        self.authenticate(request)
        file = self.file_or_404(request.path_params["file_id"])
        return FileBodyResponse(file, ByteRange(0, file.size), 200, self.file_headers(file, file.size))

    # -- streaming ("NAS") service -----------------------------------------------------

    async def stream(self, request: Request) -> Response | FileBodyResponse:
        file = self.file_or_404(request.path_params["file_id"])
        params = request.query_params
        try:
            self.stream_urls.verify(file.id, params.get("user"), params.get("expires"), params.get("sig"))
        except TokenError as exc:
            error = "expired_signature" if exc.reason == "expired" else "invalid_signature"
            raise ApiError(403, error, f"The streaming URL was refused ({exc.reason}).") from exc
        if params["user"] not in self.settings.users:
            raise ApiError(403, "wrong_user", "Unknown user.")

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
        if byte_range is None:
            return FileBodyResponse(file, ByteRange(0, file.size), 200, headers)
        headers["Content-Length"] = str(byte_range.length)
        headers["Content-Range"] = byte_range.content_range(file.size)
        return FileBodyResponse(file, byte_range, 206, headers)

    # -- errors --------------------------------------------------------------------

    async def on_api_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return json_response(_error_body(exc.error, exc.detail), exc.status_code, exc.headers)

    async def on_http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404 and not path.startswith(("/api/", "/nas/", "/assets/")):
            return self.html(not_found_page(self.assets, self.build_id, self.frontend_config()), status_code=404)
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
        Route("/api/auth/login", service.login, methods=["POST"]),
        Route("/api/auth/logout", service.logout, methods=["POST"]),
        Route("/api/releases", service.releases),
        Route("/api/files/{file_id}/download-token", service.download_token, methods=["POST"]),
        Route("/api/files/{file_id}/download", service.download),
        Route("/api/files/{file_id}/content", service.content),
        Route(StreamUrlSigner.PATH_PREFIX + "{file_id}", service.stream),  # GET and HEAD
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={ApiError: service.on_api_error, HTTPException: service.on_http_error},
    )
    app.state.harbor = service
    return app
