"""Cache and freshness rules for any web frontend: HTML must not be cached for long, and a bundle
cached for long must carry a content hash in its name (else a deploy cannot reach the browser)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page

# HTML may be kept at most this long without revalidation.
HTML_MAX_AGE_S = 300
# A bundle cached at least this long must have a content-hashed name.
LONG_CACHE_S = 24 * 3600
# "app.3fa9c01d2b.js", "app-3FA9C01D.js", "chunk.a1b2c3d4e5f6.css": a run of 8+ hex characters
# (or a mixed-case base64url run of 8+ with a digit) as a name segment.
_HASHED_NAME = re.compile(r"[.\-_](?=[A-Za-z0-9_-]*\d)(?:[0-9a-fA-F]{8,}|[A-Za-z0-9_-]{8,})[.\-_]")


def parse_cache_control(value: str | None) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in (value or "").split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            directives[name.lower()] = argument.strip().strip('"')
    return directives


def max_age_s(directives: dict[str, str]) -> int | None:
    for name in ("s-maxage", "max-age"):
        if directives.get(name, "").isdigit():
            return int(directives[name])
    return None


def html_cache_problem(cache_control: str | None) -> str | None:
    """Why this HTML response may be served stale after a deploy, or None."""
    directives = parse_cache_control(cache_control)
    if "no-store" in directives or "no-cache" in directives:
        return None
    age = max_age_s(directives)
    if age is not None and age <= HTML_MAX_AGE_S:
        return None
    if age is None:
        return f"no Cache-Control limit (Cache-Control: {cache_control or 'none'}): browsers may reuse it heuristically"
    return f"cached for {age:,} s without revalidation (Cache-Control: {cache_control})"


def looks_content_hashed(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return bool(_HASHED_NAME.search("." + name))


def bundle_cache_problem(url: str, cache_control: str | None) -> str | None:
    """Why a deploy may not reach browsers that hold this bundle, or None."""
    directives = parse_cache_control(cache_control)
    age = max_age_s(directives)
    long_cached = "immutable" in directives or (age is not None and age >= LONG_CACHE_S)
    if long_cached and "no-cache" not in directives and not looks_content_hashed(url):
        return (
            f"cached for {age or 'ever'}{' s' if age else ''} under a name without a content hash "
            f"(Cache-Control: {cache_control}): a new build cannot replace it"
        )
    return None


# Scripts and styles a document references, its import map's targets included; run on the page's
# own document, or on a served HTML text parsed (not run) in the page.
_BUNDLE_URLS = """html => {
  const doc = html === null ? document : new DOMParser().parseFromString(html, 'text/html');
  const base = html === null ? document.baseURI : location.href;
  const urls = [...doc.querySelectorAll('script[src], link[rel=stylesheet][href], link[rel=modulepreload][href]')]
    .map(el => new URL(el.getAttribute('src') || el.getAttribute('href'), base).href);
  for (const map of doc.querySelectorAll('script[type=importmap]')) {
    try {
      urls.push(...Object.values(JSON.parse(map.textContent).imports || {}).map(url => new URL(url, base).href));
    } catch (error) { /* not JSON: nothing to add */ }
  }
  return [...new Set(urls)].sort();
}"""


def bundle_urls(page: Page, html: str | None = None) -> list[str]:
    """Absolute URLs of the bundles in the page's document, or in `html` as the page's server sent it."""
    return page.evaluate(_BUNDLE_URLS, html)
