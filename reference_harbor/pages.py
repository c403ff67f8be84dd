"""Server-rendered HTML shells; the content is filled in by the ES modules."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from .assets import AssetBundle


def script_json(value: Any) -> str:
    """JSON safe to embed in a <script> element (no "</script>" break-out)."""
    text = json.dumps(value, indent=1, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(
    bundle: AssetBundle, build_id: str, *, title: str, entry: str | None, config: dict[str, Any], body: str
) -> str:
    entry_script = f'\n<script type="module" src="{escape(bundle.url(entry))}"></script>' if entry else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="harbor-build" content="{escape(build_id)}">
<title>{escape(title)} · Harbor</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{escape(bundle.url("style.css"))}">
<script type="importmap">
{bundle.import_map()}
</script>
<script type="application/json" id="harbor-config">
{script_json(config)}
</script>{entry_script}
</head>
<body>
{body}
</body>
</html>
"""


def login_page(bundle: AssetBundle, build_id: str, config: dict[str, Any]) -> str:
    # The submit button starts disabled and login.js enables it: a click that
    # lands before the module ran cannot submit the form natively (which
    # would put the password into the URL).
    body = """<main class="auth-card">
<h1>Sign in to Harbor</h1>
<form id="login-form" novalidate>
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<p id="login-error" class="error" role="alert" hidden></p>
<button type="submit" disabled>Sign in</button>
</form>
</main>"""
    return _page(bundle, build_id, title="Sign in", entry="login.js", config=config, body=body)


def dashboard_page(bundle: AssetBundle, build_id: str, config: dict[str, Any]) -> str:
    body = """<header class="topbar">
<span class="brand">Harbor</span>
<span class="current-user" id="current-user"></span>
<button type="button" id="sign-out">Sign out</button>
</header>
<main>
<h1>Deployments</h1>
<p id="download-status" class="status" role="status" aria-live="polite"></p>
<p id="download-error" class="error" role="alert" hidden></p>
<table data-testid="deployment-table" aria-label="Deployments" aria-busy="true" data-state="loading">
<thead>
<tr><th scope="col">Version</th><th scope="col">Channel</th><th scope="col">Released</th><th scope="col">Files</th></tr>
</thead>
<tbody></tbody>
</table>
</main>"""
    return _page(bundle, build_id, title="Deployments", entry="dashboard.js", config=config, body=body)


def not_found_page(bundle: AssetBundle, build_id: str, config: dict[str, Any]) -> str:
    body = """<main class="auth-card">
<h1>Page not found</h1>
<p><a href="/dashboard">Go to the deployments</a></p>
</main>"""
    return _page(bundle, build_id, title="Not found", entry=None, config=config, body=body)
