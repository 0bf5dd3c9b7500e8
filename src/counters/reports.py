"""Read-only reports for dashboards: series of counts and most viewed pages.

The arithmetic is pure (`counters.history`, `counters.pages`); this module
reads what it needs, in a bounded number of Queries (see `counters.storage`).
"""

from __future__ import annotations

from datetime import date, timedelta

from counters import breakdown_items, breakdowns, history, pages
from counters.models import Breakdown, BreakdownRow, PageViews, Series, SeriesPoint, Site, TopPages
from counters.periods import local_date
from counters.service import Counter


def series(
    counter: Counter,
    site: Site,
    granularity: history.Granularity,
    start: str | None = None,
    end: str | None = None,
) -> Series:
    """Counts per period; `history.RangeError` for bad or too long ranges. One paginated Query."""
    today = local_date(site.timezone, counter.clock())
    span = history.period_range(granularity, start, end, today)
    records = counter.storage.day_records(site.id, *span.day_span())
    points = history.series(records, span)
    return Series(
        site=site.id,
        timezone=site.timezone,
        granularity=granularity,
        from_=span.label(span.first),
        to=span.label(span.last),
        count=site.count,
        points=[
            SeriesPoint(period=p.period, visits=p.visits, pageviews=p.pageviews) for p in points
        ],
    )


def top_pages(
    counter: Counter,
    site: Site,
    first: date | None = None,
    last: date | None = None,
    limit: int = pages.DEFAULT_LIMIT,
) -> TopPages:
    """The most viewed paths over local days (default: the 30 days to today)."""
    last = last or local_date(site.timezone, counter.clock())
    if first is None:
        try:
            first = last - timedelta(days=pages.DEFAULT_DAYS - 1)
        except OverflowError:
            first = date.min
    pages.check_range(first, last)
    ranked = pages.top_pages(counter.storage.page_views(site.id, first, last), limit)
    return TopPages(
        site=site.id,
        from_=first,
        to=last,
        pages=[PageViews(path=p.path, pageviews=p.pageviews) for p in ranked],
    )


class BreakdownRangeError(ValueError):
    pass


def breakdown(
    counter: Counter,
    site: Site,
    dimension: str,
    first: date | None = None,
    last: date | None = None,
    limit: int = breakdowns.DEFAULT_LIMIT,
) -> Breakdown:
    """Rows of one dimension over local days (default: the 30 days to today), by the site's figure."""
    last = last or local_date(site.timezone, counter.clock())
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
    days = breakdown_items.breakdown_days(counter.storage, site.id, dimension, first, last)
    count = "pageviews" if dimension == "bot" else site.count
    rows = breakdowns.top_rows(days, limit, count)
    return Breakdown(
        site=site.id,
        dimension=dimension,
        from_=first,
        to=last,
        count=count,
        rows=[BreakdownRow(value=r.value, visits=r.visits, pageviews=r.pageviews) for r in rows],
    )
