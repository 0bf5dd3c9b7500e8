"""The bases carried from day to day give the brute-force figures, whatever the gaps."""

from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from counters.counting.figures import METRICS, DayRecord, Tally, figures_on, opening_bases
from tests.figures import expected

START = date(2024, 12, 1)


def simulate(counts_by_day: dict[date, int]) -> dict[date, DayRecord]:
    """Opens each active day from the previous active one, as the service does."""
    records: dict[date, DayRecord] = {}
    previous = None
    for day in sorted(counts_by_day):
        tallies = {
            m: Tally(count=counts_by_day[day], bases=opening_bases(previous, day, m))
            for m in METRICS
        }
        previous = records[day] = DayRecord(day=day, tallies=tallies)
    return records


@given(st.dictionaries(st.integers(0, 500), st.integers(1, 50), max_size=40), st.integers(0, 520))
def test_figures_match_brute_force(offsets: dict[int, int], today_offset: int) -> None:
    counts = {START + timedelta(days=o): n for o, n in offsets.items()}
    records = simulate(counts)
    today = START + timedelta(days=today_offset)
    latest = max((d for d in records if d <= today), default=None)
    got = figures_on(records[latest] if latest else None, today, "visits")
    assert vars(got) == expected(Counter(counts), today)


def test_month_and_year_reset_but_total_carries() -> None:
    records = simulate({date(2024, 12, 30): 5, date(2024, 12, 31): 7, date(2025, 1, 1): 2})
    new_year = figures_on(records[date(2025, 1, 1)], date(2025, 1, 1), "pageviews")
    assert vars(new_year) == {"today": 2, "yesterday": 7, "month": 2, "year": 2, "total": 14}


def test_idle_days_change_nothing_but_today_and_yesterday() -> None:
    records = simulate({date(2025, 3, 3): 4})
    later = figures_on(records[date(2025, 3, 3)], date(2025, 3, 20), "visits")
    assert vars(later) == {"today": 0, "yesterday": 0, "month": 4, "year": 4, "total": 4}
    next_day = figures_on(records[date(2025, 3, 3)], date(2025, 3, 4), "visits")
    assert next_day.yesterday == 4
