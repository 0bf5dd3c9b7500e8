"""Operator routes (AWS_IAM in the template): site settings, baselines, report tokens."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from counters import site_registry
from counters.models import Baseline, Site, SiteSettings, Stats
from counters.report_tokens import ID_PATTERN, IssuedToken, ReportTokens, TokenInfo, TokenRequest
from counters.service import BaselineConflictError, default_counter
from counters.site_registry import SiteList
from handlers.common import SiteIdPath, create_app, error, lambda_entry

router = Router()


@router.put("/v1/sites/<site>", summary="Create or update a site")
def put_site(site: SiteIdPath, body: SiteSettings) -> Site:
    return site_registry.save_site(default_counter(), site, body)


@router.get("/v1/sites/<site>", summary="A site's settings")
def get_site(site: SiteIdPath) -> Site:
    return default_counter().site(site)


@router.post("/v1/sites/<site>/baseline", summary="Import a previous counter's figures")
def import_baseline(site: SiteIdPath, body: Baseline) -> Stats:
    counter = default_counter()
    return counter.import_baseline(counter.site(site), body)


@router.get("/v1/sites", summary="Every registered site, with today's figures")
def list_sites() -> SiteList:
    return site_registry.list_sites(default_counter())


@router.post(
    "/v1/sites/<site>/tokens",
    summary="Issue a read token for a site's private reports (shown once)",
    responses={201: {"description": "The token."}},
)
def issue_token(site: SiteIdPath, body: TokenRequest | None = None) -> Response[IssuedToken]:
    counter = default_counter()
    label = body.label if body else ""
    issued = ReportTokens(counter.storage).issue(counter.site(site).id, label)
    return Response(status_code=201, content_type="application/json", body=issued)


@router.get("/v1/sites/<site>/tokens", summary="A site's live read tokens (never the tokens)")
def list_tokens(site: SiteIdPath) -> list[TokenInfo]:
    counter = default_counter()
    return ReportTokens(counter.storage).live(counter.site(site).id)


@router.delete(
    "/v1/sites/<site>/tokens/<token_id>",
    summary="Revoke a read token (idempotent: 204 whether or not it was there)",
    responses={204: {"description": "Revoked."}},
)
def revoke_token(
    site: SiteIdPath, token_id: Annotated[str, Path(pattern=ID_PATTERN)]
) -> Response[str]:
    counter = default_counter()
    ReportTokens(counter.storage).revoke(counter.site(site).id, token_id)
    return Response(status_code=204, body="")


app = create_app()
app.include_router(router)


@app.exception_handler(BaselineConflictError)
def baseline_conflict(exc: BaselineConflictError) -> Response[dict[str, Any]]:
    return error(409, str(exc))


lambda_handler = lambda_entry(app)
