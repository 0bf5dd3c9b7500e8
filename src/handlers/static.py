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
HASHED_ASSETS = ("dashboard.js", "dashboard.css", "widget.js")
YEAR = 365 * 24 * 3600
WIDGET_CACHE = "public, max-age=86400, stale-while-revalidate=604800"
PAGE_CACHE = "no-cache"
IMMUTABLE = f"public, max-age={YEAR}, immutable"
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
    for name in ("dashboard.css", "dashboard.js"):
        stem, suffix = name.rsplit(".", 1)
        digest = found[name].etag.strip('"')
        # Relative, so the page also works under a custom domain's base path.
        page = page.replace(f'"{name}"', f'"static/{stem}.{digest}.{suffix}"')
    found["dashboard.html"] = _asset("dashboard.html", page)
    return found


app = APIGatewayHttpResolver()


def _serve(asset: Asset, cache_control: str) -> Response[str]:
    headers = {
        "Cache-Control": cache_control,
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
    }
    if app.current_event.headers.get("if-none-match", "")[:200] == asset.etag:
        return Response(status_code=304, headers=headers, body="")
    return Response(200, asset.content_type, asset.body, headers)


@app.get("/widget.js", compress=True)
def widget() -> Response[str]:
    return _serve(assets()["widget.js"], WIDGET_CACHE)


@app.get("/dashboard", compress=True)
def dashboard() -> Response[str]:
    return _serve(assets()["dashboard.html"], PAGE_CACHE)


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
