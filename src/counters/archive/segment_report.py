"""A segment's reports over a range: the summary, the day series and every dashboard panel,
answered by DuckDB over the range's archived hits (each once). What a filter keeps, and why
some figures are null under a hit-level filter: `counters.archive.segments`.

The range's rows that pass the filters are gathered once (copies dropped, only the columns
the panels read) into a table `seg`; every panel is a small query over it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from counters.archive.reader import RAW, Archive, ArchiveReader
from counters.archive.segments import Filter, Segment
from counters.models import SITE_ID_PATTERN, BreakdownRow, EntryRow
from counters.reports.breakdowns import BY_PAGEVIEWS, OTHER, top_rows
from counters.reports.summary import Totals

MAX_RANGE_DAYS = 366
# What one function reads at most: its objects are fetched to /tmp (EphemeralStorage in
# template.yaml) and read by DuckDB in its memory (a year of a 30,000-a-day site: ~250 MB).
MAX_ARCHIVE_BYTES = 1_500_000_000
LIMIT = 10
# Panels of page views (ranked by the site's figure) and of events (by their count).
HIT_PANELS = ("source", "campaign", "browser", "os", "device", "country", "language")
EVENT_PANELS = ("event", "download", "outbound")
_COLUMNS = (
    '"date", hour, visit, pageview, coalesce(is_event, 0) AS is_event, path, in_visit, '
    "bounces, duration_ms, entry_page, left_page, source, campaign, browser, os, device, "
    "country, language, event, download, outbound, properties, goals"
)


class SegmentRangeError(ValueError):
    """A range that ends before it starts, or is longer than a segment takes."""


class DayPoint(BaseModel):
    period: str = Field(description="The local date, YYYY-MM-DD.")
    visits: int
    pageviews: int


class GoalRow(BaseModel):
    name: str
    conversions: int = Field(description="Visits whose first event of the goal's name matched.")
    events: int
    conversion_rate: float | None


class SegmentReport(BaseModel):
    """Every panel of the dashboard for the hits a segment keeps, over a range of local days."""

    model_config = ConfigDict(populate_by_name=True)

    site: str
    from_: date = Field(alias="from")
    to: date
    filter: str = Field(description="The segment, as the `filter` parameter writes it.")
    filters: list[Filter]
    whole_visits: bool = Field(
        description="True: every filter keeps whole visits (browser, os, device, country, "
        "language, entry), so bounce rate, duration and exit pages are known; false: a "
        "hit-level filter (page, source, campaign, event) keeps hits, and those are null/empty."
    )
    count: Literal["visits", "pageviews"] = Field(description="The figure rows are sorted by.")
    summary: Totals
    series: list[DayPoint] = Field(description="Every day of the range, zero-filled.")
    pages: list[BreakdownRow]
    entry: list[EntryRow]
    exit: list[BreakdownRow]
    breakdowns: dict[str, list[BreakdownRow]] = Field(
        description="Source, campaign, browser, os, device, country, language, hour (visits "
        "and page views) and event, download, outbound, property (events as `pageviews`)."
    )
    goals: list[GoalRow]
    objects: int = Field(description="Archive objects read.")


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
    with reader.open(site, first, last, MAX_ARCHIVE_BYTES) as archive:
        where, parameters = segment.where()
        archive.connection.execute(
            f"CREATE TEMP TABLE seg AS SELECT DISTINCT ON (token) {_COLUMNS} FROM {RAW} "
            f"WHERE site = '{site}' AND \"date\" BETWEEN '{first}' AND '{last}' "
            f"AND (pageview = 1 OR is_event = 1) AND {where}",
            parameters,
        )
        return _report(archive, site, first, last, segment, count)


def _report(
    archive: Archive,
    site: str,
    first: date,
    last: date,
    segment: Segment,
    count: Literal["visits", "pageviews"],
) -> SegmentReport:
    whole = segment.whole_visits()
    summary = _summary(archive, whole)
    breakdowns = {dim: _ranked(archive, dim, count) for dim in HIT_PANELS}
    breakdowns["hour"] = _ranked(archive, "hour", count, limit=24)
    for dim in (*EVENT_PANELS, "property"):
        breakdowns[dim] = _ranked(archive, dim, "pageviews")
    return SegmentReport(
        site=site,
        from_=first,
        to=last,
        filter=segment.text(),
        filters=list(segment.filters),
        whole_visits=whole,
        count=count,
        summary=summary,
        series=_series(archive, first, last),
        pages=_ranked(archive, "page", "pageviews"),
        entry=_entries(archive, whole),
        exit=_exits(archive) if whole else [],
        breakdowns=breakdowns,
        goals=_goals(archive, summary.visits or 0),
        objects=archive.objects,
    )


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _summary(archive: Archive, whole: bool) -> Totals:
    ((visits, pageviews, bounces, duration_ms),) = archive.query(
        "SELECT coalesce(sum(visit), 0), coalesce(sum(pageview), 0), coalesce(sum(bounces), 0), "
        "coalesce(sum(duration_ms), 0) FROM seg WHERE is_event = 0"
    )
    return Totals(
        visits=int(visits),
        pageviews=int(pageviews),
        views_per_visit=_ratio(pageviews, visits),
        bounce_rate=_ratio(bounces, visits) if whole else None,
        visit_duration=_ratio(duration_ms / 1000, visits) if whole else None,
    )


def _series(archive: Archive, first: date, last: date) -> list[DayPoint]:
    found = {
        day: (int(visits), int(pageviews))
        for day, visits, pageviews in archive.query(
            'SELECT "date", sum(visit), sum(pageview) FROM seg WHERE is_event = 0 GROUP BY 1'
        )
    }
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        DayPoint(period=d.isoformat(), visits=found.get(d.isoformat(), (0, 0))[0],
                 pageviews=found.get(d.isoformat(), (0, 0))[1])
        for d in days
    ]  # fmt: skip


def _values_sql(dimension: str) -> str:
    """value, visits, page views (events: their count) of one panel, over `seg`."""
    if dimension in (*EVENT_PANELS, "property"):
        value = "unnest(properties)" if dimension == "property" else dimension
        return f"SELECT {value} AS v, visit, 1 AS n FROM seg WHERE is_event = 1"
    value = {"page": "path", "hour": "lpad(CAST(hour AS VARCHAR), 2, '0')"}.get(
        dimension, dimension
    )
    return f"SELECT {value} AS v, visit, pageview AS n FROM seg WHERE is_event = 0"


def _ranked(
    archive: Archive, dimension: str, count: Literal["visits", "pageviews"], limit: int = LIMIT
) -> list[BreakdownRow]:
    rows = archive.query(
        f"SELECT v, sum(visit), sum(n) FROM ({_values_sql(dimension)}) "
        "WHERE v IS NOT NULL GROUP BY v"
    )
    counted = {value: (int(visits), int(n)) for value, visits, n in rows}
    ranked_by = "pageviews" if dimension in BY_PAGEVIEWS else count
    return [
        BreakdownRow(value=row.value, visits=row.visits, pageviews=row.pageviews)
        for row in top_rows([counted], limit, ranked_by)
    ]


def _entries(archive: Archive, whole: bool) -> list[EntryRow]:
    """Entry pages by visits begun on them, with the page's views (as /breakdown's)."""
    rows = archive.query(
        "WITH e AS (SELECT entry_page AS v, sum(visit) AS visits, sum(bounces) AS b, "
        "sum(duration_ms) AS d FROM seg WHERE is_event = 0 AND entry_page IS NOT NULL GROUP BY 1), "
        "p AS (SELECT path AS v, sum(pageview) AS n FROM seg WHERE is_event = 0 GROUP BY 1) "
        "SELECT e.v, e.visits, e.b, e.d, coalesce(p.n, 0) FROM e LEFT JOIN p USING (v) "
        "WHERE e.visits > 0 ORDER BY e.visits DESC, e.v"
    )
    figures = [[int(x) for x in row[1:]] for row in rows]
    named = [(row[0], f) for row, f in zip(rows, figures, strict=True)]
    if len(named) > LIMIT:
        rest = [sum(f[i] for _, f in named[LIMIT:]) for i in range(4)]
        named = [*named[:LIMIT], (OTHER, rest)]
    return [
        EntryRow(
            value=value,
            visits=visits,
            pageviews=views,
            bounce_rate=_ratio(bounces, visits) if whole else None,
            visit_duration=_ratio(duration / 1000, visits) if whole else None,
        )
        for value, (visits, bounces, duration, views) in named
    ]


def _exits(archive: Archive) -> list[BreakdownRow]:
    """Exit pages: each hit of a visit makes its page the exit and stops its previous page
    being it (`left_page`); summed over whole visits, what is left is each visit's last page."""
    rows = archive.query(
        "WITH x AS (SELECT path AS v, in_visit AS d FROM seg WHERE is_event = 0 AND path IS NOT "
        "NULL UNION ALL SELECT left_page, -1 FROM seg WHERE is_event = 0 AND left_page IS NOT "
        "NULL), e AS (SELECT v, sum(d) AS exits FROM x GROUP BY v), "
        "p AS (SELECT path AS v, sum(pageview) AS n FROM seg WHERE is_event = 0 GROUP BY 1) "
        "SELECT e.v, e.exits, coalesce(p.n, 0) FROM e LEFT JOIN p USING (v) WHERE e.exits > 0 "
        "ORDER BY e.exits DESC, e.v"
    )
    named = [(value, int(exits), int(views)) for value, exits, views in rows]
    if len(named) > LIMIT:
        rest = named[LIMIT:]
        named = [*named[:LIMIT], (OTHER, sum(r[1] for r in rest), sum(r[2] for r in rest))]
    return [BreakdownRow(value=v, visits=exits, pageviews=views) for v, exits, views in named]


def _goals(archive: Archive, visits: int) -> list[GoalRow]:
    rows = archive.query(
        "SELECT g, sum(visit), count(*) FROM (SELECT unnest(goals) AS g, visit FROM seg "
        "WHERE is_event = 1) GROUP BY g ORDER BY 2 DESC, 3 DESC, g"
    )
    return [
        GoalRow(name=name, conversions=int(c), events=int(n), conversion_rate=_ratio(c, visits))
        for name, c, n in rows
    ]
