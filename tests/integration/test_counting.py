"""Exact figures through the handlers, on moto, with time frozen at the edges of days, months and years.

The sites here count page views, so that every hit adds one; visits are tested in test_visitors.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from counters.counting.periods import local_date
from counters.storage import Increment
from tests.conftest import Api, table_dump
from tests.figures import expected, figures


def at(timezone: str, *args: int) -> datetime:
    """A local wall-clock time in `timezone`, as an aware instant."""
    return datetime(*args, tzinfo=ZoneInfo(timezone))  # type: ignore[misc]


def hit_at(api: Api, site: str, instant: datetime) -> dict[str, Any]:
    with time_machine.travel(instant, tick=False):
        return api.hit(site)


def stats_at(api: Api, site: str, instant: datetime) -> dict[str, Any]:
    with time_machine.travel(instant, tick=False):
        return api.stats(site)


@pytest.mark.parametrize(
    ("timezone", "last_moment", "first_moment"),
    [
        # Local midnight that is also a month end and a year end, in a zone without DST...
        ("Asia/Ho_Chi_Minh", (2025, 12, 31, 23, 59, 59), (2026, 1, 1, 0, 0, 0)),
        # ...and in zones with DST (winter offset at new year).
        ("America/New_York", (2025, 12, 31, 23, 59, 59), (2026, 1, 1, 0, 0, 0)),
        ("Europe/London", (2025, 12, 31, 23, 59, 59), (2026, 1, 1, 0, 0, 0)),
        # Month end in summer time.
        ("America/New_York", (2025, 6, 30, 23, 59, 59), (2025, 7, 1, 0, 0, 0)),
        ("Australia/Sydney", (2025, 2, 28, 23, 59, 59), (2025, 3, 1, 0, 0, 0)),
    ],
)
def test_year_and_month_end(
    api: Api, timezone: str, last_moment: tuple[int, ...], first_moment: tuple[int, ...]
) -> None:
    api.register("portal", timezone, count="pageviews")
    before, after = at(timezone, *last_moment), at(timezone, *first_moment)
    for _ in range(3):
        hit_at(api, "portal", before - timedelta(days=1))
    for _ in range(5):
        answer = hit_at(api, "portal", before)
    assert figures(answer) == {"today": 5, "yesterday": 3, "month": 8, "year": 8, "total": 8}
    assert answer["date"] == before.date().isoformat()

    # One second later, past local midnight: a new day and a new month (and year, in January).
    quiet = stats_at(api, "portal", after)
    new_year = after.month == 1
    assert figures(quiet) == {
        "today": 0,
        "yesterday": 5,
        "month": 0,
        "year": 0 if new_year else 8,
        "total": 8,
    }
    answer = hit_at(api, "portal", after)
    assert figures(answer) == {
        "today": 1,
        "yesterday": 5,
        "month": 1,
        "year": 1 if new_year else 9,
        "total": 9,
    }
    assert answer["date"] == after.date().isoformat()


def test_dst_days_are_one_local_day(api: Api) -> None:
    """The 23-hour and 25-hour days of New York count as one date each, start to end."""
    api.register("nyc", "America/New_York", count="pageviews")
    for day in (date(2025, 3, 9), date(2025, 11, 2)):
        first = at("America/New_York", day.year, day.month, day.day, 0, 0, 1)
        last = at("America/New_York", day.year, day.month, day.day, 23, 59, 59)
        hit_at(api, "nyc", first)
        hit_at(api, "nyc", first + timedelta(hours=2))  # across the clock change
        answer = hit_at(api, "nyc", last)
        assert answer["date"] == day.isoformat()
        assert answer["today"] == 3
    assert figures(stats_at(api, "nyc", at("America/New_York", 2025, 11, 3, 0, 0, 0))) == {
        "today": 0,
        "yesterday": 3,
        "month": 3,
        "year": 6,
        "total": 6,
    }


def test_idle_days_in_between(api: Api) -> None:
    api.register("quiet", "Asia/Ho_Chi_Minh", count="pageviews")
    hit_at(api, "quiet", at("Asia/Ho_Chi_Minh", 2025, 1, 10, 9, 0, 0))
    hit_at(api, "quiet", at("Asia/Ho_Chi_Minh", 2025, 1, 10, 10, 0, 0))
    # Five idle days, then traffic: yesterday is 0, the month carries on.
    answer = hit_at(api, "quiet", at("Asia/Ho_Chi_Minh", 2025, 1, 16, 8, 0, 0))
    assert figures(answer) == {"today": 1, "yesterday": 0, "month": 3, "year": 3, "total": 3}
    # Idle across a whole month: the month starts from zero, the year carries on.
    answer = hit_at(api, "quiet", at("Asia/Ho_Chi_Minh", 2025, 3, 1, 8, 0, 0))
    assert figures(answer) == {"today": 1, "yesterday": 0, "month": 1, "year": 4, "total": 4}
    # Idle across a year end.
    assert figures(stats_at(api, "quiet", at("Asia/Ho_Chi_Minh", 2026, 2, 1, 8, 0, 0))) == {
        "today": 0,
        "yesterday": 0,
        "month": 0,
        "year": 0,
        "total": 4,
    }


@pytest.mark.slow
@pytest.mark.parametrize("timezone", ["Asia/Ho_Chi_Minh", "America/New_York", "Pacific/Chatham"])
def test_random_traffic_matches_brute_force(api: Api, timezone: str) -> None:
    """Hits at random instants over 14 months; every answer equals the brute-force figures."""
    api.register("busy", timezone, count="pageviews")
    rng = random.Random(timezone)
    start = datetime(2024, 11, 20, tzinfo=UTC)
    instants = sorted(start + timedelta(seconds=rng.randrange(420 * 86400)) for _ in range(150))
    # Clusters around local midnights, where the figures roll over.
    for month_start in (date(2024, 12, 1), date(2025, 1, 1), date(2025, 3, 30), date(2025, 11, 2)):
        midnight = at(timezone, month_start.year, month_start.month, month_start.day)
        instants += [midnight + timedelta(seconds=s) for s in (-2, -1, 0, 1, 2)]
    instants.sort()
    counted: Counter[date] = Counter()
    for instant in instants:
        answer = hit_at(api, "busy", instant)
        today = local_date(timezone, instant)
        counted[today] += 1
        assert answer["date"] == today.isoformat()
        assert figures(answer) == expected(counted, today), instant
    later = instants[-1] + timedelta(days=40)
    assert figures(stats_at(api, "busy", later)) == expected(counted, local_date(timezone, later))


def test_stats_reads_count_nothing(api: Api, dynamodb: Any) -> None:
    api.register("readonly", count="pageviews")
    api.hit("readonly")
    before = table_dump(dynamodb)
    for _ in range(5):
        assert api.stats("readonly")["today"] == 1
    assert table_dump(dynamodb) == before


def test_a_late_hit_from_before_midnight_is_not_lost(api: Api, dynamodb: Any) -> None:
    """A request that took its date before midnight but lands after the new day opened
    is counted on the new day, so yesterday's figures stay what the new day's bases say."""
    from counters.counting.service import default_service

    api.register("race", "Asia/Ho_Chi_Minh", count="pageviews")
    hit_at(api, "race", at("Asia/Ho_Chi_Minh", 2025, 6, 14, 23, 59, 0))
    hit_at(
        api, "race", at("Asia/Ho_Chi_Minh", 2025, 6, 15, 0, 0, 1)
    )  # opens the 15th, seals the 14th
    counter = default_service()
    site = counter.site("race")
    late = counter.daybook.add(site.id, date(2025, 6, 14), Increment({"visits": 1, "pageviews": 1}))
    assert late.day == date(2025, 6, 15)
    answer = stats_at(api, "race", at("Asia/Ho_Chi_Minh", 2025, 6, 15, 0, 0, 2))
    assert figures(answer) == {"today": 2, "yesterday": 1, "month": 3, "year": 3, "total": 3}


def test_a_day_sealed_by_an_opener_that_died_is_recovered(api: Api, dynamodb: Any) -> None:
    from counters.counting.service import default_service

    api.register("crash", "UTC", count="pageviews")
    hit_at(api, "crash", datetime(2025, 6, 14, 12, tzinfo=UTC))
    # The first hit of the 15th sealed the 14th, then died before writing the 15th.
    default_service().storage.days.seal("crash", date(2025, 6, 14), by=date(2025, 6, 15))
    answer = hit_at(api, "crash", datetime(2025, 6, 16, 12, tzinfo=UTC))
    assert figures(answer) == {"today": 1, "yesterday": 0, "month": 2, "year": 2, "total": 2}
    assert stats_at(api, "crash", datetime(2025, 6, 17, tzinfo=UTC))["yesterday"] == 1
