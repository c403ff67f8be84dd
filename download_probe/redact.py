"""Keep secrets out of everything the suite writes.

Two layers: by name (query parameters, headers and JSON keys known to carry secrets) wherever
data is turned into text, and by value (every secret seen during the run, also URL-encoded and
base64-encoded) as a last scrub over whole texts and files.

By value, a long secret (a token, a signature, a cookie, a long password) is removed wherever it
occurs, even glued inside other text. A short one, "weak" (see WEAK_SECRET_LENGTH), only where it
stands alone, and never where it is a name: a short password such as `test` or `html` is also part
of `pytest`, `tests/e2e/test_x.py`, `<testsuites>`, `<!DOCTYPE html>` and pytest-html's own code.
"""

from __future__ import annotations

import base64
import re
import zipfile
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AnyStr, Generic
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

SECRET_QUERY_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "key",
        "password",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
SECRET_JSON_KEYS = frozenset({"password", "token", "access_token", "refresh_token", "id_token", "secret"})
# Secrets shorter than this are not scrubbed by value: they would blank out ordinary words.
MIN_SECRET_LENGTH = 6
# A secret whose plain form is shorter than this is "weak": removed only where it stands alone (not
# glued to a letter, digit, `_`, `-`, `.` or `/`), is not a markup name and is not a bare word in an
# inline <script> or <style> (see _Scrubber); its base64 cores still match anywhere. Below 12
# characters sit the passwords people give test accounts (test, Harbor, passed, admin123) and the
# ordinary words, identifiers and tag names that also fill the suite's own files (pytest, testcase,
# html, environment); removing those wherever they occur wrecks the report, the JUnit XML and the
# traces. Tokens, signatures and cookies are 16+ random characters, and a string of 12 or more such
# characters does not turn up inside other text by chance: those keep being removed anywhere, which
# they need to be (they sit glued inside URLs, `%3D...` escapes and longer base64 text).
WEAK_SECRET_LENGTH = 12


def redact_url(url: str) -> str:
    """The URL with the values of secret-bearing query parameters replaced."""
    if not url or "?" not in url:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(name.lower() in SECRET_QUERY_PARAMS for name, _ in pairs):
        return url
    query = urlencode(
        [(name, REDACTED if name.lower() in SECRET_QUERY_PARAMS and value else value) for name, value in pairs],
        safe="[]",
    )
    return urlunsplit(parts._replace(query=query))


