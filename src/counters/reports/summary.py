"""A range's visits as a whole, beside a compared range: pure arithmetic, and its answer.

Visits and page views are the day series' (imported history included); bounce rate,
visit duration and views per visit come from the day items' engagement figures (see
counters.counting.engagement), and are unknown (`null`, never 0) over a range where any
day's figures are imported history, or were counted before engagement was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from counters.counting.figures import DayRecord
from counters.reports.series import Point

Compare = Literal["previous", "year"]
MAX_RANGE_DAYS = 366
DEFAULT_DAYS = 30


class SummaryRangeError(ValueError):
    pass


class Totals(BaseModel):
    visits: int | None = Field(description="Visits begun in the range; null: unknown.")
    pageviews: int | None
    views_per_visit: float | None = Field(description="Page views per visit.")
    bounce_rate: float | None = Field(
        description="The share of visits with one page view (0 to 1); null: unknown "
        "(imported history has none)."
    )
    visit_duration: float | None = Field(
        description="Seconds from a visit's first to its last hit, averaged over visits "
        "(a bounce adds 0); null: unknown."
    )


class Change(BaseModel):
    """The relative change of each figure against the compared range (0.1: 10% more);
    null where either is unknown or the compared one is 0."""

    visits: float | None
    pageviews: float | None
    views_per_visit: float | None
    bounce_rate: float | None
    visit_duration: float | None


class Summary(BaseModel):
    """Visits, page views, views per visit, bounce rate and visit duration of a range of the
    site's local days, beside a compared range."""

    model_config = ConfigDict(populate_by_name=True)

    site: str
    from_: date = Field(alias="from")
    to: date
    compare: Compare
    compared_from: date
    compared_to: date
    current: Totals
    compared: Totals
    change: Change


@dataclass(frozen=True)
class Span:
    first: date
    last: date

    def size(self) -> int:
        return (self.last - self.first).days + 1


def compared_span(span: Span, compare: Compare) -> Span:
    """The range before `span` of its length, or the same dates a year before (29 February:
    the 28th)."""
    if compare == "previous":
        return Span(span.first - timedelta(days=span.size()), span.first - timedelta(days=1))
    return Span(_year_before(span.first), _year_before(span.last))


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def check_span(span: Span) -> None:
    if span.first > span.last:
        raise SummaryRangeError(f"from ({span.first}) is after to ({span.last})")
    if span.size() > MAX_RANGE_DAYS:
        raise SummaryRangeError(
            f"the range has {span.size()} days; at most {MAX_RANGE_DAYS} per request"
        )
    if span.first.year < 2:
        raise SummaryRangeError("the range starts too early to be compared")


def totals(points: Iterable[Point], records: Iterable[DayRecord]) -> Totals:
    """A range's figures from its day series `points` and its day items `records`."""
    by_day = {record.day: record for record in records}
    counts = [0, 0, 0, 0]  # visits, page views, bounces, duration (ms)
    known = True
    for point in points:
        day = _day(point, by_day.get(date.fromisoformat(point.period)))
        if day is None:
            return Totals.model_validate(dict.fromkeys(Totals.model_fields))
        counts = [a + b for a, b in zip(counts, day[0], strict=True)]
        known = known and day[1]
    visits, pageviews, bounces, duration_ms = counts
    return Totals(
        visits=visits,
        pageviews=pageviews,
        views_per_visit=_ratio(pageviews, visits),
        bounce_rate=_ratio(bounces, visits) if known else None,
        visit_duration=_ratio(duration_ms / 1000, visits) if known else None,
    )


def _day(point: Point, record: DayRecord | None) -> tuple[list[int], bool] | None:
    """A day's visits, page views, bounces and duration, and whether its engagement is
    known (None: its visits are unknown)."""
    if point.visits is None or point.pageviews is None:
        return None
    if record is None or record.bounces is None:
        # Imported history, a baseline's yesterday, or a day counted before engagement.
        return [point.visits, point.pageviews, 0, 0], not point.visits
    return [point.visits, point.pageviews, record.bounces, record.duration_ms or 0], True


def change(current: Totals, compared: Totals) -> Change:
    figures = {}
    for name in Change.model_fields:
        now, before = getattr(current, name), getattr(compared, name)
        figures[name] = None if now is None or not before else round(now / before - 1, 4)
    return Change(**figures)


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
