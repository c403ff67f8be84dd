#!/usr/bin/env bash
# Set-up shared by both README commands; safe to run again (it only does what is missing):
# a virtual environment in .venv with the project installed, and a Chromium to drive.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$python" -m venv .venv
fi

# Reinstall only when pyproject.toml changed since the last install.
stamp=.venv/.installed-pyproject
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  echo "setup: installing the project and its dependencies" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  echo "$wanted" > "$stamp"
fi

have_system_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || command -v google-chrome-stable >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1
}
have_playwright_chromium() {
  .venv/bin/python - <<'PY' 2>/dev/null
import pathlib, sys
from playwright.sync_api import sync_playwright
with sync_playwright() as playwright:
    sys.exit(0 if pathlib.Path(playwright.chromium.executable_path).is_file() else 1)
PY
}

if [ -n "${HARBOR_CHROMIUM_PATH:-}" ] || have_playwright_chromium; then
  exit 0
fi
if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
  # GitHub's runners: Playwright's own Chromium and its system libraries.
  .venv/bin/python -m playwright install --with-deps chromium
  exit 0
fi
if have_system_chromium; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo -n"; fi
  echo "setup: installing Debian's chromium with apt-get" >&2
  if $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; then
    exit 0
  fi
fi
if .venv/bin/python -m playwright install chromium; then
  exit 0
fi
echo "setup: no Chromium found and none could be installed: run 'python -m playwright install chromium'," \
  "or 'apt-get install chromium', or set HARBOR_CHROMIUM_PATH" >&2
exit 1
