"""The dashboard in a real browser: figures, three SVG charts, top pages, CSV, a phone's width."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import USER_AGENT, Operator, midday_timezone, screenshot

pytestmark = pytest.mark.e2e

PAGES = {"/tin-tuc/chuyen-doi-so": 5, "/dich-vu-cong": 3, "/": 2, "/lien-he?ref=footer": 1}


@pytest.fixture(scope="module")
def seeded(local_api: Any) -> dict[str, Any]:
    """A site with a baseline 10 days ago and some visitors today, on several pages."""
    operator = Operator(local_api.url)
    operator.register("e2e-dash", timezone=midday_timezone())  # hours from its midnight
    today = date.fromisoformat(operator.today("e2e-dash"))
    then = today - timedelta(days=10)
    operator.baseline(
        "e2e-dash",
        date=then.isoformat(),
        today=120,
        yesterday=95,
        month=1500,
        year=20000,
        total=300000,
    )
    visitor = 0
    for path, views in PAGES.items():
        for _ in range(views):
            visitor += 1
            operator.hit("e2e-dash", path, user_agent=f"{USER_AGENT} e2e/{visitor}")
    local_api.drain_streams()  # pages come by the aggregation path (its window, now)
    return {"today": today, "baseline_day": then, "visits_today": visitor}


def open_dashboard(page: Any, local_api: Any) -> None:
    page.goto(local_api.url + "/dashboard?site=e2e-dash")
    # Generous: the first test of a CI run also pays Chromium's and the handlers' cold start.
    page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=45_000)
    state = page.get_attribute("body", "data-state")
    assert state == "ready", page.text_content("#status")


def bars(page: Any, chart: str) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        f"#chart-{chart} svg rect.bar",
        "rects => rects.map(r => ({period: r.dataset.period, value: r.dataset.value,"
        " height: r.getAttribute('height')}))",
    )


def test_dashboard_draws_figures_charts_and_top_pages(
    page: Any, local_api: Any, seeded: dict[str, Any]
) -> None:
    open_dashboard(page, local_api)
    today, then = seeded["today"], seeded["baseline_day"]
    # Figures: today's visitors; the baseline's total carried over.
    assert page.locator('#figures [data-figure="today"]').inner_text() == str(
        seeded["visits_today"]
    )
    assert page.locator('#figures [data-figure="total"]').inner_text() == "300.011"

    daily = bars(page, "day")
    assert len(daily) == 30
    assert daily[0]["period"] == (today - timedelta(days=29)).isoformat()
    assert daily[-1] == {**daily[-1], "period": today.isoformat(), "value": "11"}
    by_day = {b["period"]: b for b in daily}
    assert by_day[then.isoformat()]["value"] == "120"
    assert (
        by_day[(then - timedelta(days=1)).isoformat()]["value"] == "95"
    )  # the baseline's yesterday
    assert float(by_day[then.isoformat()]["height"]) > float(daily[-1]["height"]) > 0

    monthly = bars(page, "month")
    assert len(monthly) == 12 and monthly[-1]["period"] == today.isoformat()[:7]
    yearly = bars(page, "year")
    assert [b["period"] for b in yearly] == [str(today.year - n) for n in range(4, -1, -1)]
    assert yearly[-1]["value"] == str(20000 + 11 if then.year == today.year else 11)
    # Axis labels are drawn too.
    assert page.locator("#chart-day svg text.axis").count() > 5

    top = page.locator("#pages li")
    assert top.locator(".path").all_inner_texts() == [
        "/tin-tuc/chuyen-doi-so",
        "/dich-vu-cong",
        "/",
        "/lien-he",
    ]
    assert top.locator(".views").all_inner_texts() == ["5", "3", "2", "1"]
    screenshot(page, "dashboard.png", full_page=True)


def test_metric_switch_and_range_picker(page: Any, local_api: Any, seeded: dict[str, Any]) -> None:
    open_dashboard(page, local_api)
    page.select_option("#metric", "pageviews")
    assert bars(page, "day")[-1]["value"] == "11"
    page.click("button[data-days='7']")
    page.wait_for_selector("body[data-state=ready]")
    # Not wait_for_function: its polling evaluates a string, which the page's CSP forbids.
    expect(page.locator("#chart-day rect.bar")).to_have_count(7)
    assert bars(page, "day")[-1]["period"] == seeded["today"].isoformat()
    # A range the API refuses shows its message instead of charts from nowhere.
    page.fill("#from", "2000-01-01")
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-state=error]")
    assert "at most 400" in page.locator("#status").inner_text()


def test_csv_download_of_the_daily_series(
    page: Any, local_api: Any, seeded: dict[str, Any]
) -> None:
    open_dashboard(page, local_api)
    with page.expect_download() as info:
        page.click("button.csv[data-chart=day]")
    download = info.value
    assert download.suggested_filename.startswith("e2e-dash_day_")
    with open(download.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    assert len(rows) == 30
    assert rows[-1] == {"period": seeded["today"].isoformat(), "visits": "11", "pageviews": "11"}
    assert {
        "period": seeded["baseline_day"].isoformat(),
        "visits": "120",
        "pageviews": "120",
    } in rows


def test_readable_on_a_phone(browser: Any, local_api: Any, seeded: dict[str, Any]) -> None:
    context = browser.new_context(
        user_agent=USER_AGENT, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    page = context.new_page()
    try:
        open_dashboard(page, local_api)
        # Nothing wider than the screen; charts fill the width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        width = page.eval_on_selector("#chart-day svg", "svg => svg.getBoundingClientRect().width")
        assert 300 <= width <= 390
        screenshot(page, "dashboard-phone.png", full_page=True)
    finally:
        context.close()


def test_imported_history_is_drawn_as_imported_and_unknown_as_unknown(
    page: Any, local_api: Any
) -> None:
    """Imported periods are lighter bars; a period known only inside a total is an outline.

    Imported relative to the site's today, by rules that hold in any month: last year as a
    total, the month before last as a total, last month as a total and all its days but its
    last two. The month chart of the default range (the 12 months to today) is checked
    against that model whole; a range ending on last year's December always shows months
    known only inside last year's total, even when the default range holds none (December).
    """
    operator = Operator(local_api.url)
    operator.register("e2e-history", timezone=midday_timezone())
    today = date.fromisoformat(operator.today("e2e-history"))
    month = today.replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)  # imported as a total and most days
    before = (previous - timedelta(days=1)).replace(day=1)  # imported as a total
    last = (month - timedelta(days=1)).day
    rows = [
        {"period": str(today.year - 1), "visits": 700000},
        {"period": before.isoformat()[:7], "visits": 25000},
        {"period": previous.isoformat()[:7], "visits": 31000},
    ] + [
        {"period": previous.replace(day=d).isoformat(), "visits": 1000} for d in range(1, last - 1)
    ]
    answer = requests.post(
        f"{local_api.url}/v1/sites/e2e-history/history", json={"rows": rows}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    operator.hit("e2e-history", "/")

    def open_history(query: str = "") -> None:
        page.goto(local_api.url + "/dashboard?site=e2e-history" + query)
        page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=45_000)
        assert page.get_attribute("body", "data-state") == "ready", page.text_content("#status")

    def drawn(chart: str) -> dict[str, tuple[str, str]]:
        found = page.eval_on_selector_all(
            f"#chart-{chart} svg rect.bar",
            "rects => rects.map(r => [r.dataset.period, r.getAttribute('class'), r.dataset.value])",
        )
        return {period: (kind, value) for period, kind, value in found}

    def expected_day(day: date) -> tuple[str, str]:
        if day == today:
            return ("bar", "1")
        if previous <= day < month:
            return ("bar imported", "1000") if day.day < last - 1 else ("bar unknown", "")
        if before <= day < previous:
            return ("bar unknown", "")
        return ("bar", "0")

    def expected_month(period: str) -> tuple[str, str]:
        imported = {previous.isoformat()[:7]: "31000", before.isoformat()[:7]: "25000"}
        if period in imported:
            return ("bar imported", imported[period])
        if period == today.isoformat()[:7]:
            return ("bar", "1")
        if period.startswith(f"{today.year - 1}-"):  # known only inside last year's total
            return ("bar unknown", "")
        return ("bar", "0")  # this year, before anything imported: counted, nothing

    open_history()
    days = drawn("day")
    assert len(days) == 30 and max(days) == today.isoformat()
    assert days == {p: expected_day(date.fromisoformat(p)) for p in days}
    months = drawn("month")
    assert len(months) == 12 and max(months) == today.isoformat()[:7]
    assert months == {p: expected_month(p) for p in months}
    years = drawn("year")
    assert years[str(today.year - 1)] == ("bar imported", "700000")
    # This year's counted figure carries its imported earlier months (the footer's year).
    carried = sum(v for m, v in ((previous, 31000), (before, 25000)) if m.year == today.year)
    assert years[str(today.year)] == ("bar", str(carried + 1))
    # A legend where the chart has imported or unknown bars (none late in a month).
    legend = any(kind != "bar" for kind, _ in days.values())
    assert page.locator("#chart-day .legend").count() == int(legend)
    assert page.locator("#chart-month .legend").count() == 1
    assert page.locator("#chart-year .legend").inner_text().startswith("đếm được")
    screenshot(page, "dashboard-history.png", full_page=True)

    open_history("&lang=en")
    legend = " ".join(page.locator("#chart-year .legend").inner_text().split())
    assert legend == "counted imported from the previous counter unknown"
    titles = page.eval_on_selector_all("#chart-month svg title", "t => t.map(x => x.textContent)")
    assert f"{previous.isoformat()[:7]}: 31,000 (imported from the previous counter)" in titles

    # The 12 months of last year: each known only inside its total, unless imported itself.
    open_history(f"&lang=en&to={today.year - 1}-12-31")
    months = drawn("month")
    assert sorted(months) == [f"{today.year - 1}-{m:02d}" for m in range(1, 13)]
    assert months == {p: expected_month(p) for p in months}
    titles = page.eval_on_selector_all("#chart-month svg title", "t => t.map(x => x.textContent)")
    # January of last year is never imported by the rules above.
    assert f"{today.year - 1}-01: unknown (imported from the previous counter)" in titles


VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùýỳ")
# Every text a reader sees or hears: rendered text, the tab's title, aria-labels, the
# options of the metric list and the charts' tooltips (SVG <title>) and the axes (SVG <text>).
SHOWN_TEXTS = """() => [document.body.innerText, document.title]
  .concat([...document.querySelectorAll('[aria-label]')].map(n => n.getAttribute('aria-label')))
  .concat([...document.querySelectorAll('option, svg title, svg text')].map(n => n.textContent))
  .join('\\n')"""


def open_in(page: Any, local_api: Any, query: str) -> None:
    page.goto(f"{local_api.url}/dashboard?site=e2e-dash{query}")
    page.wait_for_selector("body[data-breakdowns=ready], body[data-state=error]", timeout=45_000)
    assert page.get_attribute("body", "data-state") == "ready", page.text_content("#status")


def test_english_with_lang_en_leaves_no_vietnamese_label(
    page: Any, local_api: Any, seeded: dict[str, Any]
) -> None:
    open_in(page, local_api, "&lang=en")  # the browser itself says vi-VN (the page fixture)
    today = seeded["today"]
    shown = page.evaluate(SHOWN_TEXTS)
    vietnamese = sorted({line for line in shown.splitlines() if VIETNAMESE_LETTERS & set(line)})
    assert vietnamese == []
    assert page.get_attribute("html", "lang") == "en"
    assert page.title() == "Visit statistics – e2e-dash"
    assert page.text_content("#month-label") == f"{today:%B}"  # e.g. "June", not "Tháng 06"
    assert page.text_content("#year-label") == f"Year {today.year}"
    assert page.locator('#figures [data-figure="total"]').inner_text() == "300,011"
    first = today - timedelta(days=29)
    assert (
        page.locator("#chart-day svg text.axis").nth(5).text_content() == f"{first:%b} {first.day}"
    )
    month_axis = page.locator("#chart-month svg text.axis").nth(5).text_content()
    assert month_axis.endswith(str(today.year)) or month_axis.endswith(str(today.year - 1))
    assert month_axis[:3] in {f"{date(2000, m, 1):%b}" for m in range(1, 13)}
    pages_from = max(first, today - timedelta(days=91))
    assert page.inner_text("#pages-range") == (
        f"{pages_from:%b} {pages_from.day}, {pages_from.year} – {today:%b} {today.day}, {today.year}"
    )
    assert page.inner_text("#card-day h2") == "By day"
    assert page.text_content("#card-source h2") == "Sources"
    screenshot(page, "dashboard-en.png", full_page=True)


def test_vietnamese_by_default(page: Any, local_api: Any, seeded: dict[str, Any]) -> None:
    open_in(page, local_api, "")
    today = seeded["today"]
    assert page.get_attribute("html", "lang") == "vi"
    assert page.title() == "Thống kê truy cập – e2e-dash"
    assert page.text_content("#month-label") == f"Tháng {today:%m}"
    assert page.text_content("#year-label") == f"Năm {today.year}"
    assert page.locator('#figures [data-figure="total"]').inner_text() == "300.011"
    first = today - timedelta(days=29)
    assert page.locator("#chart-day svg text.axis").nth(5).text_content() == f"{first:%d/%m}"
    assert page.inner_text("#pages-range") == f"{first:%d/%m/%Y} – {today:%d/%m/%Y}"
    assert page.inner_text("#card-day h2") == "Theo ngày"
    assert page.inner_text("button[type=submit]") == "Xem"
    assert page.text_content("#card-source h2") == "Nguồn truy cập"
