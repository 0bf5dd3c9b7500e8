"""Operator routes (AWS_IAM in the template): sites, baselines, history, report tokens."""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any, Literal, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from counters.counting.service import BaselineConflictError, default_service
from counters.imported.checks import HistoryConflictError
from counters.imported.importer import check_baseline, import_history
from counters.imported.rows import MAX_ROWS, HistoryRowsError
from counters.models import Baseline, HistoryImported, Site, SiteSettings, Stats
from counters.reports.read_tokens import (
    ID_PATTERN,
    IssuedToken,
    ReportTokens,
    TokenInfo,
    TokenRequest,
)
from counters.sites import registry as site_registry
from counters.sites.registry import SiteList
from handlers.common import SiteIdPath, create_app, error, lambda_entry

router = Router()


@router.put("/v1/sites/<site>", summary="Create or update a site")
def put_site(site: SiteIdPath, body: SiteSettings) -> Site:
    return site_registry.save_site(default_service(), site, body)


@router.get("/v1/sites/<site>", summary="A site's settings")
def get_site(site: SiteIdPath) -> Site:
    return default_service().site(site)


@router.post("/v1/sites/<site>/baseline", summary="Import a previous counter's figures")
def import_baseline(site: SiteIdPath, body: Baseline) -> Stats:
    counter = default_service()
    registered = counter.site(site)
    check_baseline(counter, registered, body)  # agrees with imported history, if any
    return counter.import_baseline(registered, body)


# 20 years of days as JSON rows is about 500 KB.
MAX_HISTORY_BYTES = 1_000_000


@router.post(
    "/v1/sites/<site>/history",
    summary="Import a previous counter's history",
    description="Rows `{period, visits?, pageviews?}` (period YYYY, YYYY-MM or YYYY-MM-DD) as "
    'JSON `{"rows": [...]}` or `text/csv` with a header row; or, with `format=nukeviet` and '
    "the dump's `date`, the rows of `SELECT c_type, c_val, c_count FROM nv4_counter` (history "
    f"before the date, and its figures as a baseline). At most {MAX_ROWS} rows and "
    f"{MAX_HISTORY_BYTES} bytes. 422 names the rows at fault; 409 when periods reach counted "
    "days. Re-importing is idempotent; a corrected row replaces its period's earlier import.",
)
def post_history(
    site: SiteIdPath,
    format: Annotated[
        Literal["periods", "nukeviet"], Query(description="periods, or a NukeViet counter dump")
    ] = "periods",
    dump_date: Annotated[
        date | None, Query(alias="date", description="format=nukeviet: the dump's local date")
    ] = None,
) -> HistoryImported:
    event = cast(APIGatewayProxyEventV2, router.current_event)
    content_type = (event.headers.get("content-type") or "application/json").lower()
    if not content_type.startswith(("application/json", "text/csv")):
        raise ServiceError(415, "unsupported content type: send application/json or text/csv")
    counter = default_service()
    registered = counter.site(site)
    return import_history(
        counter,
        registered,
        _bounded_body(event),
        is_csv=content_type.startswith("text/csv"),
        format=format,
        dump_date=dump_date,
    )


def _bounded_body(event: APIGatewayProxyEventV2) -> str:
    raw = event.body or ""
    # Base64 is 4/3 of the bytes: refuse before decoding anything too large.
    if len(raw) > (
        MAX_HISTORY_BYTES * 4 // 3 + 4 if event.is_base64_encoded else MAX_HISTORY_BYTES
    ):
        raise ServiceError(413, f"the body is over {MAX_HISTORY_BYTES} bytes")
    if not event.is_base64_encoded:
        return raw
    data = base64.b64decode(raw)
    if len(data) > MAX_HISTORY_BYTES:
        raise ServiceError(413, f"the body is over {MAX_HISTORY_BYTES} bytes")
    return data.decode("utf-8")


@router.get("/v1/sites", summary="Every registered site, with today's figures")
def list_sites() -> SiteList:
    return site_registry.list_sites(default_service())


@router.post(
    "/v1/sites/<site>/tokens",
    summary="Issue a read token for a site's private reports (shown once)",
    responses={201: {"description": "The token."}},
)
def issue_token(site: SiteIdPath, body: TokenRequest | None = None) -> Response[IssuedToken]:
    counter = default_service()
    label = body.label if body else ""
    issued = ReportTokens(counter.storage).issue(counter.site(site).id, label)
    return Response(status_code=201, content_type="application/json", body=issued)


@router.get("/v1/sites/<site>/tokens", summary="A site's live read tokens (never the tokens)")
def list_tokens(site: SiteIdPath) -> list[TokenInfo]:
    counter = default_service()
    return ReportTokens(counter.storage).live(counter.site(site).id)


@router.delete(
    "/v1/sites/<site>/tokens/<token_id>",
    summary="Revoke a read token (idempotent: 204 whether or not it was there)",
    responses={204: {"description": "Revoked."}},
)
def revoke_token(
    site: SiteIdPath, token_id: Annotated[str, Path(pattern=ID_PATTERN)]
) -> Response[str]:
    counter = default_service()
    ReportTokens(counter.storage).revoke(counter.site(site).id, token_id)
    return Response(status_code=204, body="")


app = create_app()
app.include_router(router)


@app.exception_handler(HistoryRowsError)
def rows_refused(exc: HistoryRowsError) -> Response[dict[str, Any]]:
    # The message counts them all; the list names the first 100 (a wrong file has thousands).
    errors = [{"field": row, "problem": problem} for row, problem in exc.problems[:100]]
    return error(422, str(exc), errors=errors)


@app.exception_handler(HistoryConflictError)
def history_conflict(exc: HistoryConflictError) -> Response[dict[str, Any]]:
    return error(409, str(exc))


@app.exception_handler(BaselineConflictError)
def baseline_conflict(exc: BaselineConflictError) -> Response[dict[str, Any]]:
    return error(409, str(exc))


lambda_handler = lambda_entry(app)
