"""The dashboard's segments in Chromium: a two-dimension filter added in the filter bar, every
panel checked against GET /segment, the address reloaded (a shared link) showing the same.
Screenshot in artifacts/dashboard-segment-en.png."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.e2e.conftest import USER_AGENT, Operator, screenshot
from tests.zones import midday_timezone

pytestmark = pytest.mark.e2e

SITE = "demo"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
TABLET = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
# (User-Agent, referrer, paths): each its own visitor.
VISITS = [
    (f"{PHONE} seg/1", "https://www.google.com/", ["/", "/tin-tuc"]),
    (f"{PHONE} seg/2", "https://zalo.me/", ["/van-ban/1"]),
    (f"{TABLET} seg/3", "https://www.facebook.com/", ["/lien-he", "/", "/van-ban/1"]),
    (f"{USER_AGENT} seg/4", "https://www.google.com/", ["/"]),
    (f"{USER_AGENT} seg/5", None, ["/tin-tuc"]),
]
FILTER = "device==mobile|tablet;source!=Google"
LISTS = ("source", "campaign", "browser", "os", "device", "country", "language", "bot")


@pytest.fixture(scope="module")
def today(local_api: Any) -> str:
    operator = Operator(local_api.url)
    operator.register(SITE, timezone=midday_timezone())
    for agent, referrer, paths in VISITS:
        for i, path in enumerate(paths):
            body = {"path": path, **({"referrer": referrer} if referrer and not i else {})}
            answer = requests.post(f"{local_api.url}/v1/sites/{SITE}/hits", json=body,
                                   headers={"User-Agent": agent}, timeout=10)  # fmt: skip
            assert answer.status_code == 200, answer.text
    local_api.drain_streams()  # the archive is written by its stream consumer
    return operator.today(SITE)


def wait_ready(page: Any) -> None:
    for name in ("data-state", "data-engagement", "data-breakdowns"):
        page.wait_for_selector(f"body[{name}=ready], body[{name}=error]", timeout=45_000)
        assert page.get_attribute("body", name) == "ready", page.text_content("#status")


def add_filter(page: Any, dimension: str, operator: str, values: str) -> None:
    page.select_option("#filter-dimension", dimension)
    page.select_option("#filter-operator", operator)
    page.fill("#filter-values", values)
    page.click("#filter-form button[type=submit]")


def listed(page: Any, selector: str) -> list[tuple[str, str]]:
    return [
        tuple(pair)
        for pair in page.eval_on_selector_all(
            f"{selector} li:not(.none)",
            "n => n.map(li => [li.dataset.value || li.querySelector('.path').textContent,"
            " li.querySelector('.views').textContent])",
        )
    ]


def bars(page: Any, chart: str) -> dict[str, str]:
    found = page.eval_on_selector_all(
        f"#chart-{chart} rect.bar:not(.previous)",
        "r => r.map(x => [x.dataset.period || x.getAttribute('data-period'), x.dataset.value])",
    )
    return dict(found)


def panels(page: Any) -> dict[str, Any]:
    """What every panel shows, as text."""
    shown: dict[str, Any] = {
        name: page.inner_text(f'.figure[data-engagement="{name}"] .value')
        for name in ("visits", "pageviews", "views_per_visit", "bounce_rate")
    }
    shown["day"] = bars(page, "day")
    shown["hour"] = {k: v for k, v in bars(page, "hour").items() if v != "0"}
    shown["pages"] = listed(page, "#pages")
    for name in (*LISTS, "entry", "exit", "goal"):
        shown[name] = listed(page, f"#rows-{name}")
    return shown


def expected(answer: dict[str, Any]) -> dict[str, Any]:
    """What the panels must show for the segment's API answer (English, visits metric)."""
    summary = answer["summary"]
    rate = summary["bounce_rate"]
    want: dict[str, Any] = {
        "visits": str(summary["visits"]),
        "pageviews": str(summary["pageviews"]),
        "views_per_visit": f"{summary['views_per_visit']:.2f}",
        "bounce_rate": "–" if rate is None else f"{100 * rate:.1f}%",
        "day": {p["period"]: str(p["visits"]) for p in answer["series"]},
        "hour": {r["value"]: str(r["visits"]) for r in answer["breakdowns"]["hour"] if r["visits"]},
        "pages": [(r["value"], str(r["pageviews"])) for r in answer["pages"]],
        "exit": [(r["value"], str(r["visits"])) for r in answer["exit"]],
        "goal": [(g["name"], g["conversions"]) for g in answer["goals"]],
        "bot": [],
    }
    for name in LISTS[:-1]:
        rows = sorted(answer["breakdowns"][name], key=lambda r: -r["visits"])
        want[name] = [(r["value"], str(r["visits"])) for r in rows]
    return want


