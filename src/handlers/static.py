"""The widget and the dashboard, served by the stack itself (see docs/static-files.md).

- `GET /widget.js`: the URL portals paste into their pages, so it never changes;
  cached a day by browsers (then revalidated with its ETag: 304, no body).
- `GET /dashboard`: the dashboard page, revalidated on each load (ETag), naming
  its script and style by content hash.
- `GET /static/{file}`: those hashed files (`dashboard.3f9a0c1b2d.js`), cached
  for a year and immutable: a deploy that changes a file changes its name.

The files are read once per warm function from `web/` (packaged with the function:
`src/web` links to it and `sam build` copies the files). Powertools compresses
answers for clients that accept gzip. No AWS SDK is imported: cold starts stay small.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from handlers import end_cold_start

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
# The dashboard page names these by content hash; the widget is also served so.
PAGE_ASSETS = ("dashboard.css", "breakdowns.js", "engagement.js", "segments.js", "dashboard.js")
HASHED_ASSETS = (*PAGE_ASSETS, "widget.js")
YEAR = 365 * 24 * 3600
WIDGET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
PAGE_CACHE = "no-cache"
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# The dashboard runs only its own hashed script and style (no inline code, so an injected
# tag runs nothing) and reads the API: its own origin, or the one `?api=` or its meta tag
# names. No Referer: a `?token=` in its address must not leak to another site.
DASHBOARD_SECURITY = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self' https:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
# The demo portal page (served by the local run only): inline style, as a portal's, and
# the widget's injected style. The browser's default referrer policy, stated: a stricter
# one would send `Origin: null` with the widget's beacons, which a site with
# allowed_origins refuses.
DEMO_PAGE_SECURITY = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_HASHED_NAME = re.compile(r"^([a-z]+)\.([0-9a-f]{10})\.(js|css)$")


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def _asset(name: str, body: str | None = None) -> Asset:
    text = (WEB_DIR / name).read_text("utf-8") if body is None else body
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return Asset(text, CONTENT_TYPES[Path(name).suffix], f'"{digest}"')


def hashed_name(name: str) -> str:
    """`dashboard.js` -> `dashboard.<10 hex digits of its SHA-256>.js`."""
    stem, suffix = name.rsplit(".", 1)
    return f"{stem}.{assets()[name].etag.strip(chr(34))}.{suffix}"


@cache
def assets() -> dict[str, Asset]:
    found = {name: _asset(name) for name in HASHED_ASSETS}
    page = (WEB_DIR / "dashboard.html").read_text("utf-8")
    for name in PAGE_ASSETS:
        stem, suffix = name.rsplit(".", 1)
        digest = found[name].etag.strip('"')
        # Relative, so the page also works under a custom domain's base path.
        page = page.replace(f'"{name}"', f'"static/{stem}.{digest}.{suffix}"')
    found["dashboard.html"] = _asset("dashboard.html", page)
    return found


app = APIGatewayHttpResolver()


def _serve(
    asset: Asset, cache_control: str, security: dict[str, str] | None = None
) -> Response[str]:
    headers = {
        "Cache-Control": cache_control,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        **(security or {}),
    }
    if app.current_event.headers.get("if-none-match", "")[:200] == asset.etag:
        return Response(status_code=304, headers=headers, body="")
    return Response(200, asset.content_type, asset.body, headers)


@app.get("/widget.js", compress=True)
def widget() -> Response[str]:
    return _serve(assets()["widget.js"], WIDGET_CACHE)


@app.get("/dashboard", compress=True)
def dashboard() -> Response[str]:
    return _serve(assets()["dashboard.html"], PAGE_CACHE, DASHBOARD_SECURITY)


@app.get("/static/<file>", compress=True)
def hashed_file(file: str) -> Response[Any]:
    match = _HASHED_NAME.match(file[:100])
    name = f"{match[1]}.{match[3]}" if match else ""
    asset = assets().get(name)
    if match is None or asset is None or asset.etag.strip('"') != match[2]:
        body = {"message": f"no such file: {file[:100]!r} (the dashboard names the current ones)"}
        return Response(404, "application/json", body)
    return _serve(asset, IMMUTABLE)


@app.not_found
def not_found(exc: Exception) -> Response[dict[str, str]]:
    return Response(404, "application/json", {"message": "no such file"})


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        return app.resolve(event, context)
    finally:
        end_cold_start()
