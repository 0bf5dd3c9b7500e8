"""GET /v1/sites/{site}/segment: every dashboard panel for a segment, from the event archive.

A function of its own (SegmentFunction in template.yaml): DuckDB's layer, reads of the
archive's objects only, and the memory and time a year of a busy site takes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from counters.archive.reader import ArchiveReader, ArchiveTooLargeError
from counters.archive.segment_report import (
    MAX_ARCHIVE_BYTES,
    MAX_RANGE_DAYS,
    SegmentRangeError,
    SegmentReport,
    segment_report,
)
from counters.archive.segments import MAX_FILTER_CHARS, SegmentFilterError, parse_segment
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from handlers.common import SiteIdPath, create_app, error, lambda_entry
from handlers.report_access import answer_refused_reads, readable_site

router = Router()

FILTER = (
    "The segment: filters split by `;`, combined with AND; `DIMENSION==A|B` (is A or B) or "
    "`DIMENSION!=A|B` (is neither); `\\` escapes `;`, `|` and itself in a value. Dimensions: "
    "source, campaign, page, entry, browser, os, device, country, language, event. Empty: "
    "every hit. Example: `source==Google|Zalo;device!=mobile`."
)


@router.get(
    "/v1/sites/<site>/segment",
    summary="Every dashboard panel for a segment, from the event archive",
    description=f"Summary, day series, pages, entry and exit pages, breakdowns and goals of the "
    f"hits a segment keeps, over an inclusive range of the site's local days (at most "
    f"{MAX_RANGE_DAYS}, and at most {MAX_ARCHIVE_BYTES // 1_000_000} MB of archive objects: "
    f"a longer range is refused with 400). Browser, os, device, country, language and entry "
    f"filters keep whole visits; page, source, campaign and event filters keep hits, and "
    f"then bounce rate, duration and exit pages are null/empty (docs/archive.md, Segments).",
)
def segment(
    site: SiteIdPath,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    filter_text: Annotated[
        str, Query(alias="filter", max_length=MAX_FILTER_CHARS, description=FILTER)
    ] = "",
) -> SegmentReport:
    counter = default_service()
    readable = readable_site(counter, router, site)
    chosen = parse_segment(filter_text)  # 422 before any object is fetched
    return segment_report(
        ArchiveReader(archive_bucket()), readable.id, start, end, chosen, readable.count
    )


app = create_app(cors=CORSConfig(allow_origin="*", max_age=86400))
app.include_router(router)
answer_refused_reads(app)


@app.exception_handler(SegmentFilterError)
def bad_filter(exc: SegmentFilterError) -> Response[dict[str, Any]]:
    problem = str(exc)
    return error(
        422,
        f"invalid request: query.filter: {problem}",
        errors=[{"field": "query.filter", "problem": problem}],
    )


@app.exception_handler([SegmentRangeError, ArchiveTooLargeError])
def too_large(exc: ValueError) -> Response[dict[str, Any]]:
    return error(400, str(exc))


lambda_handler = lambda_entry(app)
