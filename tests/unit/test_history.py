"""Series arithmetic: zero-filled periods from sparse day items and their bases."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counters.counting.figures import Bases, DayRecord, Tally
from counters.reports.series import MAX_POINTS, PeriodRange, RangeError, period_range, series
from tests.unit.test_rollover import simulate

TODAY = date(2025, 6, 15)


def counts(points: list, metric: str = "visits") -> dict[str, int]:
    return {p.period: getattr(p, metric) for p in points}


def test_days_are_zero_filled_oldest_first() -> None:
    records = simulate({date(2025, 6, 2): 3, date(2025, 6, 5): 4})
    span = period_range("day", "2025-06-01", "2025-06-06", TODAY)
    assert counts(series(records.values(), span)) == {
        "2025-06-01": 0,
        "2025-06-02": 3,
        "2025-06-03": 0,
        "2025-06-04": 0,
        "2025-06-05": 4,
        "2025-06-06": 0,
    }


def test_a_baselines_yesterday_fills_the_day_before_it() -> None:
    baseline = DayRecord(
        day=date(2025, 6, 15),
        tallies={
            "visits": Tally(
                count=4003, bases=Bases(yesterday=5672, month=34518, year=955421, total=84912354)
            )
        },
    )
    span = period_range("day", "2025-06-13", "2025-06-15", TODAY)
    assert counts(series([baseline], span)) == {
        "2025-06-13": 0,
        "2025-06-14": 5672,
        "2025-06-15": 4003,
    }
    months = period_range("month", "2025-05", "2025-06", TODAY)
    assert counts(series([baseline], months)) == {"2025-05": 0, "2025-06": 34518 + 4003}
    years = period_range("year", "2024", "2025", TODAY)
    assert counts(series([baseline], years)) == {"2024": 0, "2025": 955421 + 4003}


def test_day_span_reads_what_each_granularity_needs() -> None:
    assert period_range("day", "2025-06-01", "2025-06-30", TODAY).day_span() == (
        date(2025, 6, 1),
        date(2025, 7, 1),
    )
    assert period_range("month", "2024-11", "2025-02", TODAY).day_span() == (
        date(2024, 11, 1),
        date(2025, 2, 28),
    )
    assert period_range("year", "2023", "2024", TODAY).day_span() == (
        date(2023, 1, 1),
        date(2024, 12, 31),
    )
    assert period_range("month", "9999-12", "9999-12", TODAY).day_span()[1] == date(9999, 12, 31)


@given(
    st.dictionaries(st.integers(0, 800), st.integers(1, 50), max_size=60),
    st.integers(0, 800),
    st.integers(0, 120),
)
def test_every_granularity_matches_brute_force(
    offsets: dict[int, int], end: int, length: int
) -> None:
    start = date(2024, 11, 20)
    by_day = Counter({start + timedelta(days=o): n for o, n in offsets.items()})
    records = simulate(dict(by_day))
    last = start + timedelta(days=end)
    first = last - timedelta(days=length)
    for granularity, key in [
        ("day", lambda d: d.isoformat()),
        ("month", lambda d: f"{d.year:04d}-{d.month:02d}"),
        ("year", lambda d: f"{d.year:04d}"),
    ]:
        span = period_range(granularity, first.isoformat(), last.isoformat(), TODAY)  # type: ignore[arg-type]
        # The series may read day items beyond the range (the next day, whole months):
        # give it every record in its span, as storage would.
        lo, hi = span.day_span()
        got = counts(series([r for d, r in records.items() if lo <= d <= hi], span), "pageviews")
        want: Counter[str] = Counter()
        for period in span.periods():
            want[span.label(period)] += 0
        for day, n in by_day.items():
            if key(day) in want:
                want[key(day)] += n
        assert got == dict(want), granularity
        assert list(got) == sorted(got)


@pytest.mark.parametrize(
    ("granularity", "start", "end", "size"),
    [
        ("day", "2024-05-12", "2025-06-15", 400),
        ("month", "1992-03", "2025-06", 400),
        ("year", "1626", "2025", 400),
    ],
)
def test_at_most_400_points(granularity: str, start: str, end: str, size: int) -> None:
    span = period_range(granularity, start, end, TODAY)  # type: ignore[arg-type]
    assert span.size() == size == len(span.periods()) == MAX_POINTS
    earlier = {"day": "2024-05-11", "month": "1992-02", "year": "1625"}[granularity]
    with pytest.raises(RangeError, match="401 .* at most 400"):
        period_range(granularity, earlier, end, TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("granularity", "start", "end", "problem"),
    [
        ("day", "2025-06-31", "2025-07-01", "not a valid date"),
        ("day", "2025-06", "2025-07-01", "not a day"),
        ("day", "15/06/2025", None, "not a day"),
        ("month", "2025-13", None, "not a valid date"),
        ("month", "2025", None, "not a month"),
        ("year", "25", None, "not a year"),
        ("day", "0000-01-01", None, "not a valid date"),
        ("day", "2025-06-16", "2025-06-15", "after"),
        ("month", "2025-07", "2025-06", "after"),
        ("year", "2026", "2025", "after"),
    ],
)
def test_bad_ranges_are_refused(
    granularity: str, start: str, end: str | None, problem: str
) -> None:
    with pytest.raises(RangeError, match=problem):
        period_range(granularity, start, end, TODAY)  # type: ignore[arg-type]


def test_defaults_end_today_and_precise_dates_name_their_period() -> None:
    assert period_range("day", None, None, TODAY) == PeriodRange("day", date(2025, 5, 17), TODAY)
    assert period_range("month", None, None, TODAY) == PeriodRange(
        "month", date(2024, 7, 1), date(2025, 6, 1)
    )
    assert period_range("year", None, "2025-06-15", TODAY) == PeriodRange(
        "year", date(2021, 1, 1), date(2025, 1, 1)
    )
    assert period_range("month", "2025-02-20", "2025-06-15", TODAY).first == date(2025, 2, 1)
    assert period_range("day", None, "0001-01-03", TODAY).first == date.min
