from datetime import UTC, date, datetime

import pytest

from counters.counting.periods import days, is_timezone, local_date, months, next_month


@pytest.mark.parametrize(
    ("timezone", "instant", "expected"),
    [
        # Vietnam, UTC+7, no DST: local midnight is 17:00 UTC the day before.
        ("Asia/Ho_Chi_Minh", datetime(2025, 6, 14, 16, 59, 59, tzinfo=UTC), date(2025, 6, 14)),
        ("Asia/Ho_Chi_Minh", datetime(2025, 6, 14, 17, 0, 0, tzinfo=UTC), date(2025, 6, 15)),
        ("Asia/Ho_Chi_Minh", datetime(2025, 12, 31, 17, 0, 0, tzinfo=UTC), date(2026, 1, 1)),
        # New York: EST (UTC-5) in winter, EDT (UTC-4) in summer.
        ("America/New_York", datetime(2025, 1, 1, 4, 59, 59, tzinfo=UTC), date(2024, 12, 31)),
        ("America/New_York", datetime(2025, 1, 1, 5, 0, 0, tzinfo=UTC), date(2025, 1, 1)),
        ("America/New_York", datetime(2025, 7, 1, 3, 59, 59, tzinfo=UTC), date(2025, 6, 30)),
        ("America/New_York", datetime(2025, 7, 1, 4, 0, 0, tzinfo=UTC), date(2025, 7, 1)),
        # The 25-hour day when DST ends (2025-11-02): still one local date until 05:00 UTC the next day.
        ("America/New_York", datetime(2025, 11, 3, 4, 59, 59, tzinfo=UTC), date(2025, 11, 2)),
        ("America/New_York", datetime(2025, 11, 3, 5, 0, 0, tzinfo=UTC), date(2025, 11, 3)),
        # Half-hour offsets and the far east of the date line.
        ("Asia/Kolkata", datetime(2025, 2, 28, 18, 29, 59, tzinfo=UTC), date(2025, 2, 28)),
        ("Asia/Kolkata", datetime(2025, 2, 28, 18, 30, 0, tzinfo=UTC), date(2025, 3, 1)),
        ("Pacific/Kiritimati", datetime(2025, 12, 31, 10, 0, 0, tzinfo=UTC), date(2026, 1, 1)),
    ],
)
def test_local_date(timezone: str, instant: datetime, expected: date) -> None:
    assert local_date(timezone, instant) == expected


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        local_date("UTC", datetime(2025, 1, 1))


@pytest.mark.parametrize("name", ["Asia/Ho_Chi_Minh", "UTC", "America/Argentina/Buenos_Aires"])
def test_known_timezones(name: str) -> None:
    assert is_timezone(name)


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "localtime", "../etc/passwd", "/etc/localtime", "utc "]
)
def test_unknown_timezones(name: str) -> None:
    assert not is_timezone(name)


def test_ranges() -> None:
    assert list(days(date(2024, 2, 28), date(2024, 3, 1))) == [
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]
    assert list(months(date(2024, 11, 15), date(2025, 2, 1))) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert next_month(date(2025, 12, 31)) == date(2026, 1, 1)
