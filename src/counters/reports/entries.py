"""Entry and exit pages: rows of the `entry` and `exit` breakdowns, from the page items.

A page item (see counters.storage.keys) keeps, beside its visits and page views, the
visits that began on the page with their bounces and duration, and the visits that
ended on it (see counters.counting.engagement). No other item is read or written.
"""

from __future__ import annotations

from collections.abc import Iterable

from counters.reports.answers import BreakdownRow, EntryRow
from counters.reports.breakdowns import OTHER
from counters.storage import ReportRow

PAGE_DIMENSIONS = ("entry", "exit")


def entry_rows(rows: Iterable[ReportRow], limit: int) -> list[EntryRow]:
    """Entry pages by visits begun on them (ties by path), the rest in one `(other)` row."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row.value, [0, 0, 0, 0])
        for index, amount in enumerate(
            (row.entries, row.entry_bounces, row.entry_duration_ms, row.pageviews)
        ):
            total[index] += amount
    ranked = _ranked(totals, limit)
    return [
        EntryRow(
            value=value,
            visits=visits,
            pageviews=pageviews,
            bounce_rate=round(bounces / visits, 4) if visits else None,
            visit_duration=round(duration_ms / 1000 / visits, 4) if visits else None,
        )
        for value, (visits, bounces, duration_ms, pageviews) in ranked
    ]


def exit_rows(rows: Iterable[ReportRow], limit: int) -> list[BreakdownRow]:
    """Exit pages by visits that ended on them, with the page's views (ties by path)."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row.value, [0, 0])
        total[0] += row.exits
        total[1] += row.pageviews
    ranked = _ranked(totals, limit)
    return [
        BreakdownRow(value=value, visits=exits, pageviews=views) for value, (exits, views) in ranked
    ]


def _ranked(totals: dict[str, list[int]], limit: int) -> list[tuple[str, list[int]]]:
    """Values with a first figure, largest first; past `limit` (and past the day's cap of
    values), added up in one `(other)` row."""
    other = totals.pop(OTHER, [0] * len(next(iter(totals.values()), [0])))
    ranked = sorted(
        ((value, figures) for value, figures in totals.items() if figures[0]),
        key=lambda item: (-item[1][0], item[0]),
    )
    for _, figures in ranked[limit:]:
        other = [a + b for a, b in zip(other, figures, strict=True)]
    return ranked[:limit] + ([(OTHER, other)] if other[0] else [])
