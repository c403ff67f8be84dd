"""A record of every secret this Harbor hands out, for the suite's secret scan.

Off unless asked for (`--issued-secrets-file PATH` or HARBOR_REFERENCE_ISSUED_SECRETS_FILE): the
secret-scan self-test starts the suite with it, then looks for each recorded secret in every file
the suite wrote. The server's own record is the ground truth, independent of what the suite's
redactor happened to learn.
"""

from __future__ import annotations

import threading
from pathlib import Path

ENV_VAR = "HARBOR_REFERENCE_ISSUED_SECRETS_FILE"


class IssuedSecretsLog:
    """Appends `kind<TAB>secret` lines (kinds: access-token, download-token, stream-signature)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, kind: str, secret: str) -> None:
        if self.path is None:
            return
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(f"{kind}\t{secret}\n")


def read_issued_secrets(path: Path) -> dict[str, set[str]]:
    """kind -> secrets, from a log written by IssuedSecretsLog."""
    issued: dict[str, set[str]] = {}
    if not path.is_file():
        return issued
    for line in path.read_text(encoding="utf-8").splitlines():
        kind, _, secret = line.partition("\t")
        if secret:
            issued.setdefault(kind, set()).add(secret)
    return issued
