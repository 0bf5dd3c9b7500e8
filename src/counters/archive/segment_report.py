"""A segment's reports over a range: the summary, the day series and every dashboard panel,
answered by DuckDB over the range's archived hits (each once). What a filter keeps (whole
visits, by their visit id), and why some figures are null over rows archived without one:
`counters.archive.segments`.

One query answers every panel: the range's rows that pass the filters, each once
(`segment_source`), added up by grouping sets, one a panel (measured: a year of 30,000 page
views a day in 3.6 s of DuckDB on 2 busy cores, where a table of the rows and a query a
panel took 3 times as long).
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from datetime import date, timedelta
from typing import Any, Literal

from counters.archive.reader import ArchiveReader
from counters.archive.segment_source import hits_once_sql
from counters.archive.segments import DayPoint, GoalRow, Segment, SegmentReport
from counters.archive.writer import duckdb_connection
from counters.models import SITE_ID_PATTERN
from counters.reports.answers import BreakdownRow, EntryRow
from counters.reports.breakdowns import BY_PAGEVIEWS, OTHER, top_rows
from counters.reports.summary import Totals

__all__ = ["SegmentReport", "segment_report"]

MAX_RANGE_DAYS = 366
# What one function reads at most: its objects are fetched to /tmp (EphemeralStorage in
# template.yaml) and read by DuckDB in its memory (a year of a 30,000-a-day site: ~250 MB).
MAX_ARCHIVE_BYTES = 1_500_000_000
LIMIT = 10
# Panels of page views (ranked by the site's figure) and of events (by their count).
HIT_PANELS = ("source", "campaign", "browser", "os", "device", "country", "language")
EVENT_PANELS = ("event", "download", "outbound")
_COLUMNS = (
    'site, "date", hour, visit, pageview, coalesce(is_event, 0) AS is_event, path, in_visit, '
    "bounces, duration_ms, entry_page, left_page, source, campaign, browser, os, device, "
    "country, language, event, download, outbound, properties, goals, visit_id, token"
)
# One scan answers every panel: a grouping set per panel, each with is_event (page views and
# events apart); the empty one (is_event alone) is the summary.
GROUPED = (
    "is_event",
    '"date"',
    "hour",
    "path",
    "entry_page",
    "left_page",
    *HIT_PANELS,
    *EVENT_PANELS,
    "properties",
    "goals",
)
_GROUPING = f"grouping({', '.join(GROUPED)})"
_SETS = ", ".join(["(is_event)", *(f"(is_event, {name})" for name in GROUPED[1:])])
# ...and the hits of a visit kept without a visit id (rows archived before visit ids, kept by
# the hit-level rule): any, and the figures that need whole visits are unknown.
_SUMS = "sum(visit), sum(pageview), sum(bounces), sum(duration_ms), sum(in_visit), count(*)"
_UNLINKED = "sum(CASE WHEN visit_id IS NULL THEN in_visit ELSE 0 END)"
FIGURES = 7


class SegmentRangeError(ValueError):
    """A range that ends before it starts, or is longer than a segment takes."""


def check_range(first: date, last: date) -> None:
    days = (last - first).days + 1
    if days < 1:
        raise SegmentRangeError(f"from ({first}) is after to ({last})")
    if days > MAX_RANGE_DAYS:
        raise SegmentRangeError(
            f"the range has {days} days; a segment takes at most {MAX_RANGE_DAYS}"
        )


def segment_report(
    reader: ArchiveReader,
    site: str,
    first: date,
    last: date,
    segment: Segment,
    count: Literal["visits", "pageviews"] = "visits",
) -> SegmentReport:
    if not re.fullmatch(SITE_ID_PATTERN, site):  # the SQL below names it literally
        raise ValueError(f"not a site id: {site!r}")
    check_range(first, last)
    with tempfile.TemporaryDirectory(prefix="segment-") as folder:
        keys = reader.fetch_keys(site, first, last, folder, MAX_ARCHIVE_BYTES)
        connection = duckdb_connection()
        try:
            kept, parameters = _kept(segment)
            # Without a hit-level filter every figure is known (and with no filter, visit ids
            # are not read at all).
            unlinked = "0" if segment.whole_visits() else _UNLINKED
            rows = connection.execute(
                f"WITH r AS (SELECT * FROM ({hits_once_sql(folder, keys, _COLUMNS)}) "
                f"WHERE site = '{site}' AND \"date\" BETWEEN '{first}' AND '{last}' "
                "AND (pageview = 1 OR is_event = 1)) "
                f"SELECT {_GROUPING}, {', '.join(GROUPED)}, {_SUMS}, {unlinked} FROM ({kept}) "
                f"GROUP BY GROUPING SETS ({_SETS})",
                parameters,
            ).fetchall()
        finally:
            connection.close()
    return _report(Groups(rows), site, first, last, segment, count, len(keys))


def _kept(segment: Segment) -> tuple[str, list[str]]:
    """Which rows of `r` a segment keeps: a row with a visit id if its visit has the
    filters' values (whole visits, `Segment.on_visits`); one without (archived before
    visit ids, or of no visit) by the filters on its own values (`Segment.where`)."""
    if not segment.filters:
        return "SELECT * FROM r", []
    where, on_rows = segment.where()
    visits, on_visits = segment.on_visits()
    # Two scans, not one with OR: each visit filter stays a join of its own (an OR made it
    # a mark on every row), and a day whose rows all have ids skips the first by statistics.
    kept = (
        f"SELECT * FROM r WHERE visit_id IS NULL AND {where} UNION ALL "
        f"SELECT * FROM r WHERE visit_id IS NOT NULL AND {visits}"
    )
    return kept, on_rows + on_visits


def _grouped(mask: int, values: tuple[Any, ...]) -> tuple[str, Any]:
    """The dimension a grouping set's row is of ("": the summary's) and its value.
    grouping() has a bit per column, set when the column is not in the row's set."""
    width = len(GROUPED)
    for i in range(1, width):
        if not mask >> (width - 1 - i) & 1:
            return GROUPED[i].strip('"'), values[i]
    return "", ""


