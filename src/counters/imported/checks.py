"""Whether imported history may be stored: consistent, over, and in agreement (pure logic).

Checked on the new rows merged over what was imported before (a new row replaces
the earlier import of its period):

- every period is over: it ends before the site's today (the current day, month
  and year belong in a baseline, whose figures then carry them);
- no period reaches the first counted day (the *anchor*: the first day item,
  a baseline's or a counted one): that is a conflict (409), as counted figures
  were built without it;
- days never sum over their month, nor months (or their days) over their year;
- where history meets the anchor, they agree: the day before it is its
  `yesterday`, the days of its month before it sum to no more than its month
  base, its year's earlier months to no more than its year base less its month
  base, earlier years to no more than its total base less its year base. Not
  when the anchor's bases follow the history (`agree=False`: the site's only day,
  opened from history with no baseline): they are set to what it gives instead.

Each problem names the row at fault (a row of this request, or "imported earlier").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from counters.counting.figures import METRICS, Bases, DayRecord, Metric
from counters.imported.rows import Granularity, HistoryRowsError, ImportedHistory, ImportedPeriod


class HistoryConflictError(ValueError):
    """Imported periods that reach days with counted traffic."""


def check_import(
    new: list[tuple[str, ImportedPeriod]],
    stored: Iterable[ImportedPeriod],
    today: date,
    anchor: DayRecord | None,
    agree: bool = True,
) -> list[ImportedPeriod]:
    """The merged history (stored, then new); raises for any problem, storing nothing."""
    _refuse_open_periods(new, today)
    if anchor is not None:
        _refuse_overlaps(new, anchor)
    labels = {period.key: label for label, period in new}
    merged = {period.key: period for period in stored} | {p.key: p for _, p in new}
    periods = list(merged.values())
    problems = _over_their_parent(periods, labels)
    if anchor is not None and agree:
        problems += _disagreements(periods, labels, anchor)
    if problems:
        raise HistoryRowsError(problems)
    return periods


def _refuse_open_periods(new: list[tuple[str, ImportedPeriod]], today: date) -> None:
    problems = [
        (
            label,
            f"{period.label} is not over yet (the site's today is {today}): "
            "current figures go in a baseline",
        )
        for label, period in new
        if period.end >= today
    ]
    if problems:
        raise HistoryRowsError(problems)


def _refuse_overlaps(new: list[tuple[str, ImportedPeriod]], anchor: DayRecord) -> None:
    overlapping = [label for label, period in new if period.end >= anchor.day]
    if overlapping:
        raise HistoryConflictError(
            f"the site has counted traffic from {anchor.day}; imported periods must end "
            f"before it: {', '.join(overlapping[:10])}"
        )


def _name(period: ImportedPeriod, labels: dict[str, str]) -> str:
    return labels.get(period.key, f"imported earlier ({period.label})")


def _names(periods: list[ImportedPeriod], labels: dict[str, str]) -> str:
    """The first five, then how many more."""
    more = f" and {len(periods) - 5} more" if len(periods) > 5 else ""
    return ", ".join(_name(p, labels) for p in periods[:5]) + more


def _involve_the_request(periods: Iterable[ImportedPeriod], labels: dict[str, str]) -> bool:
    """Whether any period is of this request (the others were checked when imported)."""
    return any(period.key in labels for period in periods)


def _start_of(granularity: Granularity, day: date) -> date:
    if granularity == "day":
        return day
    if granularity == "month":
        return day.replace(day=1)
    return date(day.year, 1, 1)


def _rolled_up(
    history: ImportedHistory,
    granularity: Granularity,
    periods: list[ImportedPeriod],
    metric: Metric,
) -> int:
    """What the periods sum to as whole periods of `granularity`, each rolled up once."""
    starts = sorted({_start_of(granularity, period.start) for period in periods})
    figures = [(history.lookup(granularity, start) or {}).get(metric) for start in starts]
    return sum(figure for figure in figures if figure is not None)


def _over_their_parent(
    periods: list[ImportedPeriod], labels: dict[str, str]
) -> list[tuple[str, str]]:
    history = ImportedHistory(periods)
    children_of = _children_by_parent(periods)
    problems = []
    for parent in periods:
        children = children_of.get(_whole(parent.granularity, parent), [])
        if not children or not _involve_the_request([parent, *children], labels):
            continue
        finer: Granularity = "day" if parent.granularity == "month" else "month"
        for metric in METRICS:
            limit = parent.count(metric)
            if limit is None:
                continue
            total = _rolled_up(history, finer, children, metric)
            if total > limit:
                problems.append(
                    (
                        _name(parent, labels),
                        f"its {finer}s sum to {total} {metric}, over its own {limit}",
                    )
                )
    return problems


def _children_by_parent(
    periods: list[ImportedPeriod],
) -> dict[tuple[Granularity, date], list[ImportedPeriod]]:
    """By a month's or year's (granularity, first day): its days, or its months and days."""
    children: dict[tuple[Granularity, date], list[ImportedPeriod]] = {}
    for period in periods:
        if period.granularity == "day":
            children.setdefault(_whole("month", period), []).append(period)
        if period.granularity != "year":
            children.setdefault(_whole("year", period), []).append(period)
    return children


def _whole(granularity: Granularity, period: ImportedPeriod) -> tuple[Granularity, date]:
    """The period of `granularity` that holds `period`, as (granularity, first day)."""
    return granularity, _start_of(granularity, period.start)


def _disagreements(
    periods: list[ImportedPeriod], labels: dict[str, str], anchor: DayRecord
) -> list[tuple[str, str]]:
    day = anchor.day
    history = ImportedHistory(periods)
    meeting = [
        (granularity, parts)
        for granularity, parts in _meeting_the_anchor(periods, day)
        if _involve_the_request(parts, labels)
    ]
    problems = []
    for metric in METRICS:
        bases = anchor.tally(metric).bases
        problems += _other_yesterdays(periods, labels, metric, anchor)
        for granularity, parts in meeting:
            total = _rolled_up(history, granularity, parts, metric)
            room, what = _room(granularity, bases, day)
            if total > room:
                problems.append(
                    (_names(parts, labels), f"their {metric} sum to {total}, over {what} ({room})")
                )
    return problems


def _other_yesterdays(
    periods: list[ImportedPeriod], labels: dict[str, str], metric: Metric, anchor: DayRecord
) -> list[tuple[str, str]]:
    """The day before the anchor, imported in this request, must be the anchor's `yesterday`."""
    day = anchor.day
    yesterday = anchor.tally(metric).bases.yesterday
    return [
        (
            _name(period, labels),
            f"{value} {metric}, but the figures of {day} have {yesterday} yesterday",
        )
        for period in periods
        if period.key in labels
        and period.granularity == "day"
        and period.start == day - timedelta(days=1)
        and (value := period.count(metric)) is not None
        and value != yesterday
    ]


def _meeting_the_anchor(
    periods: list[ImportedPeriod], day: date
) -> list[tuple[Granularity, list[ImportedPeriod]]]:
    """The imported periods that meet the anchor, and what they roll up to (so nothing is
    counted twice): its month's earlier days, its year's earlier months, earlier years."""
    month_start = day.replace(day=1)
    return [
        ("day", [p for p in periods if p.granularity == "day" and month_start <= p.start < day]),
        (
            "month",
            [
                p
                for p in periods
                if p.granularity != "year" and p.start.year == day.year and p.start < month_start
            ],
        ),
        ("year", [p for p in periods if p.start.year < day.year]),
    ]


def _room(granularity: Granularity, bases: Bases, day: date) -> tuple[int, str]:
    """What the anchor's bases leave for the periods meeting it, and what that is."""
    if granularity == "day":
        return bases.month, f"the month to date before {day}"
    if granularity == "month":
        return bases.year - bases.month, f"the year before {day:%Y-%m}"
    return bases.total - bases.year, f"the total before {day.year}"
