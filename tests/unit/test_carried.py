"""What imported history gives a first day's bases (pure; expected values worked by hand)."""

from __future__ import annotations

from datetime import date

from counters.counting.figures import Bases
from counters.imported.carried import carried_bases
from counters.imported.rows import ImportedPeriod


def day(text: str, visits: int | None, pageviews: int | None = None) -> ImportedPeriod:
    return ImportedPeriod("day", date.fromisoformat(text), visits, pageviews)


def month(
    year: int, number: int, visits: int | None, pageviews: int | None = None
) -> ImportedPeriod:
    return ImportedPeriod("month", date(year, number, 1), visits, pageviews)


def year(number: int, visits: int | None, pageviews: int | None = None) -> ImportedPeriod:
    return ImportedPeriod("year", date(number, 1, 1), visits, pageviews)


def test_no_history_gives_zero_bases() -> None:
    assert carried_bases([], date(2025, 6, 15)) == {"visits": Bases(), "pageviews": Bases()}


def test_each_period_counts_once_at_its_own_figure() -> None:
    periods = [
        year(2024, 1000),
        month(2024, 3, 400),  # inside 2024's own figure: not added again
        month(2025, 2, 50),
        day("2025-02-03", 7),  # inside February's own figure
        day("2025-03-01", 20),  # March has no figure of its own: its days are it
        day("2025-03-02", 30),
        day("2025-06-13", 3),
        day("2025-06-14", 4),
    ]
    assert carried_bases(periods, date(2025, 6, 15))["visits"] == Bases(
        yesterday=4, month=7, year=107, total=1107
    )


def test_unknown_figures_count_as_zero() -> None:
    # The day before is inside a month imported only as a total: unknown, so 0 here.
    periods = [month(2025, 5, 900, None), day("2025-05-02", None, 12)]
    carried = carried_bases(periods, date(2025, 6, 1))
    assert carried["visits"] == Bases(yesterday=0, month=0, year=900, total=900)
    assert carried["pageviews"] == Bases(yesterday=0, month=0, year=0, total=0)


def test_periods_not_over_before_the_day_give_nothing() -> None:
    periods = [day("2025-06-15", 5), month(2025, 6, 50), year(2025, 500), day("2025-06-14", 2)]
    assert carried_bases(periods, date(2025, 6, 15))["visits"] == Bases(2, 2, 2, 2)


def test_new_year_last_year_goes_in_the_total_only() -> None:
    periods = [month(2024, 12, 300), day("2024-12-31", 10), year(2023, 1000)]
    assert carried_bases(periods, date(2025, 1, 1))["visits"] == Bases(
        yesterday=10, month=0, year=0, total=1300
    )