class Groups:
    """The grouping sets' rows: (page views or events, dimension) -> value -> figures
    (visits, page views, bounces, duration ms, hits of a visit, rows)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.sets: dict[tuple[int, str], dict[Any, list[int]]] = defaultdict(dict)
        width = len(GROUPED)
        for row in rows:
            name, value = _grouped(row[0], row[1 : 1 + width])
            if value is None:
                continue
            figures = [int(x or 0) for x in row[1 + width :]]
            for one in value if isinstance(value, list) else [value]:  # properties, goals
                total = self.sets[(int(row[1]), name)].setdefault(one, [0] * FIGURES)
                for i, figure in enumerate(figures):
                    total[i] += figure

    def of(self, dimension: str, events: bool = False) -> dict[Any, list[int]]:
        return self.sets.get((int(events), dimension), {})


def _report(
    groups: Groups,
    site: str,
    first: date,
    last: date,
    segment: Segment,
    count: Literal["visits", "pageviews"],
    objects: int,
) -> SegmentReport:
    unlinked = groups.of("").get("", [0] * FIGURES)[6]
    whole = segment.whole_visits() or not unlinked
    summary = _summary(groups, whole)
    breakdowns = {dim: _ranked(groups.of(dim), dim, count) for dim in HIT_PANELS}
    hours = {f"{hour:02d}": figures for hour, figures in groups.of("hour").items()}
    breakdowns["hour"] = _ranked(hours, "hour", count, limit=24)
    for dim in (*EVENT_PANELS, "properties"):
        name = "property" if dim == "properties" else dim
        breakdowns[name] = _ranked(groups.of(dim, events=True), name, "pageviews")
    return SegmentReport(
        site=site,
        from_=first,
        to=last,
        filter=segment.text(),
        filters=list(segment.filters),
        whole_visits=whole,
        count=count,
        summary=summary,
        series=_series(groups, first, last),
        pages=_ranked(groups.of("path"), "page", "pageviews"),
        entry=_entries(groups, whole),
        exit=_exits(groups) if whole else [],
        breakdowns=breakdowns,
        goals=_goals(groups, summary.visits or 0),
        objects=objects,
    )


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _summary(groups: Groups, whole: bool) -> Totals:
    visits, pageviews, bounces, duration_ms = groups.of("").get("", [0] * FIGURES)[:4]
    return Totals(
        visits=visits,
        pageviews=pageviews,
        views_per_visit=_ratio(pageviews, visits),
        bounce_rate=_ratio(bounces, visits) if whole else None,
        visit_duration=_ratio(duration_ms / 1000, visits) if whole else None,
    )


def _series(groups: Groups, first: date, last: date) -> list[DayPoint]:
    found = groups.of("date")
    points = []
    for n in range((last - first).days + 1):
        day = (first + timedelta(days=n)).isoformat()
        visits, pageviews = found.get(day, [0, 0])[:2]
        points.append(DayPoint(period=day, visits=visits, pageviews=pageviews))
    return points


def _ranked(
    found: dict[Any, list[int]],
    dimension: str,
    count: Literal["visits", "pageviews"],
    limit: int = LIMIT,
) -> list[BreakdownRow]:
    """Rows as /breakdown ranks them; events' `pageviews` are their count (rows)."""
    events = dimension in BY_PAGEVIEWS
    counted = {str(v): (f[0], f[5] if events else f[1]) for v, f in found.items()}
    ranked_by = "pageviews" if events else count
    return [
        BreakdownRow(value=row.value, visits=row.visits, pageviews=row.pageviews)
        for row in top_rows([counted], limit, ranked_by)
    ]


