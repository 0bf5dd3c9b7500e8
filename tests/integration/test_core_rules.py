"""Rules of the counting core that mutation testing found unguarded (docs/mutation.md).

Each test names the rule it protects; expected figures come from literals or from the
brute-force model in tests/figures.py, with time frozen.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import Api, Streams, reset_warm_state
from tests.figures import expected, figures
from tests.integration.test_aggregation import DAYS, REPORTS, deliver, records

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
NOON = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


def hit(
    api: Api, site: str, at: datetime, ip: str = "198.51.100.1", ua: str = FIREFOX, **kw: Any
) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.hit(site, headers={"user-agent": ua}, source_ip=ip, **kw)


def stats(api: Api, site: str, at: datetime = NOON) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.stats(site)


def get(api: Api, path: str, at: datetime, **query: str) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        status, answer = api.call("GET", path, query=query or None)
    assert status == 200, answer
    return answer  # type: ignore[no-any-return]


def shown(api: Api, site: str, mode: str, count: str) -> dict[str, Any]:
    """The figures a site shows when it counts `count` (both are stored)."""
    api.register(site, "Asia/Ho_Chi_Minh", count=count, mode=mode)
    return figures(stats(api, site))


# -- a capped address's hits are page views -------------------------------------------------


@pytest.mark.parametrize("mode", ["direct", "buffered"])
def test_a_capped_address_still_adds_a_page_view_per_hit_but_no_visit(
    api: Api, streams: Streams, caps: None, mode: str
) -> None:
    api.register("capped", "Asia/Ho_Chi_Minh", count="pageviews", mode=mode)
    # Five new visitors (User-Agents) from one address: two get visitor items, three are capped.
    answers = [hit(api, "capped", NOON, ua=f"{FIREFOX} v{i}") for i in range(5)]
    assert [a["counted"] for a in answers] == [True] * 5
    # Each answer shows its own page view (a high-traffic one: on nothing aggregated yet).
    shows = {"direct": [1, 2, 3, 4, 5], "buffered": [1, 1, 1, 1, 1]}[mode]
    assert [a["today"] for a in answers] == shows
    streams.drain()
    reset_warm_state()
    day = {"today": 5, "yesterday": 0, "month": 5, "year": 5, "total": 5}
    assert shown(api, "capped", mode, "pageviews") == day
    assert shown(api, "capped", mode, "visits") == {
        **day,
        "today": 2,
        "month": 2,
        "year": 2,
        "total": 2,
    }


# -- exactly once: a batch redelivered from the last record an item added ----------------------


@pytest.fixture
def buffered(api: Api) -> str:
    api.register("election", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    return "election"


@pytest.mark.parametrize("handler", [DAYS, REPORTS])
def test_a_batch_starting_at_the_last_record_an_item_added_adds_only_what_follows(
    api: Api, buffered: str, streams: Streams, handler: str
) -> None:
    """The stream guard admits a batch only if its first record is past the item's mark:
    the record the item added last is never added again."""
    for i in range(8):
        hit(api, buffered, NOON + timedelta(seconds=i), ip=f"198.51.100.{i}", body={"path": "/a"})
    function = "DayAggregateFunction" if handler == DAYS else "ReportAggregateFunction"
    batch = records(streams, function)
    assert len(batch) == 8
    assert deliver(handler, batch[:5]) == []
    assert deliver(handler, batch[4:]) == []  # starts at record 5, the item's last
    if handler == DAYS:
        assert stats(api, buffered, NOON + timedelta(minutes=1))["today"] == 8
    else:
        answer = get(api, f"/v1/sites/{buffered}/pages", NOON, **{"from": "2025-06-15"})
        assert answer["pages"] == [{"path": "/a", "pageviews": 8}]


# -- a high-traffic answer adds its hit to every running figure ---------------------------------


def test_a_high_traffic_answer_adds_its_hit_to_today_month_year_and_total(
    api: Api, buffered: str, streams: Streams
) -> None:
    counted: Counter[date] = Counter()
    # Last year, earlier this year, earlier this month, yesterday: all aggregated.
    for n, day in enumerate(
        [date(2024, 6, 20), date(2025, 3, 2), date(2025, 6, 3), date(2025, 6, 14)]
    ):
        for i in range(n + 1):
            hit(
                api,
                buffered,
                datetime(day.year, day.month, day.day, 5, tzinfo=UTC),
                ip=f"10.0.{n}.{i}",
            )
            counted[day] += 1
    streams.drain()
    reset_warm_state()
    answer = hit(api, buffered, NOON, ip="198.51.100.200")
    counted[date(2025, 6, 15)] += 1
    assert answer["buffered"] is True
    assert figures(answer) == expected(counted, date(2025, 6, 15))


# -- the visit timeout: a visit ends after exactly `visit_timeout_minutes` of silence -----------


@pytest.mark.parametrize("mode", ["direct", "buffered"])
@pytest.mark.parametrize("minutes", [30, 5])
def test_a_visit_ends_after_exactly_its_timeout_of_silence(
    api: Api, streams: Streams, mode: str, minutes: int
) -> None:
    api.register("quiet", "Asia/Ho_Chi_Minh", visit_timeout_minutes=minutes, mode=mode)
    timeout = timedelta(minutes=minutes)
    second = NOON + timeout - timedelta(seconds=1)  # one second short: the same visit
    third = second + timeout  # exactly the timeout after the last hit: a new visit
    answers = [hit(api, "quiet", at) for at in (NOON, second, third)]
    assert [a["counted"] for a in answers] == [True, False, True]
    streams.drain()
    reset_warm_state()
    assert stats(api, "quiet", third)["today"] == 2


# -- report defaults end on the site's local today ---------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "instant", "local_today"),
    [
        # 01:00 on the 16th in Ho Chi Minh City is still the 15th in UTC...
        ("Asia/Ho_Chi_Minh", datetime(2025, 6, 15, 18, 0, tzinfo=UTC), "2025-06-16"),
        # ...and 22:00 on the 15th in New York is already the 16th in UTC.
        ("America/New_York", datetime(2025, 6, 16, 2, 0, tzinfo=UTC), "2025-06-15"),
    ],
)
def test_report_ranges_end_by_default_on_the_sites_local_today(
    api: Api, timezone: str, instant: datetime, local_today: str
) -> None:
    api.register("local", timezone)
    series = get(api, "/v1/sites/local/series", instant)
    assert series["to"] == local_today
    assert series["points"][-1]["period"] == local_today
    assert get(api, "/v1/sites/local/series", instant, granularity="month")["to"] == local_today[:7]
    assert get(api, "/v1/sites/local/pages", instant)["to"] == local_today
    breakdown = get(api, "/v1/sites/local/breakdown", instant, dimension="browser")
    assert breakdown["to"] == local_today
    first = date.fromisoformat(local_today) - timedelta(days=29)
    assert breakdown["from"] == first.isoformat()
    assert get(api, "/v1/sites/local/pages", instant)["from"] == first.isoformat()


# -- a month is a month of one year -------------------------------------------------------------


def test_a_site_idle_a_year_shows_no_month_of_last_year(api: Api) -> None:
    api.register("yearly", "Asia/Ho_Chi_Minh", count="pageviews")
    for _ in range(3):
        hit(api, "yearly", datetime(2024, 6, 10, 5, tzinfo=UTC))
    back = datetime(2025, 6, 12, 5, tzinfo=UTC)  # the same calendar month, a year on
    assert figures(stats(api, "yearly", back)) == {
        "today": 0,
        "yesterday": 0,
        "month": 0,
        "year": 0,
        "total": 3,
    }
    assert figures(hit(api, "yearly", back)) == {
        "today": 1,
        "yesterday": 0,
        "month": 1,
        "year": 1,
        "total": 4,
    }
