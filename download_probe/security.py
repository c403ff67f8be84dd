"""Security checks of a download service: refusals that really refuse, tokens that stay home, a safe
referrer policy. Each check returns problems (a stable code and a plain sentence), like checks.py.

Knows nothing of Harbor: it reads HTTP answers (status, headers, the first bytes of a body) and
captured browser traffic; which URL was asked and what refusal the contract expects is the caller's.
Sentences never hold a secret: URLs appear as origin and path only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import parse_qsl, quote, urlsplit

from download_probe.capture import CapturedExchange
from download_probe.checks import Problem
from download_probe.redact import Redactor

# Read at most this much of any body: enough to recognise a file's first bytes or an error page.
BODY_READ_BYTES = 4096
# A refusal whose body announces more than this is sending something other than an error message.
REFUSAL_BODY_MAX_BYTES = 1 << 20
# How many of the file's first bytes must match to call a body "the file's".
FILE_MATCH_BYTES = 512

SAFE_REFERRER_POLICIES = frozenset(
    {
        "no-referrer",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
    }
)
UNSAFE_REFERRER_POLICIES = frozenset({"unsafe-url", "no-referrer-when-downgrade"})
KNOWN_REFERRER_POLICIES = SAFE_REFERRER_POLICIES | UNSAFE_REFERRER_POLICIES

# Query parameters that carry a URL's signature or expiry (own scheme, S3, CloudFront, Azure).
SIGNATURE_PARAMS = ("sig", "signature", "x-amz-signature", "hmac", "hash")
EXPIRY_PARAMS = ("expires", "exp", "expiry", "x-amz-expires", "se", "e")

_META_REFERRER = re.compile(
    rb"""<meta\s+[^>]*name\s*=\s*["']?referrer["']?[^>]*content\s*=\s*["']?([^"'>\s]+)""", re.IGNORECASE
)
_LOGIN_PATH = re.compile(r"log-?in|sign-?in|/auth", re.IGNORECASE)


@dataclass(frozen=True)
class HttpAnswer:
    """What came back to one request: status, headers, and at most the first few KiB of the body."""

    method: str
    url: str  # as asked: may hold secrets, so sentences use `where` instead
    status: int
    headers: dict[str, str]  # lower-case names
    body_start: bytes

    @property
    def where(self) -> str:
        return origin_and_path(self.url)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length", "")
        return int(value) if value.isdigit() else None

    @property
    def is_attachment(self) -> bool:
        return self.headers.get("content-disposition", "").strip().lower().startswith("attachment")


def origin_and_path(url: str) -> str:
    """The URL without query or fragment: what a sentence may show."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return origin + (parts.path or "/")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# -- forging -------------------------------------------------------------------------------------


def alter_secret(value: str) -> str:
    """`value` with one character changed where all its bits count.

    The middle of the last dot-separated part: the signature of a `payload.signature` token, and
    never a base64 string's last character, whose low bits may be padding a decoder ignores.
    """
    start = value.rfind(".") + 1
    if len(value) - start < 3:
        start = 0
    position = start + (len(value) - start) // 2
    old = value[position]
    replacement = "B" if old == "A" else "A"
    if old.isdigit():
        replacement = "1" if old == "0" else "0"
    return value[:position] + replacement + value[position + 1 :]


def find_param(url: str, names: Iterable[str]) -> str | None:
    """The name (as spelled in the URL) of the first query parameter among `names`."""
    wanted = {name.lower() for name in names}
    for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name.lower() in wanted:
            return name
    return None


def replace_param(url: str, name: str, value: str) -> str:
    """`url` with parameter `name`'s value replaced, everything else byte for byte as it was."""
    parts = urlsplit(url)
    pieces = []
    for piece in parts.query.split("&"):
        key, equals, _ = piece.partition("=")
        pieces.append(f"{key}={quote(value, safe='')}" if key == name and equals else piece)
    return parts._replace(query="&".join(pieces)).geturl()


def without_param(url: str, name: str) -> str:
    """`url` without query parameter `name`."""
    parts = urlsplit(url)
    kept = [piece for piece in parts.query.split("&") if piece and piece.partition("=")[0] != name]
    return parts._replace(query="&".join(kept)).geturl()


def param_value(url: str, name: str) -> str:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)).get(name, "")


def later_expiry(value: str) -> str:
    """A numeric expiry (epoch seconds, or a duration) pushed a day further."""
    return str(int(value) + 86_400) if value.isdigit() else value + "0"


# -- refusals ------------------------------------------------------------------------------------


def starts_like_file(body_start: bytes, file_start: bytes | None) -> bool:
    if not file_start or not body_start:
        return False
    length = min(len(file_start), len(body_start), FILE_MATCH_BYTES)
    return length >= min(len(file_start), 16) and body_start[:length] == file_start[:length]


def _is_error_json(body: bytes) -> bool:
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and ("error" in value or "detail" in value) and "token" not in value


def _looks_accepted(answer: HttpAnswer, file_start: bytes | None) -> bool:
    """A 2xx/3xx that handed something out (rather than an error page sent with a success status)."""
    if 300 <= answer.status < 400:
        return not _LOGIN_PATH.search(urlsplit(answer.location or "").path)
    if answer.is_attachment or starts_like_file(answer.body_start, file_start):
        return True
    if "html" in answer.content_type:
        return False
    if "json" in answer.content_type:
        return not _is_error_json(answer.body_start)
    return bool(answer.body_start)