class Redactor:
    """Learns the run's secrets as they pass by and removes them from anything written."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        self._secrets: set[str] = set()
        self._forms_cache: _Matchers | None = None  # rebuilt when the learned set changes
        for secret in secrets or []:
            self.learn(secret)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def learn(self, secret: str | None, *, any_length: bool = False) -> None:
        """Remember a secret; short ones only when told (`any_length`): they could blank ordinary words."""
        if secret and (any_length or len(secret) >= MIN_SECRET_LENGTH) and secret not in self._secrets:
            self._secrets.add(secret)
            self._forms_cache = None

    def learn_from_url(self, url: str) -> None:
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            if name.lower() in SECRET_QUERY_PARAMS:
                self.learn(value)

    def learn_from_headers(self, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            if name.lower() in SECRET_HEADERS:
                self.learn(value)
                # "Bearer X": X alone also shows up elsewhere (storage, bodies).
                scheme, _, credential = value.partition(" ")
                if credential:
                    self.learn(credential.strip())

    def learn_from_request(self, request: Any) -> None:
        """Hook for NetworkCapture(on_request=...): anything with `.url` and `.headers`."""
        self.learn_from_url(request.url)
        self.learn_from_headers(dict(request.headers))

    def learn_from_storage_state(self, state: dict[str, Any]) -> None:
        for cookie in state.get("cookies", []):
            self.learn(cookie.get("value"))
        for origin in state.get("origins", []):
            for item in origin.get("localStorage", []):
                if re.search(r"token|auth|session|secret", item.get("name", ""), re.I):
                    self.learn(item.get("value"))

    # -- output --------------------------------------------------------------------------------
    def url(self, url: str) -> str:
        return self.text(redact_url(url))

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {
            name: (REDACTED if name.lower() in SECRET_HEADERS else self.text(value))
            for name, value in headers.items()
        }

    def text(self, text: str) -> str:
        """`text` with every known secret (plain, URL-encoded, base64) replaced; weak (short) secrets
        only where they stand alone (see WEAK_SECRET_LENGTH)."""
        if not text:
            return text
        return self._matchers().text.scrub(text)

    def data(self, value: Any) -> Any:
        """A JSON-like structure with secret keys blanked and every string scrubbed."""
        if isinstance(value, dict):
            return {
                key: (REDACTED if str(key).lower() in SECRET_JSON_KEYS and val else self.data(val))
                for key, val in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.url(value) if value.startswith(("http://", "https://", "/")) else self.text(value)
        return value

    def scrub_file(self, path: Path) -> bool:
        """Rewrite a written file without the known secrets; True when something was removed."""
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        cleaned = self.text(original)
        if cleaned != original:
            path.write_text(cleaned, encoding="utf-8")
            return True
        return False

    def scrub_archive(self, path: Path) -> bool:
        """Rewrite a zip archive (a Playwright trace) without the known secrets in any member;
        True when something was removed. Members are scrubbed as bytes, whatever their type."""
        try:
            with zipfile.ZipFile(path) as archive:
                members = [(info, archive.read(info)) for info in archive.infolist()]
        except (OSError, zipfile.BadZipFile):
            return False
        matcher = self._matchers().bytes
        cleaned, changed = [], False
        for info, data in members:
            scrubbed = matcher.scrub(data)
            changed = changed or scrubbed != data
            cleaned.append((info, scrubbed))
        if changed:
            scrubbing = path.with_name(path.name + ".scrubbing")
            with zipfile.ZipFile(scrubbing, "w") as archive:
                for info, data in cleaned:
                    archive.writestr(info, data)
            scrubbing.replace(path)
        return changed

    def find_in_text(self, text: str) -> list[str]:
        """Which secret forms occur in `text` (for tests that scan what the suite wrote): long
        secrets' forms anywhere, weak ones where `text()` would remove them. Longest first."""
        if not text:
            return []
        return self._matchers().text.find(text)

    def forms(self) -> list[str]:
        """Every form of every learned secret, longest first (for a search that must over- rather than
        under-detect, such as a token sent to a third party: short ones count glued too)."""
        return self._matchers().forms

    def _matchers(self) -> _Matchers:
        if self._forms_cache is None:
            anywhere: set[str] = set()  # matched as substrings
            alone: set[str] = set()  # weak secrets' plain and URL-encoded forms: only standing alone
            alone_base64: set[str] = set()  # weak secrets' whole base64 (padding optional): the same
            for secret in self._secrets:
                raw = secret.encode()
                whole_base64 = {
                    base64.b64encode(raw).decode().rstrip("="),
                    base64.urlsafe_b64encode(raw).decode().rstrip("="),
                }
                plain = {secret, quote(secret, safe=""), quote_plus(secret)}
                if len(secret) < WEAK_SECRET_LENGTH:
                    alone |= plain
                    alone_base64 |= whole_base64
                else:
                    anywhere |= plain | whole_base64
                # Base64 cores, which are fragments, only when long enough not to match by chance (weak
                # secrets' too): anywhere, since base64 text has no word boundaries to stand alone at.
                anywhere.update(core for core in base64_cores(raw) if len(core) >= MIN_SECRET_LENGTH)
            anywhere.discard("")
            alone = {form for form in alone if form and form not in anywhere}
            alone_base64 = {form for form in alone_base64 if form and form not in anywhere | alone}
            self._forms_cache = _Matchers(
                forms=_longest_first(anywhere | alone | alone_base64),
                text=_Scrubber(str, anywhere, alone, alone_base64),
                bytes=_Scrubber(bytes, *(_encoded(forms) for forms in (anywhere, alone, alone_base64))),
            )
        return self._forms_cache


