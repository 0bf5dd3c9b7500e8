"""Routes over the event archive: exports (operators, or a private site's read token) and
rebuilds of report items (operators). Two functions serve them (template.yaml): the
export function may read the archive, the rebuild function may also rewrite reports."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from counters.archive.export import (
    LINK_SECONDS,
    MAX_RANGE_DAYS,
    Exported,
    ExportRangeError,
    Format,
    export,
)
from counters.archive.reader import ArchiveReader
from counters.archive.rebuild import Rebuilder
from counters.archive.rollups import Rollups
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from handlers.common import SiteIdPath, create_app, error, lambda_entry
from handlers.report_access import answer_refused_reads, readable_site

router = Router()

EXPORT = (
    f"The range's archived hits, each once, as CSV (with a header) or Parquet: site, local "
    f"date and hour, visit and page-view flags, path and breakdown facts; at most "
    f"{MAX_RANGE_DAYS} days. A large export is answered as JSON with a link to the file, "
    f"valid {LINK_SECONDS} s."
)


class ExportLink(BaseModel):
    rows: int
    url: str
    expires_in: int
    filename: str


FILE_ANSWER: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The file; or, for a large export, a link to it.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"model": ExportLink},
        },
    }
}


class RebuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date


class RebuildAnswer(BaseModel):
    site: str
    date: date
    hits: int
    cleared: int


class RollupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")


class RollupAnswer(BaseModel):
    site: str
    first: date  # the month rollups hold every day from `first` to `through`
    through: date


class PublicSiteExportError(Exception):
    """A public site's archive is exported by operators only."""


@router.get(
    "/v1/sites/<site>/export",
    summary="Export a range of the event archive (operators)",
    description=EXPORT,
    responses=FILE_ANSWER,
)
def operator_export(
    site: SiteIdPath,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response[Any]:
    default_service().site(site)  # 404 for a site never registered
    return _answer(export(ArchiveReader(archive_bucket()), archive_bucket(), site, start, end, fmt))


@router.get(
    "/v1/sites/<site>/reports/export",
    summary="Export a range of a private site's event archive (read token)",
    description=EXPORT + " Private sites only, with `Authorization: Bearer TOKEN`.",
    responses=FILE_ANSWER,
)
def shared_export(
    site: SiteIdPath,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    fmt: Annotated[Format, Query(alias="format")] = "csv",
) -> Response[Any]:
    counter = default_service()
    if readable_site(counter, router, site).reports != "private":
        raise PublicSiteExportError(site)
    return _answer(export(ArchiveReader(archive_bucket()), archive_bucket(), site, start, end, fmt))


@router.post(
    "/v1/sites/<site>/rebuild",
    summary="Rebuild a day's pages and breakdowns from the archive (operators)",
    description="Deletes the day's report items and adds the archive's hits of the day again: "
    "what an aggregation that never failed writes (docs/operations.md says when).",
)
def rebuild(site: SiteIdPath, body: RebuildRequest) -> RebuildAnswer:
    counter = default_service()
    counter.site(site)
    done = Rebuilder(counter.storage, ArchiveReader(archive_bucket())).rebuild(site, body.date)
    return RebuildAnswer(site=site, date=done.day, hits=done.hits, cleared=done.cleared)


@router.post(
    "/v1/sites/<site>/rollups",
    summary="Copy older days into the month rollups (operators)",
    description="Copies up to 31 days before the first day the month rollups hold, not before "
    "`from`, into them (days aggregated before rollups existed; docs/operations.md); answers "
    "the days they hold. Send again until `first` is `from`.",
)
def rollups(site: SiteIdPath, body: RollupRequest) -> RollupAnswer:
    counter = default_service()
    counter.site(site)
    mark = Rollups(counter.storage).backfill(site, body.from_, datetime.now(UTC).date())
    return RollupAnswer(site=site, first=mark.first, through=mark.through)


def _answer(exported: Exported) -> Response[Any]:
    if exported.body is None:
        link = ExportLink(
            rows=exported.rows,
            url=exported.link or "",
            expires_in=LINK_SECONDS,
            filename=exported.filename,
        )
        return Response(200, "application/json", link.model_dump())
    binary = not exported.content_type.startswith("text/")
    answer: Response[Any] = Response(
        status_code=200,
        content_type=exported.content_type,
        # Base64 here: the response validation would try to decode bytes as text.
        body=base64.b64encode(exported.body).decode() if binary else exported.body.decode(),
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "X-Rows": str(exported.rows),
        },
    )
    answer.base64_encoded = binary
    return answer


app = create_app()
app.include_router(router)
answer_refused_reads(app)


@app.exception_handler(ExportRangeError)
def bad_range(exc: ExportRangeError) -> Response[dict[str, Any]]:
    return error(400, str(exc))


@app.exception_handler(PublicSiteExportError)
def public_site(exc: PublicSiteExportError) -> Response[dict[str, Any]]:
    return error(
        403,
        f"site {exc.args[0]!r} has public reports: its archive is exported by operators "
        f"(GET /v1/sites/{exc.args[0]}/export, AWS_IAM)",
    )


lambda_handler = lambda_entry(app)