def test_a_two_dimension_segment_answers_every_panel_and_survives_a_reload(
    page: Any, local_api: Any, today: str
) -> None:
    page.goto(f"{local_api.url}/dashboard?site={SITE}&lang=en&from={today}&to={today}")
    wait_ready(page)
    whole_site = page.inner_text('.figure[data-engagement="visits"] .value')
    add_filter(page, "device", "is", "mobile, tablet")
    wait_ready(page)
    add_filter(page, "source", "is not", "Google")
    page.wait_for_function("document.querySelectorAll('#filter-chips .chip').length === 2")
    wait_ready(page)
    address = page.url
    assert parse_qs(urlsplit(address).query)["filter"] == [FILTER]
    answer = requests.get(
        f"{local_api.url}/v1/sites/{SITE}/segment",
        params={"from": today, "to": today, "filter": FILTER},
        timeout=30,
    ).json()
    # Zalo's phone and Facebook's tablet visits: Google's phone visit is left out whole (a
    # filter keeps visits: its second, internal, hit goes with it).
    assert answer["summary"]["visits"] == 2 and whole_site == "5"
    assert answer["summary"]["pageviews"] == 4 and answer["whole_visits"] is True
    shown = panels(page)
    want = expected(answer)
    entry = shown.pop("entry")
    assert [value for value, _ in entry] == [r["value"] for r in answer["entry"]]
    assert [views.split(" ")[0] for _, views in entry] == [
        str(r["visits"]) for r in answer["entry"]
    ]
    goals = shown.pop("goal")
    assert len(goals) == len(want.pop("goal"))
    assert shown == want
    screenshot(page, "dashboard-segment-en.png", full_page=True)

    # The shared address: a fresh page shows the same chips and panels.
    page.goto(address)
    wait_ready(page)
    chips = page.eval_on_selector_all("#filter-chips .chip", "c => c.map(x => x.dataset.filter)")
    assert chips == ["device==mobile|tablet", "source!=Google"]
    again = panels(page)
    again.pop("entry"), again.pop("goal")
    assert again == want
    # Removing a chip removes it from the address and the panels follow.
    page.click('#filter-chips .chip[data-filter="source!=Google"] .remove')
    page.wait_for_function("document.querySelectorAll('#filter-chips .chip').length === 1")
    wait_ready(page)
    assert parse_qs(urlsplit(page.url).query)["filter"] == ["device==mobile|tablet"]
    assert page.inner_text('.figure[data-engagement="visits"] .value') == "3"


def test_the_filter_bar_speaks_vietnamese(page: Any, local_api: Any, today: str) -> None:
    page.goto(
        f"{local_api.url}/dashboard?site={SITE}&from={today}&to={today}&filter=device%3D%3Dmobile"
    )
    wait_ready(page)
    chip = page.inner_text("#filter-chips .chip")
    assert chip.startswith("Thiết bị là mobile"), chip
    assert page.inner_text("#filter-form button[type=submit]") == "Thêm bộ lọc"
    assert page.inner_text('.figure[data-engagement="visits"] .value') == "2"
