"""POST /v1/sites/{site}/hits: counts a page view and answers with the figures."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel

from counters.counting.service import ForbiddenOriginError, default_service
from counters.counting.visits import PageView
from counters.events.recorder import BadEventError, ForbiddenEventOriginError
from counters.models import HitBody, HitStats, Site
from counters.settings import settings
from handlers import events
from handlers.common import SiteIdPath, create_app, error, lambda_entry
from handlers.edge import SiteCORS, page_view, registered_site, site_origins

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

router = Router()
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="idempotency-key",
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="A retried request with the same key is counted once.",
    ),
]


@router.post(
    "/v1/sites/<site>/hits",
    summary="Count a page view",
    description="The body (optional) may be JSON sent as application/json or text/plain "
    "(no CORS preflight), or form-encoded with the keys path, referrer, utm_source, "
    "utm_medium and utm_campaign (navigator.sendBeacon with URLSearchParams).",
)
def hit(
    site: SiteIdPath,
    body: Annotated[HitBody | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> HitStats:
    registered = registered_site(site)
    view = page_view(cast(APIGatewayProxyEventV2, router.current_event), body)
    if idempotency_key is None:
        answer = default_service().record_hit(registered, view)
    else:
        request = IdempotentHit(site=site, key=idempotency_key)
        answer = _record_once(request=request, site=registered, view=view)
    # No metric line per hit: a log line a page view would cost more than its DynamoDB
    # write; the aggregators publish the hits they add, per batch (AggregatedHits).
    return answer


@router.route("/v1/sites/<site>/hits", method="OPTIONS", include_in_schema=False)
def preflight(site: SiteIdPath) -> Response[str]:
    registered_site(site)
    return Response(
        status_code=204, body="", headers={"Access-Control-Allow-Methods": "OPTIONS,POST"}
    )


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def as_json(event: dict[str, Any]) -> dict[str, Any]:
    """A hit body sent as a "simple" request (no CORS preflight, so a page view stays one
    request) as the JSON request it stands for. The widget posts its JSON as text/plain;
    `navigator.sendBeacon(url, new URLSearchParams(...))` sends a form: one value a key,
    `utm_*` keys as the tags (a repeated key stays a list, which the body model refuses,
    as it refuses any key JSON may not have). Header names and media types in any case."""
    headers: dict[str, str] = event.get("headers") or {}
    sent = headers.get("content-type")
    if sent is None:  # not as API Gateway sends it: a name in another case, or none
        sent = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    elif sent.startswith("application/json"):
        return event  # as Powertools takes it: most hits, at no cost
    content_type = sent.lower()
    if content_type.startswith(("text/plain", "application/json")):  # media types: any case
        return _with_json_type(event, event.get("body"), event.get("isBase64Encoded", False))
    if not content_type.startswith(FORM_CONTENT_TYPE):
        return event
    try:
        text = APIGatewayProxyEventV2(event).decoded_body or ""
    except ValueError:  # not base64 or not UTF-8: answered by Powertools as it is
        return event
    return _with_json_type(event, json.dumps(_form_fields(text)), False)


def _with_json_type(event: dict[str, Any], body: Any, base64: Any) -> dict[str, Any]:
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    headers["content-type"] = "application/json"
    return {**event, "headers": headers, "body": body, "isBase64Encoded": base64}


def _form_fields(text: str) -> dict[str, Any]:
    form = parse_qs(text, keep_blank_values=True)
    fields: dict[str, Any] = {key: v[0] if len(v) == 1 else v for key, v in form.items()}
    utm = {key: fields.pop(key) for key in list(fields) if key.startswith("utm_")}
    if utm:
        fields["utm"] = utm
    return fields


class IdempotentHit(BaseModel):
    site: str
    key: str


def _replayed(response: Any, idempotent_data: DataRecord) -> Any:
    # The same figures as the first answer, but this request added nothing.
    return response.model_copy(update={"counted": False})


@lru_cache(maxsize=1024)
def _idempotency(site: str) -> tuple[DynamoDBPersistenceLayer, IdempotencyConfig]:
    # Imported on first use: most hits carry no Idempotency-Key, and this is ~10% of cold start.
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )

    persistence = DynamoDBPersistenceLayer(
        table_name=settings().table_name,
        key_attr="pk",
        sort_key_attr="sk",
        # One partition per site: keyed hits of busy sites do not share one hot key.
        static_pk_value=f"IDEMPOTENCY#{site}",
        expiry_attr="expires_at",
        boto3_client=default_service().storage.client,
    )
    return persistence, IdempotencyConfig(expires_after_seconds=24 * 3600, response_hook=_replayed)


def _record_once(*, request: IdempotentHit, site: Site, view: PageView) -> HitStats:
    from aws_lambda_powertools.utilities.idempotency import idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import (
        PydanticSerializer,
    )

    persistence, config = _idempotency(site.id)
    config.register_lambda_context(router.lambda_context)

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        output_serializer=PydanticSerializer(HitStats),
    )
    def record(*, request: IdempotentHit) -> HitStats:
        return default_service().record_hit(site, view)

    try:
        return cast(HitStats, record(request=request))
    except IdempotencyAlreadyInProgressError as busy:
        message = "a request with this Idempotency-Key is still being counted; retry shortly"
        raise ServiceError(409, message) from busy


app = create_app(cors=SiteCORS(allow_origin="*", allow_headers=["Idempotency-Key"], max_age=86400))
app.include_router(router)
app.include_router(events.router)


@app.exception_handler(ForbiddenOriginError)
@app.exception_handler(ForbiddenEventOriginError)
def forbidden_origin(exc: PermissionError) -> Response[dict[str, Any]]:
    return error(403, str(exc))


@app.exception_handler(BadEventError)
def bad_event(exc: BadEventError) -> Response[dict[str, Any]]:
    return error(422, str(exc))


_resolve = lambda_entry(app, prepare=as_json)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    site_origins.set(())
    return _resolve(event, context)
