"""The dashboard's engagement row, compared series and entry and exit panels, in Chromium,
after scripted visits on the demo site (English and Vietnamese; screenshots in artifacts/).

Today: visitor A reads / then /tin-tuc, B reads / (a bounce), C reads /lien-he (a bounce):
3 visits, 4 page views, 2 bounces, A's visit lasting the time between its two requests.
Yesterday is seeded on its day item as the aggregator and the hit path leave it: 2 visits,
2 page views, 2 bounces. So against yesterday: visits +50%, page views +100%, views per
visit +33.3%, bounce rate (2/3 against 1) -33.3%, which is good news (green).
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from typing import Any

import boto3
import pytest

from counters.storage.keys import day_sk, site_pk
from tests.e2e.conftest import USER_AGENT, Operator, screenshot
from tests.zones import midday_timezone

pytestmark = pytest.mark.e2e

SITE = "demo"


@pytest.fixture(scope="module")
def visited(local_api: Any) -> date:
    operator = Operator(local_api.url)
    # The demo site, at midday: its today stays today for the whole module.
    operator.register(SITE, timezone=midday_timezone())
    for visitor, paths in (("a", ["/", "/tin-tuc"]), ("b", ["/"]), ("c", ["/lien-he"])):
        for i, path in enumerate(paths):
            answer = operator.hit(SITE, path, user_agent=f"{USER_AGENT} e2e-engagement/{visitor}")
            assert answer["counted"] is (i == 0), answer  # a visit counts once: the site's figure
    local_api.drain_streams()  # entry and exit pages come by the report aggregator
    today = date.fromisoformat(operator.today(SITE))
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": site_pk(SITE)}, "sk": {"S": day_sk(today - timedelta(days=1))}},
        UpdateExpression="ADD v :two, p :two, bn :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    return today


def open_dashboard(page: Any, local_api: Any, day: date, lang: str) -> None:
    page.goto(f"{local_api.url}/dashboard?site={SITE}&lang={lang}&from={day}&to={day}")
    page.wait_for_selector(
        "body[data-engagement=ready], body[data-engagement=error]", timeout=45_000
    )
    assert page.get_attribute("body", "data-engagement") == "ready", page.text_content("#status")


def row(page: Any) -> dict[str, tuple[str, str, str]]:
    """Each figure of the top row: (value, change, good/bad/flat)."""
    found = page.eval_on_selector_all(
        ".figure[data-engagement]",
        """boxes => boxes.map(b => [b.dataset.engagement, [
                b.querySelector('.value').textContent, b.querySelector('.change').textContent,
                b.querySelector('.change').className.replace('change', '').trim()]])""",
    )
    return {name: tuple(figures) for name, figures in found}


def panel(page: Any, name: str) -> list[tuple[str, str]]:
    return [
        tuple(pair)
        for pair in page.eval_on_selector_all(
            f"#rows-{name} li",
            "n => n.map(li => [li.querySelector('.path').textContent,"
            " li.querySelector('.views').textContent])",
        )
    ]


def test_the_top_row_and_entry_and_exit_panels_in_english(
    page: Any, local_api: Any, visited: date
) -> None:
    open_dashboard(page, local_api, visited, "en")
    figures = row(page)
    duration = figures.pop("visit_duration")
    assert figures == {
        "visits": ("3", "▲ 50.0%", "good"),
        "pageviews": ("4", "▲ 100.0%", "good"),
        "views_per_visit": ("1.33", "▲ 33.3%", "good"),
        "bounce_rate": ("66.7%", "▼ 33.3%", "good"),  # falling: good news
    }
    # A's two requests came within a second or two; yesterday's duration was 0: no change.
    assert re.fullmatch(r"0:0\d", duration[0]) and duration[1:] == ("", ""), duration
    assert panel(page, "entry")[0][0] == "/" and panel(page, "entry")[1][0] == "/lien-he"
    assert panel(page, "entry")[0][1].startswith("2 · 50.0% bounce · 0:0")
    assert panel(page, "entry")[1][1].startswith("1 · 100.0% bounce · 0:00")
    assert panel(page, "exit") == [("/", "1"), ("/lien-he", "1"), ("/tin-tuc", "1")]
    bars = page.eval_on_selector_all(
        "#chart-compare rect", "r => r.map(x => x.getAttribute('class'))"
    )
    assert bars == ["bar previous", "bar"]  # one day, beside the day before
    assert page.inner_text("#card-entry h2") == "Entry pages"
    screenshot(page, "dashboard-engagement-en.png", full_page=True)


def test_the_top_row_and_panels_in_vietnamese(page: Any, local_api: Any, visited: date) -> None:
    open_dashboard(page, local_api, visited, "vi")
    figures = row(page)
    assert figures["views_per_visit"] == ("1,33", "▲ 33,3%", "good")
    assert figures["bounce_rate"] == ("66,7%", "▼ 33,3%", "good")
    labels = page.eval_on_selector_all(
        ".figure[data-engagement] .label", "n => n.map(x => x.textContent)"
    )
    assert labels == [
        "Lượt truy cập",
        "Lượt xem trang",
        "Số trang / lượt",
        "Tỷ lệ thoát",
        "Thời gian / lượt",
    ]
    assert page.inner_text("#card-entry h2") == "Trang vào"
    assert page.inner_text("#card-exit h2") == "Trang thoát"
    assert panel(page, "entry")[1][1].startswith("1 · 100,0% thoát")
    assert [name for name, _ in panel(page, "exit")] == ["/", "/lien-he", "/tin-tuc"]
    screenshot(page, "dashboard-engagement-vi.png", full_page=True)
