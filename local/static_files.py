"""The ``web/`` files the local run serves beside the API: the demo portal page at ``/``,
the dashboard at ``/dashboard``, and the widget and other files at ``/static/...`` or ``/<name>``.

Only for paths no template route takes (the deployed stack serves its widget and
dashboard from ``StaticFunction``; the demo page exists only locally).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from local.cfn_template import REPO_ROOT
from local.http_api import Response

WEB_DIR = REPO_ROOT / "web"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_TOP_LEVEL_FILE = re.compile(r"/[^/]+\.(js|css|html|svg|ico|png)")


def static_response(method: str, path: str) -> Response | None:
    """The answer to a GET or HEAD of a ``web/`` file; ``None`` when there is no such file."""
    file = static_file(path) if method in ("GET", "HEAD") else None
    if file is None:
        return None
    content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    headers = [("Content-Type", content_type), ("Cache-Control", "no-cache")]
    # Imported here: the functions' code is on the path once the server has loaded them.
    from handlers.static import DASHBOARD_SECURITY, DEMO_PAGE_SECURITY

    if file.name == "index.html":  # the demo page: the headers a portal's page should send
        headers += list(DEMO_PAGE_SECURITY.items())
    elif file.name == "dashboard.html":
        headers += list(DASHBOARD_SECURITY.items())
    return Response(200, headers, file.read_bytes())


def static_file(path: str) -> Path | None:
    """The ``web/`` file a GET of ``path`` serves, if any (never outside ``web/``, no dotfiles)."""
    root = WEB_DIR.resolve()
    for name in map(unquote, _candidate_names(path)):
        if any(part.startswith(".") for part in name.split("/")):
            return None
        candidate = (root / name).resolve()
        if root in candidate.parents and candidate.is_file():
            return candidate
    return None


def _candidate_names(path: str) -> list[str]:
    """The names under ``web/`` that ``path`` may mean, first match wins."""
    if path == "/":
        return ["index.html"]
    if path.rstrip("/") == "/dashboard":
        return ["dashboard.html"]
    if path.startswith("/static/"):
        return ["static/" + path[8:], path[8:]]
    if _TOP_LEVEL_FILE.fullmatch(path):
        return [path[1:]]
    return []
