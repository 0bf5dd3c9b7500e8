"""A range's summary, pure (counters.reports.summary): compared ranges, unknown figures, changes.

Expected values are literals.
"""

from __future__ import annotations

from datetime import date

from counters.counting.figures import DayRecord, Tally
from counters.reports.series import Point
from counters.reports.summary import Span, Totals, change, compared_span, totals


def test_the_compared_range_is_the_one_before_or_the_same_dates_a_year_before() -> None:
    week = Span(date(2025, 3, 1), date(2025, 3, 7))
    assert compared_span(week, "previous") == Span(date(2025, 2, 22), date(2025, 2, 28))
    assert compared_span(week, "year") == Span(date(2024, 3, 1), date(2024, 3, 7))
    leap = Span(date(2024, 2, 29), date(2024, 2, 29))
    assert compared_span(leap, "year") == Span(date(2023, 2, 28), date(2023, 2, 28))


def record(day: int, visits: int, bounces: int | None, duration_ms: int | None) -> DayRecord:
    return DayRecord(
        day=date(2025, 6, day),
        tallies={"visits": Tally(count=visits), "pageviews": Tally(count=2 * visits)},
        bounces=bounces,
        duration_ms=duration_ms,
    )


def point(day: int, visits: int | None, imported: bool = False) -> Point:
    pageviews = None if visits is None else 2 * visits
    return Point(f"2025-06-{day:02d}", visits, pageviews, imported)


def test_figures_of_counted_days_and_unknown_over_imported_or_older_days() -> None:
    records = [record(14, 4, 1, 90_000), record(15, 2, 2, None)]  # no `du`: all bounces
    assert totals([point(14, 4), point(15, 2), point(16, 0)], records) == Totals(
        visits=6, pageviews=12, views_per_visit=2.0, bounce_rate=0.5, visit_duration=15.0
    )
    # A day of imported history with visits: its engagement is unknown, so the range's is.
    assert totals([point(13, 5, imported=True), point(14, 4)], records) == Totals(
        visits=9, pageviews=18, views_per_visit=2.0, bounce_rate=None, visit_duration=None
    )
    # ...and a day counted before engagement was (no `bn`) too.
    older = [record(14, 4, None, None)]
    assert totals([point(14, 4)], older).bounce_rate is None
    # A day known only inside a coarser imported total: nothing is known.
    assert totals([point(13, None, imported=True)], []) == Totals(
        visits=None, pageviews=None, views_per_visit=None, bounce_rate=None, visit_duration=None
    )


def test_a_change_is_relative_and_unknown_against_unknown_or_zero() -> None:
    now = Totals(visits=3, pageviews=6, views_per_visit=2.0, bounce_rate=0.25, visit_duration=None)
    before = Totals(visits=2, pageviews=0, views_per_visit=1.5, bounce_rate=0.5, visit_duration=30)
    assert change(now, before).model_dump() == {
        "visits": 0.5,
        "pageviews": None,
        "views_per_visit": 0.3333,
        "bounce_rate": -0.5,
        "visit_duration": None,
    }
