"""POST /v1/sites/{site}/events: a download, an outbound link or a custom event.

A route of its own rather than the hit route with an event in its body: an event
answers no figures (so it reads nothing), writes one item that is not the day item,
and its body is another shape; the widget sends it with `navigator.sendBeacon`.
"""

from __future__ import annotations

from typing import Annotated, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from counters.events.recorder import TrackedEvent, default_recorder
from counters.models import EventAnswer, EventBody
from handlers.common import SiteIdPath
from handlers.edge import page_view, registered_site

router = Router()


@router.post(
    "/v1/sites/<site>/events",
    summary="Record an event",
    description="A file download, an outbound link click or a custom event: never a page "
    "view, never in the figures. JSON as application/json or text/plain (no CORS "
    "preflight; what navigator.sendBeacon sends).",
)
def record_event(site: SiteIdPath, body: Annotated[EventBody, Body()]) -> EventAnswer:
    target = registered_site(site)
    view = page_view(cast(APIGatewayProxyEventV2, router.current_event))
    event = TrackedEvent(
        name=body.name,
        url=body.url,
        path=body.path,
        props=body.props or {},
        interactive=body.interactive,
    )
    return EventAnswer(counted=default_recorder().record(target, view, event))


@router.route("/v1/sites/<site>/events", method="OPTIONS", include_in_schema=False)
def preflight(site: SiteIdPath) -> Response[str]:
    registered_site(site)
    return Response(
        status_code=204, body="", headers={"Access-Control-Allow-Methods": "OPTIONS,POST"}
    )
