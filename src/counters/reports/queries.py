"""Read-only reports for dashboards: series of counts and most viewed pages.

The arithmetic is pure (`counters.reports.series`, `counters.reports.pages`); this module
reads what it needs, in a bounded number of Queries (see `counters.storage`): pages,
breakdowns and goals from the month rollups (one Query a month whatever the range's
days) and the day items of the days not copied into them yet.
"""

from __future__ import annotations

from datetime import date, timedelta

from counters.counting.periods import local_date
from counters.counting.service import CounterService
from counters.imported.rows import ImportedHistory
from counters.models import Site
from counters.reports import breakdowns, entries, pages
from counters.reports import series as history
from counters.reports import summary as engagement
from counters.reports.answers import (
    Breakdown,
    BreakdownRow,
    EntryRow,
    PageViews,
    Series,
    SeriesPoint,
    TopPages,
)


def series(
    service: CounterService,
    site: Site,
    granularity: history.Granularity,
    start: str | None = None,
    end: str | None = None,
) -> Series:
    """Counts per period; `history.RangeError` for bad or too long ranges. One paginated Query."""
    today = local_date(site.timezone, service.clock())
    span = history.period_range(granularity, start, end, today)
    first, last = span.day_span()
    records = service.storage.days.records(site.id, first, last)
    # One more Query: the imported history the range needs (see counters.storage.imported_items).
    imported = ImportedHistory(service.storage.imported.periods(site.id, first, last))
    points = history.series(records, span, imported)
    return Series(
        site=site.id,
        timezone=site.timezone,
        granularity=granularity,
        from_=span.label(span.first),
        to=span.label(span.last),
        count=site.count,
        points=[
            SeriesPoint(
                period=p.period, visits=p.visits, pageviews=p.pageviews, imported=p.imported
            )
            for p in points
        ],
    )


def top_pages(
    service: CounterService,
    site: Site,
    first: date | None = None,
    last: date | None = None,
    limit: int = pages.DEFAULT_LIMIT,
) -> TopPages:
    """The most viewed paths over local days (default: the 30 days to today)."""
    last = last or local_date(site.timezone, service.clock())
    if first is None:
        try:
            first = last - timedelta(days=pages.DEFAULT_DAYS - 1)
        except OverflowError:
            first = date.min
    pages.check_range(first, last)
    rows = service.storage.rollups.range_rows(service.storage.reports, site.id, "page", first, last)
    ranked = pages.top_pages(((row.value, row.pageviews) for row in rows), limit)
    return TopPages(
        site=site.id,
        from_=first,
        to=last,
        pages=[PageViews(path=p.path, pageviews=p.pageviews) for p in ranked],
    )


class BreakdownRangeError(ValueError):
    pass


def report_range(
    service: CounterService, site: Site, first: date | None, last: date | None
) -> tuple[date, date]:
    """A breakdown's range of local days: by default the 30 days to today; at most a year."""
    last = last or local_date(site.timezone, service.clock())
    if first is None:
        first = max(
            date.min, date.fromordinal(max(1, last.toordinal() - breakdowns.DEFAULT_DAYS + 1))
        )
    if first > last:
        raise BreakdownRangeError(f"from ({first}) is after to ({last})")
    length = (last - first).days + 1
    if length > breakdowns.MAX_RANGE_DAYS:
        raise BreakdownRangeError(
            f"the range has {length} days; at most {breakdowns.MAX_RANGE_DAYS} per request"
        )
    return first, last


def breakdown(
    service: CounterService,
    site: Site,
    dimension: str,
    first: date | None = None,
    last: date | None = None,
    limit: int = breakdowns.DEFAULT_LIMIT,
) -> Breakdown:
    """Rows of one dimension over local days (default: the 30 days to today), by the site's figure."""
    first, last = report_range(service, site, first, last)
    if dimension in entries.PAGE_DIMENSIONS:
        page_rows = service.storage.rollups.range_rows(
            service.storage.reports, site.id, "page", first, last
        )
        found: list[EntryRow | BreakdownRow] = []
        found += entries.entry_rows(page_rows, limit) if dimension == "entry" else []
        found += entries.exit_rows(page_rows, limit) if dimension == "exit" else []
        return Breakdown(
            site=site.id, dimension=dimension, from_=first, to=last, count="visits", rows=found
        )
    # The range's totals per value (sums add up like days do).
    totals = service.storage.rollups.range_rows(
        service.storage.reports, site.id, dimension, first, last
    )
    count = "pageviews" if dimension in breakdowns.BY_PAGEVIEWS else site.count
    rows = breakdowns.top_rows([{r.value: (r.visits, r.pageviews) for r in totals}], limit, count)
    return Breakdown(
        site=site.id,
        dimension=dimension,
        from_=first,
        to=last,
        count=count,
        rows=[BreakdownRow(value=r.value, visits=r.visits, pageviews=r.pageviews) for r in rows],
    )


def summary(
    service: CounterService,
    site: Site,
    first: date | None = None,
    last: date | None = None,
    compare: engagement.Compare = "previous",
) -> engagement.Summary:
    """A range's visits as a whole beside a compared range (default: the 30 days to today,
    and the 30 before). Two Queries: the day items of both ranges (two years of days are
    under 200 KB, one page), and the imported history they need."""
    last = last or local_date(site.timezone, service.clock())
    first = first or max(date(2, 1, 1), last - timedelta(days=engagement.DEFAULT_DAYS - 1))
    span = engagement.Span(first, last)
    engagement.check_span(span)
    before = engagement.compared_span(span, compare)
    # A day series also reads the day after its last (a baseline's `yesterday`).
    records = service.storage.days.records(site.id, before.first, last + timedelta(days=1))
    imported = ImportedHistory(service.storage.imported.periods(site.id, before.first, last))
    figures = []
    for one in (span, before):
        points = history.series(records, history.PeriodRange("day", one.first, one.last), imported)
        figures.append(engagement.totals(points, records))
    return engagement.Summary(
        site=site.id,
        from_=first,
        to=last,
        compare=compare,
        compared_from=before.first,
        compared_to=before.last,
        current=figures[0],
        compared=figures[1],
        change=engagement.change(figures[0], figures[1]),
    )