def _top(named: list[tuple[str, list[int]]]) -> list[tuple[str, list[int]]]:
    """The first LIMIT, the rest added up in one `(other)` row."""
    if len(named) <= LIMIT:
        return named
    rest = [sum(figures[i] for _, figures in named[LIMIT:]) for i in range(len(named[0][1]))]
    return [*named[:LIMIT], (OTHER, rest)]


def _entries(groups: Groups, whole: bool) -> list[EntryRow]:
    """Entry pages by visits begun on them, with the page's views (as /breakdown's)."""
    views = groups.of("path")
    named = sorted(
        (
            (page, [f[0], f[2], f[3], views.get(page, [0, 0])[1]])
            for page, f in groups.of("entry_page").items()
            if f[0] > 0
        ),
        key=lambda item: (-item[1][0], item[0]),
    )
    return [
        EntryRow(
            value=value,
            visits=visits,
            pageviews=pageviews,
            bounce_rate=_ratio(bounces, visits) if whole else None,
            visit_duration=_ratio(duration / 1000, visits) if whole else None,
        )
        for value, (visits, bounces, duration, pageviews) in _top(named)
    ]


def _exits(groups: Groups) -> list[BreakdownRow]:
    """Exit pages: each hit of a visit makes its page the exit and stops its previous page
    being it (`left_page`); over whole visits, what is left is each visit's last page."""
    left = groups.of("left_page")
    exits = {
        page: [f[4] - left.get(page, [0] * FIGURES)[5], f[1]]
        for page, f in groups.of("path").items()
    }
    named = sorted(
        ((page, f) for page, f in exits.items() if f[0] > 0), key=lambda i: (-i[1][0], i[0])
    )
    return [BreakdownRow(value=v, visits=f[0], pageviews=f[1]) for v, f in _top(named)]


def _goals(groups: Groups, visits: int) -> list[GoalRow]:
    found = sorted(
        groups.of("goals", events=True).items(), key=lambda i: (-i[1][0], -i[1][5], i[0])
    )
    return [
        GoalRow(name=name, conversions=f[0], events=f[5], conversion_rate=_ratio(f[0], visits))
        for name, f in found
    ]
