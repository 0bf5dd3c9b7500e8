"""Operator routes (AWS_IAM in the template): site settings and baselines."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from counters.models import Baseline, Site, SiteSettings, Stats
from counters.service import BaselineConflictError, default_service
from handlers.common import SiteIdPath, create_app, error, lambda_entry

router = Router()


@router.put("/v1/sites/<site>", summary="Create or update a site")
def put_site(site: SiteIdPath, body: SiteSettings) -> Site:
    return default_service().save_site(site, body)


@router.get("/v1/sites/<site>", summary="A site's settings")
def get_site(site: SiteIdPath) -> Site:
    return default_service().site(site)


@router.post("/v1/sites/<site>/baseline", summary="Import a previous counter's figures")
def import_baseline(site: SiteIdPath, body: Baseline) -> Stats:
    counter = default_service()
    return counter.import_baseline(counter.site(site), body)


app = create_app()
app.include_router(router)


@app.exception_handler(BaselineConflictError)
def baseline_conflict(exc: BaselineConflictError) -> Response[dict[str, Any]]:
    return error(409, str(exc))


lambda_handler = lambda_entry(app)