def base64_cores(raw: bytes) -> set[str]:
    """What `raw` looks like inside a longer base64 text, at each of the three byte alignments:
    the characters that depend on `raw`'s bits only (standard and URL-safe alphabets)."""
    cores = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        first = -(-8 * shift // 6)  # the first character made of raw's bits alone
        last = 8 * (shift + len(raw)) // 6  # one past the last such character
        core = encoded[first:last]
        cores.update({core, core.replace("+", "-").replace("/", "_")})
    return cores


def _encoded(forms: set[str]) -> set[bytes]:
    return {form.encode("utf-8") for form in forms}


def _longest_first(forms: set[AnyStr]) -> list[AnyStr]:
    """Longest first, so a secret inside a longer secret's form does not break the longer match."""
    return sorted(forms, key=lambda form: (-len(form), form))


# A weak secret's neighbours that glue it into a longer word, identifier, file name or path. ASCII
# only, and the same for text and bytes (a byte regex cannot tell a UTF-8 letter from UTF-8
# punctuation): a non-ASCII neighbour separates, so such an occurrence is removed rather than kept.
_GLUE = "A-Za-z0-9_./-"
# Markup names, where a weak secret is never replaced (it would break the file): a tag name right
# after `<`, `</`, `<?`, `<!`, `<![` or a namespace prefix (`<ns:`), a doctype's name (`<!DOCTYPE
# html>`); an attribute name right before `=`; a character reference's name (`&amp;`, `&#34;`).
_NAME_BEFORE = r"(?:<[/?!]?|<!\[|<!doctype\s+|</?[A-Za-z_][\w.-]*:)\Z"
_NAME_AFTER = r"[ \t]*=(?!=)"
_REFERENCE_BEFORE = r"&#?\Z"
_REFERENCE_AFTER = r";"
_LOOKBACK = 80  # how far back those contexts are looked for
# Inline code in an HTML file (pytest-html's own app.js, a page's scripts): a bare word there is a
# name too (an identifier, a keyword, a CSS selector), so only quoted occurrences are replaced. Only
# whole elements count: a `<script` mentioned in a log line does not make the rest of the text code.
_CODE_START = r"<(?:script|style)\b"
_CODE_ELEMENT = r"<(script|style)\b[^>]*>.*?</\1\s*>"
_QUOTES = "\"'`"


class _Scrubber(Generic[AnyStr]):
    """Finds and replaces the learned secrets' forms in str or in bytes; built once per learned set.

    `anywhere`: forms replaced wherever they occur (long secrets, base64 cores). `alone` (plain and
    URL-encoded) and `alone_base64` (whole base64, padding optional): weak secrets' forms, replaced
    only where they stand alone, outside markup names and outside bare words in inline code, by one
    regex (an alternation, longest first)."""

    def __init__(
        self, kind: type[AnyStr], anywhere: set[AnyStr], alone: set[AnyStr], alone_base64: set[AnyStr]
    ) -> None:
        def cast(text: str) -> AnyStr:
            return text if kind is str else text.encode("ascii")  # type: ignore[return-value]

        def compile_(pattern: str, flags: int = 0) -> re.Pattern[AnyStr]:
            return re.compile(cast(pattern), flags)

        def alternation(forms: set[AnyStr]) -> AnyStr:
            return cast("|").join(re.escape(form) for form in _longest_first(forms)) if forms else cast("(?!)")

        self.replacement: AnyStr = cast(REDACTED)
        self.anywhere = _longest_first(anywhere)
        self.alone = _longest_first(alone | alone_base64)
        self.pattern: re.Pattern[AnyStr] | None = None
        if self.alone:
            self.pattern = re.compile(
                cast(f"(?<![{_GLUE}])(?:(?P<plain>")
                + alternation(alone)
                + cast(")|(?P<base64>")
                + alternation(alone_base64)
                + cast(f")={{0,2}})(?![{_GLUE}])")
            )
        self.name_before = compile_(_NAME_BEFORE, re.I)
        self.name_after = compile_(_NAME_AFTER)
        self.reference_before = compile_(_REFERENCE_BEFORE)
        self.reference_after = compile_(_REFERENCE_AFTER)
        self.code_start = compile_(_CODE_START, re.I)
        self.code_element = compile_(_CODE_ELEMENT, re.I | re.S)
        self.quotes = tuple(cast(quote_) for quote_ in _QUOTES)
        self.backslash = cast("\\")

    def scrub(self, text: AnyStr) -> AnyStr:
        text = self._scrub_anywhere(text)
        if self._may_hold_alone(text):
            code = _CodeSpans(self, text)
            text = self.pattern.sub(  # type: ignore[union-attr]
                lambda match: match.group(0) if self._keep(match, code) else self.replacement, text
            )
        return text

    def find(self, text: AnyStr) -> list[AnyStr]:
        found = {form for form in self.anywhere if form in text}
        text = self._scrub_anywhere(text)  # where scrub() looks for the weak forms
        if self._may_hold_alone(text):
            code = _CodeSpans(self, text)
            for match in self.pattern.finditer(text):  # type: ignore[union-attr]
                if not self._keep(match, code):
                    found.add(match.group("plain") or match.group("base64"))
        return _longest_first(found)

    def _scrub_anywhere(self, text: AnyStr) -> AnyStr:
        for form in self.anywhere:
            if form in text:
                text = text.replace(form, self.replacement)
        return text

    def _may_hold_alone(self, text: AnyStr) -> bool:
        """Cheap test before the regex: most texts hold none of the weak forms at all."""
        return self.pattern is not None and any(form in text for form in self.alone)

    def _keep(self, match: re.Match[AnyStr], code: _CodeSpans) -> bool:
        """Whether a standalone occurrence stays: a markup name, a bare word in inline code, or part
        of an earlier replacement (a secret such as `REDACTED`)."""
        text, start, end = match.string, match.start(), match.end()
        back = max(0, start - _LOOKBACK)
        if self.name_before.search(text, back, start) or self.name_after.match(text, end):
            return True
        if self.reference_before.search(text, back, start) and self.reference_after.match(text, end):
            return True
        if text.find(self.replacement, max(0, end - len(self.replacement)), start + len(self.replacement)) != -1:
            return True
        return code.contains(start) and not self._quoted(text, start, end)

    def _quoted(self, text: AnyStr, start: int, end: int) -> bool:
        after = text[end : end + 2]
        return text[start - 1 : start] in self.quotes and (
            after[:1] in self.quotes or (after[:1] == self.backslash and after[1:2] in self.quotes)
        )


class _CodeSpans:
    """Where a text's inline <script> and <style> elements are; found on first use."""

    def __init__(self, scrubber: _Scrubber[Any], text: Any) -> None:
        self._scrubber, self._text = scrubber, text
        self._spans: list[tuple[int, int]] | None = None
        self._starts: list[int] = []

    def contains(self, position: int) -> bool:
        if self._spans is None:
            scrubber, text = self._scrubber, self._text
            self._spans = (
                [match.span() for match in scrubber.code_element.finditer(text)]
                if scrubber.code_start.search(text)
                else []
            )
            self._starts = [start for start, _ in self._spans]
        index = bisect_right(self._starts, position) - 1
        return index >= 0 and position < self._spans[index][1]


@dataclass(frozen=True)
class _Matchers:
    forms: list[str]  # every form of every learned secret, longest first
    text: _Scrubber[str]
    bytes: _Scrubber[bytes]
