"""The README's deploy section, against `make run`'s API: what an operator does after `sam deploy`.

The CLI registers the site, a portal page with the README's tag counts and shows the
block (the widget served by the stack's own route), then the site's reports go
private: the dashboard opens with the share link the CLI printed, and refuses without it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from counters_cli.main import main
from tests.e2e.conftest import USER_AGENT, Operator, midday_timezone, screenshot
from tests.e2e.test_widget import figures

pytestmark = pytest.mark.e2e

PORTAL = "https://laichau.gov.vn/"
# Where the deployed API would be. The browser sees the portal and the API on public
# hosts, as after `sam deploy` (Chromium refuses a public page's requests to loopback);
# the API host's requests are passed on to the local API.
API_HOST = "https://abc123.execute-api.ap-southeast-1.amazonaws.com"
README = (__import__("pathlib").Path(__file__).resolve().parents[2] / "README.md").read_text()


def visit_counter(capsys: Any, api: str, *argv: str) -> Any:
    """`visit-counter --api API ...`, as the README says for `make run`."""
    capsys.readouterr()
    assert main(["--api", api, *argv]) == 0, capsys.readouterr().err
    # The in-process API's functions print their metrics (EMF lines) to the same stdout.
    out = capsys.readouterr().out.splitlines()
    return json.loads("\n".join(line for line in out if not line.startswith('{"_aws"')))


def readme_tag(widget_url: str) -> str:
    """The README's tag, with the stack's WidgetUrl output put in."""
    (tag,) = re.findall(r'<script src="\$WIDGET_URL"[^>]*></script>', README)
    return tag.replace("$WIDGET_URL", widget_url)


def dashboard_state(page: Any, url: str) -> str:
    page.goto(url)
    page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=45_000)
    return str(page.get_attribute("body", "data-state"))


def test_readme_deploy_section_end_to_end(page: Any, local_api: Any, capsys: Any) -> None:
    api = local_api.url
    # 1. Register the site (README: visit-counter ... site set laichau ...).
    site = visit_counter(
        capsys,
        api,
        "site",
        "set",
        "laichau",
        "--timezone",
        # The README says Asia/Ho_Chi_Minh; a zone at midday keeps the site's midnight (and
        # "today" going back to 0) out of the test, whenever it runs.
        midday_timezone(),
        "--origin",
        "https://laichau.gov.vn",
    )
    assert site["allowed_origins"] == ["https://laichau.gov.vn"]

    # 2. The portal's page with the README's tag: it counts, and shows the block.
    def to_local_api(route: Any) -> None:
        route.fulfill(response=route.fetch(url=route.request.url.replace(API_HOST, api)))

    page.route(API_HOST + "/**", to_local_api)
    widget_requests: list[str] = []
    page.on("request", lambda r: widget_requests.append(r.method + " " + r.url))
    tag = readme_tag(API_HOST + "/widget.js")
    assert 'data-site="laichau"' in tag and "data-api" not in tag  # the API is the script's origin
    body = f"<!doctype html><html><body><footer>{tag}</footer></body></html>"
    page.route(PORTAL, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    page.goto(PORTAL)
    shown = figures(page)
    assert shown["today"] == "1" and shown["total"] == "1", shown
    # The widget came from the stack's route and counted through the API it came from.
    assert widget_requests[1:] == [
        f"GET {API_HOST}/widget.js",
        f"POST {API_HOST}/v1/sites/laichau/hits",
    ], widget_requests
    screenshot(page, "operators-portal-widget.png")
    listed = visit_counter(capsys, api, "sites", "--json")
    assert next(s for s in listed if s["site"] == "laichau")["today"] == 1

    # 3. Private reports, shared by link.
    visit_counter(capsys, api, "site", "set", "laichau", "--reports", "private")
    Operator(api).hit("laichau", "/tin-tuc/a", user_agent=f"{USER_AGENT} second")
    local_api.drain_streams()  # page counts come by the aggregation path (its window, now)
    issued = visit_counter(capsys, api, "token", "issue", "laichau", "--label", "So TT&TT")
    share_link = issued["share_link"]
    assert share_link.startswith(f"{api}/dashboard?site=laichau#token=")

    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r) if "/v1/" in r.url else None)
    assert dashboard_state(page, share_link) == "ready", page.text_content("#status")
    # The token goes as a header, never in a URL a server or log could see.
    series = [r for r in sent if "/series" in r.url]
    assert series and all(
        r.headers.get("authorization") == f"Bearer {issued['token']}" for r in series
    )
    assert not any(issued["token"] in r.url for r in sent)
    assert page.inner_text('[data-figure="today"]') == "2"
    assert "/tin-tuc/a" in page.inner_text("#pages")
    screenshot(page, "operators-private-dashboard-shared.png", full_page=True)

    page.goto("about:blank")  # a new load: the fragment alone would not reload the page
    assert dashboard_state(page, f"{api}/dashboard?site=laichau") == "error"
    assert "riêng tư" in page.text_content("#status")
    assert page.locator("#chart-day svg").count() == 0
    screenshot(page, "operators-private-dashboard-refused.png", full_page=True)

    # Revoked: the same link no longer opens the reports.
    visit_counter_revoke = main(["--api", api, "token", "revoke", "laichau", issued["id"]])
    assert visit_counter_revoke == 0
    capsys.readouterr()
    page.goto("about:blank")
    assert dashboard_state(page, share_link) == "error"
    assert "wrong or revoked" in page.text_content("#status")
    screenshot(page, "operators-private-dashboard-revoked.png", full_page=True)
