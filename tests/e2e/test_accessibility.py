"""WCAG 2 A/AA checks by axe-core on the dashboard (with data, vi and en) and the demo page,
and the dashboard's date fields in the page's language whatever the browser's locale.

axe-core comes inside the axe-playwright-python wheel (requirements-dev.txt): nothing is
downloaded when the tests run.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import USER_AGENT, Operator, screenshot

pytestmark = pytest.mark.e2e

SITE = "e2e-a11y"
# WCAG 2.0, 2.1 and 2.2 levels A and AA (axe's tags; 2.2 A has no rule of its own).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def seeded(local_api: Any) -> date:
    """Figures, imported history (a lighter bar and the legend), panels, pages."""
    operator = Operator(local_api.url)
    operator.register(SITE)
    today = date.fromisoformat(operator.today(SITE))
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    rows = [
        {"period": str(today.year - 1), "visits": 70000},
        {"period": previous.isoformat()[:7], "visits": 3100},
    ]
    answer = requests.post(
        f"{local_api.url}/v1/sites/{SITE}/history", json={"rows": rows}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    hits = [
        {"path": "/tin-tuc/a", "referrer": "https://www.google.com/"},
        {"path": "/tin-tuc/b", "referrer": "https://zalo.me/"},
        {"path": "/", "utm": {"utm_source": "zalo", "utm_medium": "social", "utm_campaign": "tet"}},
        {"path": "/lien-he"},
    ]
    for visitor, body in enumerate(hits):
        answer = requests.post(
            f"{local_api.url}/v1/sites/{SITE}/hits",
            json=body,
            headers={"User-Agent": f"{USER_AGENT} a11y/{visitor}", "Accept-Language": "vi"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    local_api.drain_streams()
    return today


@pytest.fixture
def english_browser(browser: Any) -> Any:
    """A browser set to English (US): a native date field would say mm/dd/yyyy here."""
    context = browser.new_context(
        user_agent=USER_AGENT, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    yield context.new_page()
    context.close()


def axe_violations(page: Any) -> list[str]:
    """One line per violation: rule id, impact, and the elements it found."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']}; on "
        + "; ".join(" ".join(map(str, node["target"])) for node in rule["nodes"])
        for rule in found
    ]


def assert_accessible(page: Any) -> None:
    found = axe_violations(page)
    assert not found, "axe-core found WCAG A/AA violations:\n" + "\n".join(found)


def open_dashboard(page: Any, local_api: Any, query: str = "") -> None:
    page.goto(f"{local_api.url}/dashboard?site={SITE}{query}")
    page.wait_for_selector("body[data-breakdowns=ready], body[data-state=error]", timeout=45_000)
    assert page.get_attribute("body", "data-state") == "ready", page.text_content("#status")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_dashboard_with_data_has_no_wcag_violation(
    english_browser: Any, local_api: Any, seeded: date, lang: str
) -> None:
    page = english_browser
    open_dashboard(page, local_api, f"&lang={lang}")
    # What axe must see is there: figures, the charts with the imported legend, panels.
    assert page.inner_text('#figures [data-figure="today"]') == "4"
    for chart in ("day", "month", "year", "hour", "weekday"):
        assert page.locator(f"#chart-{chart} svg rect.bar").count() > 0, chart
    assert page.locator("#chart-month rect.bar.imported").count() == 1
    assert page.locator("#chart-month .legend").count() == 1
    assert page.locator("#rows-source li .path").count() >= 2
    assert page.locator("#rows-bot li.none").count() == 1  # the empty panel's text
    assert_accessible(page)
    screenshot(page, f"a11y-dashboard-{lang}.png", full_page=True)


def test_charts_of_the_panels_say_what_they_show(
    english_browser: Any, local_api: Any, seeded: date
) -> None:
    page = english_browser
    open_dashboard(page, local_api, "&lang=en")
    weekday = page.get_attribute("#chart-weekday svg", "aria-label")
    # Four visitors today, nothing on other days (imported months have no days).
    assert weekday is not None and weekday.startswith("By day of week. ")
    assert f"{seeded:%a}: 4" in weekday
    hour = page.get_attribute("#chart-hour svg", "aria-label")
    assert hour is not None and hour.startswith("By hour of day. ")
    bars = dict(bar.rsplit(": ", 1) for bar in hour.removeprefix("By hour of day. ").split(", "))
    assert all(re.fullmatch(r"[0-2][0-9]:00", name) for name in bars)
    assert sum(int(n) for n in bars.values()) == 4  # only hours with visits are said


def test_demo_page_has_no_wcag_violation(page: Any, local_api: Any) -> None:
    page.goto(local_api.url + "/")
    page.wait_for_selector(".vc-widget[data-state=ready]", timeout=20_000)
    assert_accessible(page)
    screenshot(page, "a11y-demo.png", full_page=True)


def test_vietnamese_date_fields_read_dd_mm_yyyy_in_an_english_browser(
    english_browser: Any, local_api: Any, seeded: date
) -> None:
    page = english_browser
    open_dashboard(page, local_api)
    first = seeded - timedelta(days=29)
    assert page.input_value("#from") == f"{first:%d/%m/%Y}"
    assert page.input_value("#to") == f"{seeded:%d/%m/%Y}"
    # The format is in the fields' accessible names, not only in a placeholder.
    assert page.get_by_label("Từ (dd/mm/yyyy)").count() == 1
    assert page.get_by_label("Đến (dd/mm/yyyy)").count() == 1

    week = seeded - timedelta(days=6)
    page.fill("#from", f"{week:%d/%m/%Y}")
    page.press("#from", "Enter")
    # Not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    expect(page.locator("#chart-day rect.bar")).to_have_count(7)
    periods = page.eval_on_selector_all("#chart-day rect.bar", "r => r.map(x => x.dataset.period)")
    assert periods[0] == week.isoformat() and periods[-1] == seeded.isoformat()

    # Arrow keys step a day, as in a native date field.
    page.press("#from", "ArrowDown")
    assert page.input_value("#from") == f"{week - timedelta(days=1):%d/%m/%Y}"

    # No such day: the field is invalid and the form is not sent.
    page.fill("#from", f"31/02/{seeded.year}")
    assert page.eval_on_selector("#from", "f => f.validity.valid") is False
    message = page.eval_on_selector("#from", "f => f.validationMessage")
    assert "dd/mm/yyyy" in message
    page.press("#from", "Enter")
    assert page.locator("#chart-day rect.bar").count() == 7
    assert page.get_attribute("body", "data-state") == "ready"


def test_english_date_fields_read_iso_in_a_vietnamese_browser(
    page: Any, local_api: Any, seeded: date
) -> None:
    open_dashboard(page, local_api, "&lang=en")  # the page fixture's browser says vi-VN
    assert page.input_value("#from") == (seeded - timedelta(days=29)).isoformat()
    assert page.input_value("#to") == seeded.isoformat()
    assert page.get_by_label("From (yyyy-mm-dd)").count() == 1
    page.fill("#to", f"{seeded:%d/%m/%Y}")  # the Vietnamese form is not English's
    assert page.eval_on_selector("#to", "f => f.validity.valid") is False


def test_dates_in_the_address_are_shown_in_the_page_language(
    english_browser: Any, local_api: Any, seeded: date
) -> None:
    page = english_browser
    start = seeded - timedelta(days=13)
    open_dashboard(page, local_api, f"&from={start.isoformat()}&to={seeded.isoformat()}")
    assert page.input_value("#from") == f"{start:%d/%m/%Y}"
    assert page.locator("#chart-day rect.bar").count() == 14
