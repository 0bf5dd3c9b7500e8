"""The embeddable widget in a real browser: right figures, one hit per page view, dashes offline."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Operator, screenshot

pytestmark = pytest.mark.e2e

KEYS = ["today", "yesterday", "month", "year", "total", "online"]
BASELINE = {"today": 4003, "yesterday": 5672, "month": 38521, "year": 959424, "total": 84916357}


def figures(page: Any, scope: str = ".vc-widget") -> dict[str, str]:
    page.wait_for_selector(f"{scope}[data-state]", timeout=10_000)
    block = page.locator(scope).first
    return {k: block.locator(f'[data-figure="{k}"]').inner_text() for k in KEYS}


def labels(page: Any) -> list[str]:
    return [cell.inner_text() for cell in page.locator(".vc-widget td:first-child").all()]


def hit_requests(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.method) if "/hits" in r.url else None)
    return seen


def fake_page(page: Any, url: str, body: str) -> None:
    """Serves `body` at `url` on the local API's origin (the widget's own origin)."""
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))


def test_demo_portal_shows_baseline_plus_its_own_visit(
    page: Any, local_api: Any, operator: Operator
) -> None:
    operator.register("demo")  # in a zone at midday: today cannot turn during the test
    today = operator.today("demo")
    operator.baseline("demo", date=today, **BASELINE)
    methods = hit_requests(page)
    page.goto(local_api.url + "/")
    assert figures(page) == {
        "today": "4.004",
        "yesterday": "5.672",
        "month": "38.522",
        "year": "959.425",
        "total": "84.916.358",
        "online": "1",
    }
    assert labels(page) == [
        "Hôm nay",
        "Hôm qua",
        f"Tháng {today[5:7]}",
        f"Năm {today[:4]}",
        "Tổng số",
        "Đang truy cập",
    ]
    assert page.locator(".vc-widget h3").inner_text().lower() == "thống kê truy cập"
    assert methods == ["POST"]  # one hit, and no CORS preflight
    page.locator("footer").scroll_into_view_if_needed()
    screenshot(page, "widget-portal.png", full_page=True)
    screenshot(page.locator("footer"), "widget-footer.png")
    # Counting visits: a reload by the same visitor is not a new visit.
    page.reload()
    assert figures(page)["today"] == "4.004"
    assert methods == ["POST", "POST"]


def test_pageviews_site_in_english(page: Any, local_api: Any, operator: Operator) -> None:
    operator.register("e2e-pageviews", count="pageviews")
    operator.baseline("e2e-pageviews", date=operator.today("e2e-pageviews"), **BASELINE)
    url = local_api.url + "/e2e/pageviews.html"
    fake_page(
        page,
        url,
        '<!doctype html><meta charset="utf-8"><body><h1>News</h1>'
        '<script src="/widget.js" data-site="e2e-pageviews" data-lang="en" async></script>',
    )
    page.goto(url)
    first = figures(page)
    page.reload()
    # Every page view counts: baseline + 2 after two loads.
    assert figures(page) == {
        "today": "4,005",
        "yesterday": "5,672",
        "month": "38,523",
        "year": "959,426",
        "total": "84,916,359",
        "online": "1",
    }
    assert first["total"] == "84,916,358"
    assert labels(page)[:2] == ["Today", "Yesterday"]
    assert labels(page)[2].startswith("Month ") and labels(page)[3].startswith("Year ")


def test_the_tag_twice_still_counts_once(page: Any, local_api: Any, operator: Operator) -> None:
    operator.register("e2e-twice", count="pageviews")
    url = local_api.url + "/e2e/twice.html"
    tag = '<script src="/widget.js" data-site="e2e-twice" async></script>'
    fake_page(page, url, f'<!doctype html><meta charset="utf-8"><body>{tag}<hr>{tag}')
    methods = hit_requests(page)
    page.goto(url)
    # Not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    expect(page.locator(".vc-widget[data-state=ready]")).to_have_count(2)
    assert methods == ["POST"]
    assert page.locator('.vc-widget [data-figure="total"]').all_inner_texts() == ["1", "1"]


def test_dashes_when_the_api_is_unreachable(page: Any, local_api: Any) -> None:
    url = local_api.url + "/e2e/offline.html"
    fake_page(
        page,
        url,
        '<!doctype html><meta charset="utf-8"><body>'
        '<script src="/widget.js" data-site="demo" data-api="http://127.0.0.1:9" async>'
        "</script>",
    )
    page.goto(url)
    assert figures(page) == dict.fromkeys(KEYS, "–")
    assert page.locator(".vc-widget").get_attribute("data-state") == "error"
    screenshot(page.locator(".vc-widget"), "widget-offline.png")


def test_dashes_when_the_site_is_unknown(page: Any, local_api: Any) -> None:
    url = local_api.url + "/e2e/unknown.html"
    fake_page(
        page,
        url,
        '<!doctype html><meta charset="utf-8"><body>'
        '<script src="/widget.js" data-site="no-such-site" async></script>',
    )
    page.goto(url)
    assert figures(page) == dict.fromkeys(KEYS, "–")


def test_the_hit_carries_utm_tags_and_no_other_query_key(
    page: Any, local_api: Any, operator: Operator
) -> None:
    import json

    operator.register("e2e-utm")
    url = local_api.url + "/e2e/utm.html"
    tag = '<script src="/widget.js" data-site="e2e-utm" async></script>'
    fake_page(page, url + "*", f'<!doctype html><meta charset="utf-8"><body>{tag}')
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if "/hits" in r.url else None)
    page.goto(url + "?utm_source=Zalo&utm_medium=social&token=SECRET&utm_campaign=tet&utm_term=x")
    page.wait_for_selector(".vc-widget[data-state=ready]", timeout=10_000)
    assert len(bodies) == 1
    body = json.loads(bodies[0])
    assert body["utm"] == {"utm_source": "Zalo", "utm_medium": "social", "utm_campaign": "tet"}
    assert "SECRET" not in bodies[0] and "utm_term" not in bodies[0]
    assert page.locator('.vc-widget [data-figure="today"]').inner_text() == "1"  # accepted, counted
