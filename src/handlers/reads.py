"""Read-only routes: the figures and history of a site, counting nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from counters.counting.service import default_service
from counters.models import Stats
from counters.reports import badge, breakdowns, goals, pages, queries, summary
from counters.reports import series as history
from counters.reports.answers import Breakdown, GoalsReport, Series, TopPages
from handlers.common import SiteIdPath, create_app, error, lambda_entry
from handlers.report_access import answer_refused_reads, readable_site

router = Router()

PERIOD = (
    "a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY), per granularity; "
    "a more precise date names its month or year"
)


@router.get("/v1/sites/<site>/stats", summary="The figures, counting nothing")
def stats(site: SiteIdPath) -> Stats:
    counter = default_service()
    return counter.stats(counter.site(site))


@router.get(
    "/v1/sites/<site>/series",
    summary="Counts per day, month or year",
    description=f"Inclusive range, zero-filled, oldest first, in the site's local calendar; "
    f"at most {history.MAX_POINTS} points. Month and year totals include imported baselines; "
    f"imported history is flagged `imported`, and `null` where only a coarser total is known. "
    f"Defaults: `to` today, `from` a few periods before `to`.",
)
def series(
    site: SiteIdPath,
    granularity: Annotated[Literal["day", "month", "year"], Query()] = "day",
    start: Annotated[str | None, Query(alias="from", max_length=10, description=PERIOD)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=10, description=PERIOD)] = None,
) -> Series:
    counter = default_service()
    return queries.series(counter, readable_site(counter, router, site), granularity, start, end)


@router.get(
    "/v1/sites/<site>/pages",
    summary="Most viewed paths",
    description=f"Over an inclusive range of the site's local days, at most "
    f"{pages.MAX_RANGE_DAYS}; defaults: the {pages.DEFAULT_DAYS} days to today.",
)
def top_pages(
    site: SiteIdPath,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=pages.MAX_LIMIT)] = pages.DEFAULT_LIMIT,
) -> TopPages:
    counter = default_service()
    return queries.top_pages(counter, readable_site(counter, router, site), start, end, limit)


@router.get(
    "/v1/sites/<site>/badge.svg",
    summary="An SVG badge of today and total",
    responses={
        200: {
            "description": "The badge.",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
        }
    },
)
def badge_svg(
    site: SiteIdPath, lang: Annotated[Literal["vi", "en"], Query()] = "vi"
) -> Response[str]:
    counter = default_service()
    registered = counter.site(site)
    figures = counter.stats(registered)
    return Response(
        status_code=200,
        content_type="image/svg+xml; charset=utf-8",
        body=badge.render(site, registered.count, figures.today, figures.total, lang),
        headers={
            "Cache-Control": "public, max-age=60",
            # Opened as a document, an SVG could run script: allow none.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/v1/sites/<site>/breakdown",
    summary="Visits and page views by source, campaign, browser, OS, device, country, language, "
    "hour, bot, entry or exit page; events by name, file, outbound link or property",
    description="`entry`: visits begun on each page, with their `bounce_rate` and mean "
    "`visit_duration` (seconds); `exit`: visits that ended on each page, and its page views. "
    f"Over an inclusive range of the site's local days, at most {breakdowns.MAX_RANGE_DAYS} "
    f"(default: the {breakdowns.DEFAULT_DAYS} days to today). Rows are sorted by the site's figure "
    f"(bots: page views; events' dimensions: events, as `pageviews`, and by `event`, the visits "
    f"with it); values past {breakdowns.MAX_VALUES_PER_DAY} a day, and "
    f"past `limit`, are added up in one `{breakdowns.OTHER}` row.",
)
def breakdown(
    site: SiteIdPath,
    dimension: Annotated[breakdowns.Dimension | Literal["entry", "exit"], Query()],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=breakdowns.MAX_LIMIT)] = breakdowns.DEFAULT_LIMIT,
) -> Breakdown:
    counter = default_service()
    readable = readable_site(counter, router, site)
    return queries.breakdown(counter, readable, dimension, start, end, limit)


@router.get(
    "/v1/sites/<site>/goals",
    summary="Conversions of the site's goals",
    description="For each goal in the site's settings, over an inclusive range of local days "
    f"(default: the {breakdowns.DEFAULT_DAYS} days to today; at most "
    f"{breakdowns.MAX_RANGE_DAYS}): the visits that reached it, its events, and the share of "
    "the range's visits that reached it.",
)
def site_goals(
    site: SiteIdPath,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> GoalsReport:
    counter = default_service()
    readable = readable_site(counter, router, site)
    first, last = queries.report_range(counter, readable, start, end)
    return goals.goals_report(counter, readable, first, last)


@router.get(
    "/v1/sites/<site>/summary",
    summary="Visits, page views, views per visit, bounce rate and visit duration, compared",
    description=f"Over an inclusive range of the site's local days, at most {summary.MAX_RANGE_DAYS}"
    f" (default: the {summary.DEFAULT_DAYS} days to today), beside the range before it of the "
    "same length (`previous`) or the same dates a year before (`year`), with the relative "
    "change of each figure. A visit counts on the day it began (a visit ends at local midnight). "
    "Imported history has no engagement figures: they are `null` over a range that needs it.",
)
def engagement_summary(
    site: SiteIdPath,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    compare: Annotated[summary.Compare, Query()] = "previous",
) -> summary.Summary:
    counter = default_service()
    readable = readable_site(counter, router, site)
    return queries.summary(counter, readable, start, end, compare)


app = create_app(cors=CORSConfig(allow_origin="*", max_age=86400))
app.include_router(router)
answer_refused_reads(app)


@app.exception_handler([history.RangeError, pages.PagesRangeError])
def bad_range(exc: ValueError) -> Response[dict[str, Any]]:
    return error(400, str(exc))


@app.exception_handler([queries.BreakdownRangeError, summary.SummaryRangeError])
def bad_breakdown_range(exc: ValueError) -> Response[dict[str, Any]]:
    return error(400, str(exc))


lambda_handler = lambda_entry(app)
