"""HMAC-signed tokens and URLs.

Three kinds, each with its own key: access tokens (who is signed in), download
tokens (one file, one user, one minute) and streaming URL signatures (what the
"NAS" trusts). Tokens are compact ``base64url(json payload).base64url(hmac)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_MAX_TOKEN_LENGTH = 4096


class TokenError(Exception):
    """A token or signature was refused; `reason` is a short machine-readable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    # Strict: the alphabet check rejects '+', '/', '=' and whitespace that the
    # stdlib decoder would silently accept or skip.
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise TokenError("malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("malformed") from exc


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


# Called with (kind, secret) for every token or signature handed out (see issued_secrets.py).
OnIssue = Callable[[str, str], None]


def _ignore_issue(kind: str, secret: str) -> None:
    pass


class TokenCodec:
    """Issues and verifies signed tokens of one type (`typ` claim).

    `check_signature` / `check_expiry` exist only so security faults can switch a check off.
    """

    def __init__(
        self,
        key: bytes,
        token_type: str,
        clock: Callable[[], float],
        *,
        check_signature: bool = True,
        check_expiry: bool = True,
        on_issue: OnIssue = _ignore_issue,
    ) -> None:
        self._key = key
        self.token_type = token_type
        self._clock = clock
        self._check_signature = check_signature
        self._check_expiry = check_expiry
        self._on_issue = on_issue

    def issue(self, claims: dict[str, Any], lifetime: int) -> tuple[str, dict[str, Any]]:
        payload = {
            "typ": self.token_type,
            **claims,
            "exp": int(self._clock()) + lifetime,
            # Random id: lets an access token be revoked, and makes two tokens
            # issued in the same second differ.
            "jti": secrets.token_urlsafe(12),
        }
        encoded = b64url_encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        signature = b64url_encode(_mac(self._key, encoded.encode("ascii")))
        token = f"{encoded}.{signature}"
        self._on_issue(f"{self.token_type}-token", token)
        return token, payload

    def verify(self, token: str) -> dict[str, Any]:
        """Return the claims of a valid, unexpired token; raise TokenError otherwise."""
        if not token or len(token) > _MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise TokenError("malformed")
        encoded, signature_text = token.split(".")
        signature = b64url_decode(signature_text)
        b64url_decode(encoded)  # alphabet check before touching the MAC
        # Signature first: nothing from an unauthenticated payload is parsed.
        if self._check_signature and not hmac.compare_digest(signature, _mac(self._key, encoded.encode("ascii"))):
            raise TokenError("bad_signature")
        try:
            claims = json.loads(b64url_decode(encoded))
        except ValueError as exc:
            raise TokenError("malformed") from exc
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            raise TokenError("malformed")
        if claims.get("typ") != self.token_type:
            raise TokenError("wrong_type")
        if self._check_expiry and self._clock() >= claims["exp"]:
            raise TokenError("expired")
        return claims


class AccessTokens:
    """Access tokens with server-side revocation (sign-out)."""

    def __init__(
        self,
        key: bytes,
        lifetime: int,
        clock: Callable[[], float],
        *,
        check_signature: bool = True,
        on_issue: OnIssue = _ignore_issue,
    ) -> None:
        self._codec = TokenCodec(key, "access", clock, check_signature=check_signature, on_issue=on_issue)
        self._clock = clock
        self.lifetime = lifetime
        self._revoked: dict[str, int] = {}  # jti -> exp, forgotten once expired anyway

    def issue(self, username: str) -> str:
        token, _ = self._codec.issue({"sub": username}, self.lifetime)
        return token

    def verify(self, token: str) -> dict[str, Any]:
        claims = self._codec.verify(token)
        if claims.get("jti") in self._revoked:
            raise TokenError("revoked")
        if not isinstance(claims.get("sub"), str):
            raise TokenError("malformed")
        return claims

    def revoke(self, claims: dict[str, Any]) -> None:
        now = self._clock()
        self._revoked = {jti: exp for jti, exp in self._revoked.items() if exp > now}
        self._revoked[str(claims["jti"])] = int(claims["exp"])


class DownloadTokens:
    """Short-lived tokens bound to one file and one user."""

    def __init__(
        self,
        key: bytes,
        lifetime: int,
        clock: Callable[[], float],
        *,
        check_signature: bool = True,
        check_expiry: bool = True,
        check_file: bool = True,
        on_issue: OnIssue = _ignore_issue,
    ) -> None:
        self._codec = TokenCodec(
            key, "download", clock, check_signature=check_signature, check_expiry=check_expiry, on_issue=on_issue
        )
        self.lifetime = lifetime
        self._check_file = check_file

    def issue(self, file_id: str, username: str) -> str:
        token, _ = self._codec.issue({"fid": file_id, "sub": username}, self.lifetime)
        return token

    def verify(self, token: str, file_id: str) -> dict[str, Any]:
        claims = self._codec.verify(token)
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("fid"), str):
            raise TokenError("malformed")
        if self._check_file and not hmac.compare_digest(claims["fid"].encode(), file_id.encode()):
            raise TokenError("wrong_file")
        return claims


class StreamUrlSigner:
    """Signs the streaming ("NAS") URLs: HMAC over file id, user and expiry."""

    PATH_PREFIX = "/nas/v1/stream/"

    def __init__(
        self,
        key: bytes,
        lifetime: int,
        clock: Callable[[], float],
        *,
        check_signature: bool = True,
        sign_expiry: bool = True,
        on_issue: OnIssue = _ignore_issue,
    ) -> None:
        self._key = key
        self.lifetime = lifetime
        self._clock = clock
        self._check_signature = check_signature
        self._sign_expiry = sign_expiry
        self._on_issue = on_issue

    def _signature(self, file_id: str, user: str, expires: int) -> str:
        signed_expiry = expires if self._sign_expiry else "-"
        message = f"stream-v1\n{file_id}\n{user}\n{signed_expiry}".encode()
        return b64url_encode(_mac(self._key, message))

    def sign(self, file_id: str, user: str) -> str:
        """Root-relative streaming URL for `file_id`, valid `lifetime` seconds."""
        expires = int(self._clock()) + self.lifetime
        signature = self._signature(file_id, user, expires)
        self._on_issue("stream-signature", signature)
        query = urlencode({"user": user, "expires": expires, "sig": signature})
        return f"{self.PATH_PREFIX}{quote(file_id, safe='')}?{query}"

    def verify(self, file_id: str, user: str | None, expires: str | None, sig: str | None) -> None:
        if not user or not sig or not expires or len(expires) > 12:
            raise TokenError("malformed")
        if not (expires.isascii() and expires.isdigit()):
            raise TokenError("malformed")
        expected = self._signature(file_id, user, int(expires))
        if self._check_signature and not hmac.compare_digest(sig.encode(), expected.encode()):
            raise TokenError("bad_signature")
        if self._clock() >= int(expires):
            raise TokenError("expired")
