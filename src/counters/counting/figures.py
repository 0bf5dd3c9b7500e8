"""Running figures carried from one day item to the next (pure logic).

Each day item holds that day's count and the *bases* it opened with: the count
of the calendar day before, the month and year to date before the day, and the
all-time total before the day. One atomic ADD on the day item therefore yields
all five figures at once. A day's bases come from the last active day before
it, once that day is sealed (no increment can land on it any more), so they
are exact however many hits race across midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from counters.counting.periods import same_month, same_year
from counters.counting.visits import online

if TYPE_CHECKING:
    from counters.models import Site

Metric = Literal["visits", "pageviews"]
METRICS: tuple[Metric, ...] = ("visits", "pageviews")


@dataclass(frozen=True)
class Bases:
    """What one metric had counted before a day began."""

    yesterday: int = 0
    month: int = 0
    year: int = 0
    total: int = 0


@dataclass(frozen=True)
class Tally:
    """One metric on one day item: the day's own count and its opening bases."""

    count: int = 0
    bases: Bases = Bases()


@dataclass(frozen=True)
class DayRecord:
    """A day item as stored: its tallies, and the day that sealed it, if any."""

    day: date
    tallies: dict[Metric, Tally] = field(default_factory=dict)
    sealed_by: date | None = None
    # The site's first day item, opened without a baseline: its bases are what the imported
    # history gives (see counters.imported.carried), and follow that history while no later
    # day has taken them over.
    from_history: bool = False
    # Online tallies by 5-minute window (see counters.counting.visits).
    first_in_window: dict[int, int] = field(default_factory=dict)
    new_since_previous: dict[int, int] = field(default_factory=dict)
    # Engagement (see counters.counting.engagement): bounces and visit duration in ms; None on
    # a day counted before they were (a bounce is +1 at every visit's start).
    bounces: int | None = None
    duration_ms: int | None = None

    def tally(self, metric: Metric) -> Tally:
        return self.tallies.get(metric, Tally())


@dataclass(frozen=True)
class Figures:
    today: int = 0
    yesterday: int = 0
    month: int = 0
    year: int = 0
    total: int = 0


def opening_bases(previous: DayRecord | None, day: date, metric: Metric) -> Bases:
    """The bases of `day`, given the last active day before it (sealed, so final)."""
    if previous is None:
        return Bases()
    tally = previous.tally(metric)
    through_previous = figures_on(previous, previous.day, metric)
    return Bases(
        yesterday=tally.count if previous.day == day - timedelta(days=1) else 0,
        month=through_previous.month if same_month(previous.day, day) else 0,
        year=through_previous.year if same_year(previous.day, day) else 0,
        total=through_previous.total,
    )


def figures_on(record: DayRecord | None, today: date, metric: Metric) -> Figures:
    """The five figures on `today`, from the latest day item on or before it."""
    if record is None:
        return Figures()
    tally = record.tally(metric)
    if record.day == today:
        return Figures(
            today=tally.count,
            yesterday=tally.bases.yesterday,
            month=tally.bases.month + tally.count,
            year=tally.bases.year + tally.count,
            total=tally.bases.total + tally.count,
        )
    # No hit yet today: today's item does not exist, its bases would come from `record`.
    bases = opening_bases(record, today, metric)
    return Figures(
        today=0, yesterday=bases.yesterday, month=bases.month, year=bases.year, total=bases.total
    )


def figures_answer(site: Site, record: DayRecord | None, today: date, now: float) -> dict[str, Any]:
    """The figures a stats or hit answer shows: plain ints and strings, no validation needed."""
    figures = figures_on(record, today, site.count)
    return {
        "site": site.id,
        "timezone": site.timezone,
        "date": today,
        "today": figures.today,
        "yesterday": figures.yesterday,
        "month": figures.month,
        "year": figures.year,
        "total": figures.total,
        "online": online(record.first_in_window, record.new_since_previous, now) if record else 0,
    }