def _expected_words(expected: tuple[int, ...]) -> str:
    return " or ".join(str(status) for status in expected)


def check_refused(
    answer: HttpAnswer,
    *,
    subject: str,
    attempt: str,
    expected: tuple[int, ...],
    accepted_code: str,
    file_start: bytes | None = None,
) -> list[Problem]:
    """`attempt` ("download URL with an altered token") must be refused with one of `expected`,
    and the refusal must carry nothing of the file."""
    status = answer.status
    if status in expected:
        too_big = (answer.content_length or 0) > REFUSAL_BODY_MAX_BYTES
        if starts_like_file(answer.body_start, file_start) or too_big:
            size = f" ({answer.content_length} bytes)" if answer.content_length is not None else ""
            return [
                Problem(
                    "FILE_BODY_IN_REFUSAL",
                    subject,
                    f"{attempt} was refused with {status} but the body{size} is the file's content",
                )
            ]
        return []
    if 200 <= status < 400 and _looks_accepted(answer, file_start):
        if answer.location:
            detail = f" (redirect to {origin_and_path(answer.location)})"
        elif starts_like_file(answer.body_start, file_start):
            detail = " with the file's content"
        else:
            detail = f" with {answer.content_type or 'a body'}"
        return [Problem(accepted_code, subject, f"{attempt} answered {status}{detail}")]
    if 200 <= status < 300:
        return [
            Problem(
                "REFUSED_WITH_200",
                subject,
                f"{attempt} answered {status} with an error page ({answer.content_type or 'no type'}) "
                f"instead of refusing with {_expected_words(expected)}",
            )
        ]
    return [
        Problem(
            "WRONG_REFUSAL_STATUS",
            subject,
            f"{attempt} answered {status}"
            + (f" (redirect to {origin_and_path(answer.location)})" if answer.location else "")
            + f", the contract says {_expected_words(expected)}",
        )
    ]


# -- referrer policy -----------------------------------------------------------------------------


def effective_referrer_policy(header: str | None, html_start: bytes = b"") -> str | None:
    """The policy a browser applies to the page: a `<meta name="referrer">` wins over the header;
    of a comma-separated header the last value the browser knows wins. None: no policy set."""
    meta = _META_REFERRER.search(html_start)
    if meta:
        value = meta.group(1).decode("ascii", "replace").strip().lower()
        if value in KNOWN_REFERRER_POLICIES:
            return value
    known = [v.strip().lower() for v in (header or "").split(",") if v.strip().lower() in KNOWN_REFERRER_POLICIES]
    return known[-1] if known else None


def check_referrer_policy(subject: str, answer: HttpAnswer) -> list[Problem]:
    """A page must keep its URL's query out of the Referer it sends elsewhere."""
    header = answer.headers.get("referrer-policy")
    policy = effective_referrer_policy(header, answer.body_start)
    if policy is None:
        shown = f" (Referrer-Policy: {header})" if header else ""
        return [
            Problem(
                "REFERRER_POLICY_MISSING",
                subject,
                f"the page sets no referrer policy{shown}, so it relies on the browser's default",
            )
        ]
    if policy not in SAFE_REFERRER_POLICIES:
        return [
            Problem(
                "REFERRER_POLICY_UNSAFE",
                subject,
                f"the page's referrer policy is {policy}, which sends its full URL, query included, to other origins",
            )
        ]
    return []


# -- third parties -------------------------------------------------------------------------------


def first_party_tokens(
    exchanges: list[CapturedExchange], first_party: set[str], token_params: tuple[str, ...] = ("token", "access_token")
) -> dict[str, str]:
    """token -> what it is, for every token the page sent to its own origins: query tokens and
    Bearer credentials."""
    tokens: dict[str, str] = {}
    for exchange in exchanges:
        if origin_of(exchange.url) not in first_party:
            continue
        for name, value in parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True):
            if name.lower() in token_params and value:
                tokens.setdefault(value, f"the token the page sent home as ?{name}=")
        for name, value in exchange.request_headers.items():
            scheme, _, credential = value.partition(" ")
            if name.lower() == "authorization" and scheme.lower() == "bearer" and credential.strip():
                tokens.setdefault(credential.strip(), "the access token")
    return tokens


def check_tokens_stay_first_party(
    exchanges: list[CapturedExchange], *, subject: str, first_party: set[str]
) -> list[Problem]:
    """No request to another origin carries (in its URL, headers or body) a token the page used at home."""
    # A Redactor per token knows its forms: plain, URL-encoded and base64-encoded. Searched for as
    # plain substrings: a leak check would rather over- than under-detect.
    finders = [(Redactor([token]), kind) for token, kind in first_party_tokens(exchanges, first_party).items()]
    problems = []
    for exchange in exchanges:
        if exchange.url.startswith(("blob:", "data:")) or origin_of(exchange.url) in first_party:
            continue
        sent = "\n".join(
            [exchange.url, *(f"{k}: {v}" for k, v in exchange.request_headers.items()), exchange.post_data or ""]
        )
        what = sorted({kind for finder, kind in finders if any(form in sent for form in finder.forms())})
        if not what:
            continue
        problems.append(
            Problem(
                "TOKEN_SENT_TO_THIRD_PARTY",
                subject,
                f"{exchange.method} {origin_and_path(exchange.url)} ({exchange.resource_type}) carried "
                + " and ".join(what),
            )
        )
    return problems
