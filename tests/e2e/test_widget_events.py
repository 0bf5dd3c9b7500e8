"""The widget's events in Chromium: downloads and outbound links counted once per click
(middle clicks too) without holding navigation back; custom events with properties; an
event from an origin the site does not allow is 403 and counts nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import USER_AGENT, Operator, screenshot

pytestmark = pytest.mark.e2e

OUTSIDE = "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html"


def portal_page(site: str) -> str:
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>t</title></head>
<body>
  <a id="pdf" href="/files/quyet-dinh-12.pdf?v=2">Quyết định 12</a>
  <a id="dwg" href="/files/ban-ve.dwg">Bản vẽ</a>
  <a id="out" href="{OUTSIDE}">Dịch vụ công</a>
  <a id="inside" href="/tin-tuc">Tin tức</a>
  <button id="subscribe" data-vc-event="Đăng ký nhận tin" data-vc-event-kênh="email">Đăng ký</button>
  <button id="call" type="button">Gọi</button>
  <script src="/widget.js" data-site="{site}" data-add-file-types="dwg" async></script>
  <script>document.getElementById("call").onclick = function () {{
    visitCounter.track("Gọi điện", {{"số": "1022"}}); }};</script>
</body></html>"""


def recorded(local_api: Any, site: str, events: int) -> None:
    """Until the server has recorded `events` events (a beacon's answer is no one's to wait
    for: the page may be gone), each time through the aggregation path; 10 s at most."""
    deadline = time.monotonic() + 10
    while True:
        local_api.drain_streams()
        found = sum(p for _, p in rows(local_api.url, site, "event").values())
        if found >= events or time.monotonic() > deadline:
            assert found == events
            return
        time.sleep(0.05)


