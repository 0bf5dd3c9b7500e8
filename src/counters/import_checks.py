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
  base, earlier years to no more than its total base less its year base.

Each problem names the row at fault (a row of this request, or "imported earlier").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from counters.imported import HistoryRowsError, ImportedHistory, ImportedPeriod
from counters.rollover import METRICS, DayRecord


class HistoryConflictError(ValueError):
    """Imported periods that reach days with counted traffic."""


def check_import(
    new: list[tuple[str, ImportedPeriod]],
    stored: Iterable[ImportedPeriod],
    today: date,
    anchor: DayRecord | None,
) -> list[ImportedPeriod]:
    """The merged history (stored, then new); raises for any problem, storing nothing."""
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
    if anchor is not None:
        overlapping = [label for label, period in new if period.end >= anchor.day]
        if overlapping:
            raise HistoryConflictError(
                f"the site has counted traffic from {anchor.day}; imported periods must end "
                f"before it: {', '.join(overlapping[:10])}"
            )
    labels = {period.key: label for label, period in new}
    merged = {period.key: period for period in stored} | {p.key: p for _, p in new}
    periods = list(merged.values())
    problems = _over_their_parent(periods, labels)
    if anchor is not None:
        problems += _disagreements(periods, labels, anchor)
    if problems:
        raise HistoryRowsError(problems)
    return periods


def _name(period: ImportedPeriod, labels: dict[str, str]) -> str:
    return labels.get(period.key, f"imported earlier ({period.label})")


def _over_their_parent(
    periods: list[ImportedPeriod], labels: dict[str, str]
) -> list[tuple[str, str]]:
    history = ImportedHistory(periods)
    days_of: dict[tuple[int, int], list[ImportedPeriod]] = {}
    finer_of: dict[int, list[ImportedPeriod]] = {}
    for period in periods:
        if period.granularity == "day":
            days_of.setdefault((period.start.year, period.start.month), []).append(period)
        if period.granularity != "year":
            finer_of.setdefault(period.start.year, []).append(period)
    problems = []
    for parent in periods:
        if parent.granularity == "day":
            continue
        year, month = parent.start.year, parent.start.month
        children = (
            days_of.get((year, month), [])
            if parent.granularity == "month"
            else (finer_of.get(year, []))
        )
        if not children or not ({parent.key} | {c.key for c in children}) & labels.keys():
            continue  # nothing of this request is involved
        for metric in METRICS:
            limit = parent.count(metric)
            if limit is None:
                continue
            if parent.granularity == "month":
                total = sum(c.count(metric) or 0 for c in children)
                finer = "days"
            else:
                starts = sorted({c.start.replace(day=1) for c in children})
                total = sum((history.lookup("month", m) or {}).get(metric) or 0 for m in starts)
                finer = "months"
            if total > limit:
                problems.append(
                    (
                        _name(parent, labels),
                        f"its {finer} sum to {total} {metric}, over its own {limit}",
                    )
                )
    return problems


def _disagreements(
    periods: list[ImportedPeriod], labels: dict[str, str], anchor: DayRecord
) -> list[tuple[str, str]]:
    day = anchor.day
    history = ImportedHistory(periods)
    month_start = day.replace(day=1)
    # The imported periods that meet the anchor: its month's earlier days, its year's
    # earlier months, earlier years (each rolled up, so nothing is counted twice).
    groups: dict[str, list[ImportedPeriod]] = {
        "days": [p for p in periods if p.granularity == "day" and month_start <= p.start < day],
        "months": [
            p
            for p in periods
            if p.granularity != "year" and p.start.year == day.year and p.start < month_start
        ],
        "years": [p for p in periods if p.start.year < day.year],
    }
    problems = []
    for metric in METRICS:
        bases = anchor.tally(metric).bases
        for period in periods:
            value = period.count(metric)
            if (
                period.key in labels
                and period.granularity == "day"
                and period.start == day - timedelta(days=1)
                and value is not None
                and value != bases.yesterday
            ):
                problems.append(
                    (
                        _name(period, labels),
                        f"{value} {metric}, but the figures of {day} have {bases.yesterday} yesterday",
                    )
                )
        rooms = {
            "days": (bases.month, f"the month to date before {day}"),
            "months": (bases.year - bases.month, f"the year before {month_start:%Y-%m}"),
            "years": (bases.total - bases.year, f"the total before {day.year}"),
        }
        for kind, parts in groups.items():
            if not parts or not {p.key for p in parts} & labels.keys():
                continue
            if kind == "days":
                values = [p.count(metric) for p in parts]
            elif kind == "months":
                starts = sorted({p.start.replace(day=1) for p in parts})
                values = [(history.lookup("month", m) or {}).get(metric) for m in starts]
            else:
                years = sorted({p.start.year for p in parts})
                values = [(history.lookup("year", date(y, 1, 1)) or {}).get(metric) for y in years]
            total = sum(v for v in values if v is not None)
            room, what = rooms[kind]
            if total > room:
                names = ", ".join(_name(p, labels) for p in parts[:5])
                more = f" and {len(parts) - 5} more" if len(parts) > 5 else ""
                problems.append(
                    (names + more, f"their {metric} sum to {total}, over {what} ({room})")
                )
    return problems
