"""History of a site: counts per day, month or year over a range (pure logic).

Day items only exist for active days, and each carries the bases it opened
with (see `counters.counting.figures`), so:

- a day's count is its item's count, or, with no item, the `yesterday` base of
  the next day's item (how an imported baseline's "yesterday" shows up);
- a month's total is the month-to-date (bases.month + count) of the last active
  day of that month, and a year's likewise from bases.year: imported month and
  year figures show up although no day item holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from counters.counting.figures import METRICS, DayRecord, Metric
from counters.counting.periods import days, month_end, month_start, months
from counters.imported.rows import ImportedHistory

Granularity = Literal["day", "month", "year"]
GRANULARITIES: tuple[Granularity, ...] = ("day", "month", "year")
MAX_POINTS = 400
# Without `from`, a series ends at `to` (default: today) and has this many points.
DEFAULT_POINTS: dict[Granularity, int] = {"day": 30, "month": 12, "year": 5}

# A period may be given more precisely than its granularity (a date for a month
# series means its month), so one date picker can drive every chart.
_FORMATS: dict[Granularity, re.Pattern[str]] = {
    "day": re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$"),
    "year": re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$"),
}
_SHAPES = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}


class RangeError(ValueError):
    """A range that cannot be answered: bad dates, reversed, or too long."""


@dataclass(frozen=True)
class Point:
    period: str
    visits: int | None  # None: unknown (inside imported history known only as a total)
    pageviews: int | None
    imported: bool = False


@dataclass(frozen=True)
class PeriodRange:
    """An inclusive range of periods; `first` and `last` are the first days of their periods."""

    granularity: Granularity
    first: date
    last: date

    def periods(self) -> list[date]:
        if self.granularity == "day":
            return list(days(self.first, self.last))
        if self.granularity == "month":
            return list(months(self.first, self.last))
        return [date(year, 1, 1) for year in range(self.first.year, self.last.year + 1)]

    def size(self) -> int:
        if self.granularity == "day":
            return (self.last - self.first).days + 1
        if self.granularity == "month":
            return _month_index(self.last) - _month_index(self.first) + 1
        return self.last.year - self.first.year + 1

    def day_span(self) -> tuple[date, date]:
        """The day items the series is computed from.

        A day series also reads the day after `last`, whose `yesterday` base may hold
        the last day's count; month and year series read whole months and years.
        """
        if self.granularity == "day":
            return self.first, _clamp_next(self.last)
        if self.granularity == "month":
            return self.first, month_end(self.last)
        return self.first, date(self.last.year, 12, 31)

    def label(self, period: date) -> str:
        if self.granularity == "day":
            return period.isoformat()
        if self.granularity == "month":
            return f"{period.year:04d}-{period.month:02d}"
        return f"{period.year:04d}"


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _clamp_next(day: date) -> date:
    return day if day == date.max else day + timedelta(days=1)


def _start_of(granularity: Granularity, day: date) -> date:
    if granularity == "day":
        return day
    if granularity == "month":
        return month_start(day)
    return date(day.year, 1, 1)


def parse_period(granularity: Granularity, text: str, name: str) -> date:
    """The first day of the period `text` names (`name` is the parameter, for the message)."""
    match = _FORMATS[granularity].match(text)
    if match is None:
        raise RangeError(f"{name}: {text!r} is not a {granularity} ({_SHAPES[granularity]})")
    year, month, day = (int(part) if part else 1 for part in match.groups(default=None))
    try:
        parsed = date(year, month, day)
    except ValueError as exc:
        raise RangeError(f"{name}: {text!r} is not a valid date ({exc})") from None
    return _start_of(granularity, parsed)


def _step_back(granularity: Granularity, end: date, points: int) -> date:
    if granularity == "day":
        return end - timedelta(days=points - 1)
    if granularity == "month":
        index = _month_index(end) - (points - 1)
        return date(index // 12, index % 12 + 1, 1)
    return date(end.year - (points - 1), 1, 1)


def period_range(
    granularity: Granularity, start: str | None, end: str | None, today: date
) -> PeriodRange:
    """The range a request names; `to` defaults to today, `from` to a few periods before `to`."""
    last = parse_period(granularity, end, "to") if end else _start_of(granularity, today)
    if start:
        first = parse_period(granularity, start, "from")
    else:
        try:
            first = _step_back(granularity, last, DEFAULT_POINTS[granularity])
        except (ValueError, OverflowError):
            first = date.min
    if first > last:
        raise RangeError(f"from ({start}) is after to ({end or last.isoformat()})")
    result = PeriodRange(granularity, first, last)
    if result.size() > MAX_POINTS:
        raise RangeError(
            f"the range has {result.size()} {granularity} points; at most {MAX_POINTS} per request"
        )
    return result


def series(
    records: Iterable[DayRecord],
    period_range: PeriodRange,
    imported: ImportedHistory | None = None,
) -> list[Point]:
    """Counts per period of `period_range`, zero-filled, oldest first, both metrics.

    Counted figures (day items, with their bases) come first, then imported history
    (`counters.imported.rows`: a period's own figures, its finer periods rolled up, or
    unknown inside a coarser one imported as a total), then a baseline's `yesterday`.
    """
    by_day = {record.day: record for record in records}
    granularity = period_range.granularity
    counted = _counted(by_day, granularity)
    yesterdays = _yesterdays(by_day) if granularity == "day" else _no_figures()
    points = []
    for period in period_range.periods():
        label = period_range.label(period)
        if period in counted["visits"]:
            points.append(Point(label, counted["visits"][period], counted["pageviews"][period]))
            continue
        found = imported.lookup(granularity, period) if imported else None
        if found is not None:
            points.append(Point(label, found["visits"], found["pageviews"], imported=True))
        else:
            visits, pageviews = yesterdays["visits"], yesterdays["pageviews"]
            points.append(Point(label, visits.get(period, 0), pageviews.get(period, 0)))
    return points


Figures = dict[Metric, dict[date, int]]


def _no_figures() -> Figures:
    return {metric: {} for metric in METRICS}


def _counted(by_day: dict[date, DayRecord], granularity: Granularity) -> Figures:
    """Each period's counted figures: a day's count, the month (year) to date of its last day."""
    figures = _no_figures()
    for day in sorted(by_day):
        for metric in METRICS:
            tally = by_day[day].tally(metric)
            if granularity == "day":
                figures[metric][day] = tally.count
            elif granularity == "month":
                # Days ascend, so the month's last active day is the one that stays.
                figures[metric][month_start(day)] = tally.bases.month + tally.count
            else:
                figures[metric][date(day.year, 1, 1)] = tally.bases.year + tally.count
    return figures


def _yesterdays(by_day: dict[date, DayRecord]) -> Figures:
    """The `yesterday` bases of day items whose day before has no item (a baseline's, say)."""
    figures = _no_figures()
    for day in sorted(by_day):
        before = day - timedelta(days=1) if day > date.min else None
        if before is None or before in by_day:
            continue
        for metric in METRICS:
            yesterday = by_day[day].tally(metric).bases.yesterday
            if yesterday:
                figures[metric][before] = yesterday
    return figures
