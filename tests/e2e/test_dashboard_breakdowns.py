"""Breakdown panels in a real browser: items seeded in the aggregator's layout, lists, charts, CSV, phone."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
import requests
from playwright.sync_api import expect

from counters.storage.keys import report_pk, report_sk
from tests.e2e.conftest import USER_AGENT, Operator, midday_timezone, screenshot

pytestmark = pytest.mark.e2e

SITE = "e2e-breakdowns"
SEED = {
    "source": {"Google": (40, 90), "Zalo": (25, 30), "direct": (10, 12), "baomoi.com": (3, 3)},
    "browser": {"Chrome": (50, 100), "Cốc Cốc": (20, 25), "Safari": (8, 10)},
    "os": {"Android": (40, 60), "Windows": (30, 60), "iOS": (8, 10)},
    "device": {"mobile": (48, 70), "desktop": (30, 65)},
    "country": {"VN": (70, 120), "US": (5, 10), "(unknown)": (3, 5)},
    "language": {"vi": (70, 120), "en": (8, 15)},
    "campaign": {"zalo / social / tet-2026": (12, 14)},
    "hour": {"08": (20, 30), "09": (30, 50), "20": (28, 55)},
    "bot": {"Googlebot": (0, 40), "Bingbot": (0, 12)},
}


@pytest.fixture(scope="module")
def seeded(local_api: Any) -> date:
    """Three counted hits today, aggregated, then SEED added on today and yesterday.

    The hits (a desktop Chrome on Linux, no referrer, in Vietnamese, no country header)
    add 3 visits to direct, Chrome, Linux, desktop, (unknown) country and vi, and to the
    hour they came in.
    """
    operator = Operator(local_api.url)
    operator.register(SITE, timezone=midday_timezone())  # hours from its midnight
    today = date.fromisoformat(operator.today(SITE))
    for visitor in range(3):  # the weekday chart comes from the day series
        answer = requests.post(
            f"{local_api.url}/v1/sites/{SITE}/hits",
            json={"path": "/"},
            headers={"User-Agent": f"{USER_AGENT} e2e/{visitor}", "Accept-Language": "vi"},
            timeout=10,
        )
        assert answer.status_code == 200 and answer.json()["counted"], answer.text
    # The hits' breakdowns are added by the aggregation path: now, not whenever its window
    # ends (mid-test), so the panels show SEED plus the hits.
    local_api.drain_streams()
    client = boto3.client("dynamodb", region_name="us-east-1")  # the local API's moto endpoint
    for days_ago in (0, 1):
        day = today - timedelta(days=days_ago)
        for dimension, values in SEED.items():
            for value, (visits, pageviews) in values.items():
                # ADD, as the aggregator does: what the hits added stays.
                update = "ADD p :p" if dimension == "bot" else "ADD p :p, v :v"
                numbers = {":p": {"N": str(pageviews)}, ":v": {"N": str(visits)}}
                client.update_item(
                    TableName=os.environ["TABLE_NAME"],
                    Key={
                        "pk": {"S": report_pk(SITE, dimension, day)},
                        "sk": {"S": report_sk(day, value)},
                    },
                    UpdateExpression=update,
                    ExpressionAttributeValues=numbers
                    if dimension != "bot"
                    else {":p": numbers[":p"]},
                )
    return today


def open_dashboard(page: Any, local_api: Any, lang: str = "en") -> None:
    page.goto(f"{local_api.url}/dashboard?site={SITE}&lang={lang}")
    page.wait_for_selector("body[data-breakdowns=ready], body[data-state=error]", timeout=45_000)
    assert page.get_attribute("body", "data-breakdowns") == "ready", page.text_content("#status")


def names(page: Any, dimension: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#rows-{dimension} li .path", "n => n.map(x => x.textContent)"
    )


def test_panels_show_the_seeded_breakdowns(page: Any, local_api: Any, seeded: date) -> None:
    open_dashboard(page, local_api)
    assert names(page, "source") == ["Google", "Zalo", "Direct", "baomoi.com"]
    assert page.inner_text("#rows-source li:first-child .views") == "80"  # two days of 40 visits
    assert views(page, "source") == ["80", "50", "23", "6"]  # Direct: 2 x 10 seeded + 3 hits
    assert names(page, "country") == ["Vietnam", "United States", "(unknown)"]
    assert views(page, "country") == ["140", "10", "9"]
    assert names(page, "language") == ["Vietnamese", "English"]
    assert views(page, "language") == ["143", "16"]
    assert names(page, "device") == ["Mobile", "Desktop"]
    assert views(page, "device") == ["96", "63"]
    assert names(page, "os") == ["Android", "Windows", "iOS", "Linux"]
    assert views(page, "os") == ["80", "60", "16", "3"]
    assert names(page, "bot") == ["Googlebot", "Bingbot"]
    assert page.inner_text("#rows-bot li:first-child .views") == "80"  # bots: hits
    hours = page.eval_on_selector_all(
        "#chart-hour rect.bar", "r => r.map(x => [x.dataset.period, x.dataset.value])"
    )
    assert len(hours) == 24
    # The hits came at about noon, site time (midday_timezone): never at 09 or 00.
    assert dict(hours)["09"] == "60" and dict(hours)["00"] == "0"
    assert sum(int(value) for _, value in hours) == 2 * (20 + 30 + 28) + 3
    weekdays = page.eval_on_selector_all(
        "#chart-weekday rect.bar", "r => r.map(x => [x.dataset.period, x.dataset.value])"
    )
    assert [name for name, _ in weekdays] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert dict(weekdays)[f"{seeded:%a}"] == "3"
    assert sum(int(value) for _, value in weekdays) == 3
    assert page.inner_text("h1").startswith("Visit statistics")
    screenshot(page, "dashboard-breakdowns.png", full_page=True)


def views(page: Any, dimension: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#rows-{dimension} li .views", "n => n.map(x => x.textContent)"
    )


def test_vietnamese_names_and_csv(page: Any, local_api: Any, seeded: date) -> None:
    open_dashboard(page, local_api, lang="vi")
    assert names(page, "country")[0] == "Việt Nam"
    assert names(page, "source")[2] == "Truy cập trực tiếp"
    with page.expect_download() as info:
        page.click("#card-browser button.csv")
    download = info.value
    assert download.suggested_filename.startswith(f"{SITE}_browser_")
    with open(download.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    assert rows[0] == {"value": "Chrome", "visits": "103", "pageviews": "203"}  # 3 hits added
    assert {"value": "Cốc Cốc", "visits": "40", "pageviews": "50"} in rows


def test_breakdowns_on_a_phone(browser: Any, local_api: Any, seeded: date) -> None:
    context = browser.new_context(
        user_agent=USER_AGENT, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    page = context.new_page()
    try:
        open_dashboard(page, local_api, lang="vi")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "dashboard-breakdowns-phone.png", full_page=True)
        width = page.eval_on_selector("#chart-hour svg", "svg => svg.getBoundingClientRect().width")
        assert 300 <= width <= 390
        screenshot(page.locator("#card-hour"), "dashboard-breakdowns-phone-hours.png")
        screenshot(page.locator("#card-source"), "dashboard-breakdowns-phone-sources.png")
    finally:
        context.close()


def test_panels_follow_the_metric_switch(page: Any, local_api: Any, seeded: date) -> None:
    open_dashboard(page, local_api)
    assert page.inner_text("#rows-source li:first-child .views") == "80"
    page.select_option("#metric", "pageviews")
    # Not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    expect(page.locator("#rows-source li:first-child .views")).to_have_text("180")
    assert page.inner_text("#rows-source li:nth-child(2) .path") == "Zalo"