def rows(url: str, site: str, dimension: str) -> dict[str, tuple[int, int]]:
    answer = requests.get(
        f"{url}/v1/sites/{site}/breakdown", params={"dimension": dimension}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {r["value"]: (r["visits"], r["pageviews"]) for r in answer.json()["rows"]}


def is_event(request: Any) -> bool:
    return "/events" in request.url


def open_portal(page: Any, url: str, site: str) -> list[str]:
    """The portal page on the local API's origin; files and the outside host answered here
    (nothing leaves the machine). Returns the log of event requests' bodies."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if is_event(r) else None)
    for pattern in (f"{url}/portal.html", f"{url}/files/**", f"{url}/tin-tuc", OUTSIDE):
        page.route(
            pattern,
            lambda route: route.fulfill(
                status=200, content_type="text/html", body=portal_page(site)
            ),
        )
    page.goto(f"{url}/portal.html")
    page.wait_for_function("() => !!window.visitCounter")
    return sent


def test_downloads_and_outbound_links_count_once_and_navigation_goes_on(
    page: Any, local_api: Any, operator: Operator
) -> None:
    operator.register("files")
    sent = open_portal(page, local_api.url, "files")
    with page.expect_request(is_event):
        page.click("#pdf")
    page.wait_for_url("**/files/quyet-dinh-12.pdf?v=2")  # the click navigated, not held
    page.go_back()
    page.wait_for_function("() => !!window.visitCounter")
    with page.expect_request(is_event):
        page.click("#out")
    page.wait_for_url(OUTSIDE)
    page.go_back()
    page.wait_for_function("() => !!window.visitCounter")
    with page.expect_request(is_event):
        page.click("#dwg", button="middle")  # a middle click (a new tab) counts too
    page.click("#inside")  # a link to the site's own page is no event
    page.wait_for_url("**/tin-tuc")
    expect(page.locator("#pdf")).to_be_visible()
    recorded(local_api, "files", 3)
    assert len(sent) == 3, sent
    assert rows(local_api.url, "files", "download") == {
        "/files/quyet-dinh-12.pdf": (0, 1),
        "/files/ban-ve.dwg": (0, 1),
    }
    assert rows(local_api.url, "files", "outbound") == {
        "dichvucong.gov.vn/p/home/dvc-trang-chu.html": (0, 1)
    }
    assert rows(local_api.url, "files", "event") == {"download": (1, 2), "outbound": (1, 1)}


def test_custom_events_with_properties(page: Any, local_api: Any, operator: Operator) -> None:
    operator.register("custom")
    sent = open_portal(page, local_api.url, "custom")
    for button in ("#subscribe", "#call"):
        with page.expect_request(is_event):
            page.click(button)
    with page.expect_request(is_event):  # one that must not end a bounce
        page.evaluate('visitCounter.track("Cuộn trang", {}, {interactive: false})')
    recorded(local_api, "custom", 3)
    assert len(sent) == 3, sent
    # Interactive unless told: the widget sends `interactive` only to say false.
    assert ['"interactive":false' in body for body in sent] == [False, False, True]
    assert rows(local_api.url, "custom", "event") == {
        "Đăng ký nhận tin": (1, 1),
        "Gọi điện": (1, 1),
        "Cuộn trang": (1, 1),
    }
    assert rows(local_api.url, "custom", "property") == {
        "Gọi điện / số: 1022": (0, 1),
        "Đăng ký nhận tin / kênh: email": (0, 1),
    }


def test_an_event_from_an_origin_the_site_does_not_allow_counts_nothing(
    page: Any, local_api: Any, operator: Operator
) -> None:
    operator.register("closed", allowed_origins=["https://laichau.gov.vn"])
    open_portal(page, local_api.url, "closed")
    # A click that stays on the page: its beacon's answer is still the page's to see.
    with page.expect_response(lambda r: "/events" in r.url) as answer:
        page.click("#call")
    assert answer.value.status == 403
    local_api.drain_streams()
    assert rows(local_api.url, "closed", "event") == {}


def test_dashboard_panels_of_events_in_both_languages(
    page: Any, local_api: Any, operator: Operator
) -> None:
    goals = [
        {"name": "Tải văn bản", "event": "download"},
        {"name": "Gọi", "event": "Gọi điện"},
        {"name": "Trang chủ", "page": "/"},  # a page goal: both visits viewed it
    ]
    operator.register("panels", goals=goals)
    events = [
        {"name": "download", "url": f"{local_api.url}/files/a.pdf"},
        {"name": "download", "url": f"{local_api.url}/files/a.pdf"},
        {"name": "download", "url": "https://cdn.example.vn/b.docx"},
        {"name": "outbound", "url": OUTSIDE},
        {"name": "Đăng ký nhận tin", "props": {"kênh": "email"}},
    ]
    for i in range(2):  # two visitors, a page view each
        answer = requests.post(
            f"{local_api.url}/v1/sites/panels/hits",
            json={"path": "/"},
            headers={"User-Agent": f"{USER_AGENT} v{i}", "Origin": local_api.url},
            timeout=10,
        )
        assert answer.json()["counted"], answer.text
    for i, body in enumerate(events):
        answer = requests.post(
            f"{local_api.url}/v1/sites/panels/events",
            json=body,
            headers={"User-Agent": f"{USER_AGENT} v{i % 2}", "Origin": local_api.url},
            timeout=10,
        )
        assert answer.json() == {"counted": True}, answer.text
    local_api.drain_streams()
    expected = {
        "en": {
            "event": ["File download", "Outbound link click", "Đăng ký nhận tin"],
            "download": ["/files/a.pdf", "cdn.example.vn/b.docx"],
        },
        "vi": {
            "event": ["Tải tệp", "Bấm liên kết ra ngoài", "Đăng ký nhận tin"],
            "download": ["/files/a.pdf", "cdn.example.vn/b.docx"],
        },
    }
    for lang, panels in expected.items():
        page.goto(f"{local_api.url}/dashboard?site=panels&lang={lang}")
        expect(page.locator("body")).to_have_attribute("data-breakdowns", "ready", timeout=45_000)
        for dimension, names in panels.items():
            shown = page.locator(f"#rows-{dimension} li .path").all_inner_texts()
            assert shown == names, (lang, dimension, shown)
        assert page.locator("#rows-download li .views").all_inner_texts() == ["2", "1"]
        assert page.locator("#rows-outbound li .path").all_inner_texts() == [
            "dichvucong.gov.vn/p/home/dvc-trang-chu.html"
        ]
        assert page.locator("#rows-property li .path").all_inner_texts() == [
            "Đăng ký nhận tin / kênh: email"
        ]
        # Both visits downloaded and viewed the home page; none called.
        names = ["Tải văn bản", "Gọi", "Trang chủ"]
        assert page.locator("#rows-goal li .path").all_inner_texts() == names
        kinds = {
            "en": ["event download", "event Gọi điện", "page /"],
            "vi": ["sự kiện download", "sự kiện Gọi điện", "trang /"],
        }[lang]
        shown_kinds = page.locator("#rows-goal li .goal-kind").all_inner_texts()
        assert [kind.strip() for kind in shown_kinds] == kinds
        rates = ["2 · 100%", "0 · 0%", "2 · 100%"]
        assert page.locator("#rows-goal li .views").all_inner_texts() == rates
        title = {"en": "File downloads", "vi": "Tệp được tải về"}[lang]
        expect(page.locator("#card-download h2")).to_have_text(title)
        screenshot(page, f"dashboard-events-{lang}.png", full_page=True)
