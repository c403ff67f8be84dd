"""Content-hashed frontend assets and the import map that ties them together.

Each file in ``static/`` is served as ``/assets/<stem>.<first 10 hex of sha256><ext>``
and cached forever. Modules import each other by logical specifiers
(``harbor/api``) resolved through the page's import map, so a module's hash
depends only on its own bytes. The build id is a hash over all asset hashes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
_CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
MODULE_SPECIFIER_PREFIX = "harbor/"


@dataclass(frozen=True)
class Asset:
    logical_name: str  # e.g. "download-service.js"
    content: bytes
    digest: str  # full sha256 hex
    content_type: str
    hashed: bool = True  # False only for the `cache-forever` fault: names that never change

    @property
    def hashed_name(self) -> str:
        if not self.hashed:
            return self.logical_name
        stem, dot, ext = self.logical_name.partition(".")
        return f"{stem}.{self.digest[:10]}{dot}{ext}"

    @property
    def url(self) -> str:
        return f"/assets/{self.hashed_name}"


class AssetBundle:
    """All assets of one frontend build, loaded once at start-up."""

    def __init__(self, assets: list[Asset], version: str) -> None:
        self.assets = {a.logical_name: a for a in assets}
        self._by_hashed_name = {a.hashed_name: a for a in assets}
        combined = "\n".join(f"{a.logical_name}:{a.digest}" for a in sorted(assets, key=lambda a: a.logical_name))
        self.build_id = f"{version}-{hashlib.sha256(combined.encode()).hexdigest()[:12]}"

    @classmethod
    def load(cls, version: str, directory: Path = STATIC_DIR, *, hashed: bool = True) -> AssetBundle:
        assets = []
        for path in sorted(directory.iterdir()):
            content_type = _CONTENT_TYPES.get(path.suffix)
            if content_type is None or not path.is_file():
                continue
            content = path.read_bytes()
            assets.append(Asset(path.name, content, hashlib.sha256(content).hexdigest(), content_type, hashed))
        return cls(assets, version)

    def by_hashed_name(self, hashed_name: str) -> Asset | None:
        return self._by_hashed_name.get(hashed_name)

    def url(self, logical_name: str) -> str:
        return self.assets[logical_name].url

    def import_map(self) -> str:
        """JSON import map: ``harbor/<module>`` -> hashed URL."""
        imports = {
            MODULE_SPECIFIER_PREFIX + name.removesuffix(".js"): asset.url
            for name, asset in sorted(self.assets.items())
            if name.endswith(".js")
        }
        return json.dumps({"imports": imports}, indent=1)
