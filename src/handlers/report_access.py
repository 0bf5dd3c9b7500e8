"""Who may read a site's reports: anyone, or (private reports) holders of a read token."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from counters.counting.service import CounterService
from counters.models import Site
from counters.reports.read_tokens import (
    InvalidTokenError,
    MissingTokenError,
    ReportTokens,
    bearer_token,
)
from handlers.common import error


def readable_site(counter: CounterService, router: Router, site_id: str) -> Site:
    """The site, once the request may read its reports (series, pages, breakdowns).

    A private site needs `Authorization: Bearer TOKEN`; checking it is one GetItem
    by the token's hash, the same work for a wrong token as for a right one.
    """
    site = counter.site(site_id)
    if site.reports == "private":
        header = router.current_event.headers.get("authorization")
        ReportTokens(counter.storage).check(site.id, bearer_token(header))
    return site


def answer_refused_reads(app: APIGatewayHttpResolver) -> None:
    """401 without a token, 403 with a wrong or revoked one; the message names no token."""

    @app.exception_handler(MissingTokenError)
    def missing_token(exc: MissingTokenError) -> Response[dict[str, Any]]:
        answer = error(401, str(exc))
        answer.headers["WWW-Authenticate"] = 'Bearer realm="reports"'
        return answer

    @app.exception_handler(InvalidTokenError)
    def invalid_token(exc: InvalidTokenError) -> Response[dict[str, Any]]:
        return error(403, str(exc))
