import pytest

from download_probe.freshness import bundle_cache_problem, html_cache_problem, looks_content_hashed


@pytest.mark.parametrize("value", ["no-cache", "no-store", "private, max-age=60", "max-age=0, must-revalidate"])
def test_html_revalidated_or_short_lived_is_fine(value: str) -> None:
    assert html_cache_problem(value) is None


@pytest.mark.parametrize("value", ["public, max-age=31536000", None, "public"])
def test_html_cached_long_or_unbounded_is_a_problem(value: str | None) -> None:
    assert html_cache_problem(value)


@pytest.mark.parametrize(
    ("url", "hashed"),
    [
        ("/assets/dashboard.3fa9c01d2b.js", True),
        ("https://cdn.example/app-3FA9C01D.js", True),
        ("/static/js/main.a1b2c3d4.chunk.js", True),
        ("/assets/dashboard.js", False),
        ("/assets/download-service.js", False),
        ("/assets/style.css?v=2", False),
    ],
)
def test_content_hash_in_name(url: str, hashed: bool) -> None:
    assert looks_content_hashed(url) is hashed


def test_unhashed_bundle_cached_for_a_year_is_a_problem_and_hashed_immutable_is_fine() -> None:
    assert bundle_cache_problem("/assets/dashboard.js", "public, max-age=31536000")
    assert bundle_cache_problem("/assets/dashboard.3fa9c01d2b.js", "public, max-age=31536000, immutable") is None
    assert bundle_cache_problem("/assets/dashboard.js", "no-cache") is None
