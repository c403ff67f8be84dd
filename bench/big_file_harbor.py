"""The reference Harbor, run by its own `main()`, with one more file in its catalog: a 1 GiB
generated body (release `0.0.0-bench`, id `bench-1gib`). Only for bench/streaming.py.

Why not a bench-only app: this way the 1 GiB download goes through the same process set-up
(uvicorn, its config, the middleware) and the same streaming handler (`HarborService.stream`:
signature check, headers, Range, `FileBodyResponse` over a `GeneratedBody`) as every other file.
The only change is the catalog's content, made after `create_app` built the service.

    .venv/bin/python bench/big_file_harbor.py --port 0     # same options as python -m reference_harbor
"""

from __future__ import annotations

import sys
from typing import Any

import bench_support  # noqa: F401  (puts the repository root on sys.path)

import reference_harbor.__main__ as harbor_main
from reference_harbor.catalog import Catalog, CatalogFile, Release, file_seed
from reference_harbor.content import GeneratedBody

BIG_FILE_ID = "bench-1gib"
BIG_FILE_NAME = "bench-1GiB.img"
BIG_FILE_SIZE = 1 << 30
BENCH_RELEASE = "0.0.0-bench"


def big_file_body() -> GeneratedBody:
    """The 1 GiB body, seeded the way the catalog seeds its own files (so nginx can serve the same bytes)."""
    return GeneratedBody(file_seed(BIG_FILE_ID, BIG_FILE_NAME), BIG_FILE_SIZE)


def add_big_file(app: Any) -> Any:
    """The app, its catalog extended by the 1 GiB file (in a release of its own)."""
    service = app.state.harbor
    body = big_file_body()
    # The service's own digest cache: computed once (a few seconds for 1 GiB), then read back.
    digest = service.digest_cache.digests_for([body])[body.cache_key]
    big = CatalogFile(
        id=BIG_FILE_ID,
        name=BIG_FILE_NAME,
        role="extra",
        size=body.size,
        sha256=digest,
        content_type="application/octet-stream",
        release_version=BENCH_RELEASE,
        body=body,
    )
    service.catalog = Catalog((*service.catalog.releases, Release(BENCH_RELEASE, "bench", "2025-01-01", (big,))))
    return app


def main(argv: list[str] | None = None) -> int:
    create_app = harbor_main.create_app
    # `main()` calls `create_app` by its module-level name: wrap it there, then run the real main.
    harbor_main.create_app = lambda settings=None: add_big_file(create_app(settings))
    return harbor_main.main(argv)


if __name__ == "__main__":
    sys.exit(main())
