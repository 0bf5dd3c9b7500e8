"""What imported history gives the five figures when no baseline was imported (pure logic).

A day's figures come from its day item's bases (`counters.counting.figures`), and each
day's bases from the day before. The site's first day item, opened without a baseline,
takes its bases from the history imported before it, each period read as a series reads
it (its own figure, or its finer periods rolled up):

- `yesterday`: the day before it;
- `month`: its month's earlier days;
- `year`: its year's earlier months (and their days), with the month;
- `total`: earlier years (and their months and days), with the year: the total is at
  least the history before it, as the checks against a baseline already require.

An unknown figure (not given, or inside a period imported only as a total) counts as 0:
the footer shows numbers, where a series shows `null`. Periods not over before the day
give nothing: they cannot be imported (see `counters.imported.checks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from counters.counting.figures import METRICS, Bases, Metric
from counters.imported.rows import Granularity, ImportedHistory, ImportedPeriod


def carried_bases(periods: Iterable[ImportedPeriod], day: date) -> dict[Metric, Bases]:
    """The bases of `day`, per metric, from the imported periods that end before it."""
    before = [period for period in periods if period.end < day]
    if not before:
        return {metric: Bases() for metric in METRICS}
    history = ImportedHistory(before)
    days, months, years = _meeting(before, day)
    yesterday = [day - timedelta(days=1)] if day > date.min else []
    carried = {}
    for metric in METRICS:
        month = _known(history, "day", days, metric)
        year = month + _known(history, "month", months, metric)
        carried[metric] = Bases(
            yesterday=_known(history, "day", yesterday, metric),
            month=month,
            year=year,
            total=year + _known(history, "year", years, metric),
        )
    return carried


def _meeting(before: list[ImportedPeriod], day: date) -> tuple[set[date], set[date], set[date]]:
    """The first days of the periods each base sums: the month's earlier days, the year's
    earlier months, earlier years (each once, however finely it was imported)."""
    month_start = day.replace(day=1)
    days = {p.start for p in before if p.granularity == "day" and p.start >= month_start}
    months = {
        p.start.replace(day=1)
        for p in before
        if p.granularity != "year" and p.start.year == day.year and p.start < month_start
    }
    years = {date(p.start.year, 1, 1) for p in before if p.start.year < day.year}
    return days, months, years


def _known(
    history: ImportedHistory, granularity: Granularity, starts: Iterable[date], metric: Metric
) -> int:
    """The sum of the periods' known figures."""
    figures = [(history.lookup(granularity, start) or {}).get(metric) for start in starts]
    return sum(figure for figure in figures if figure is not None)
