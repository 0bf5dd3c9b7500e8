"""POST /v1/sites/{site}/hits: counts a page view and answers with the figures."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import CORSConfig
from aws_lambda_powertools.event_handler.openapi.params import Body

from counters.models import HitBody, HitStats
from counters.service import default_counter
from handlers.common import SiteIdPath, create_app, lambda_entry, metrics

app = create_app(cors=CORSConfig(allow_origin="*", allow_headers=["Idempotency-Key"], max_age=86400))


@app.post("/v1/sites/<site>/hits", summary="Count a page view")
def hit(site: SiteIdPath, body: Annotated[HitBody | None, Body()] = None) -> HitStats:
    counter = default_counter()
    registered = counter.site(site)
    record = counter.count(registered, {"visits": 1, "pageviews": 1})
    metrics.add_metric(name="CountedHits", unit="Count", value=1)
    stats = counter.stats_of(registered, record, record.day)
    return HitStats(**stats.model_dump(), counted=True)


_resolve = lambda_entry(app)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The widget posts its JSON as text/plain: a "simple" request, so browsers send
    # no CORS preflight and a page view stays one request.
    headers = event.get("headers") or {}
    if headers.get("content-type", "").startswith("text/plain"):
        event = {**event, "headers": {**headers, "content-type": "application/json"}}
    return _resolve(event, context)
