"""POST /v1/sites/{site}/hits: counts a page view and answers with the figures."""

from __future__ import annotations

import hashlib
import hmac
import json
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel

from counters.counting.service import ForbiddenOriginError, default_service
from counters.counting.visits import PageView, viewer_address
from counters.models import HitBody, HitStats, Site
from counters.settings import settings
from handlers.common import SiteIdPath, create_app, error, lambda_entry

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
    )
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

# The origins of the site being hit: CORS answers allow exactly those (any when empty).
_site_origins: ContextVar[tuple[str, ...]] = ContextVar("site_origins", default=())


class SiteCORS(CORSConfig):
    """Powertools CORS, narrowed to the allowed origins of the site being hit."""

    def allowed_origin(self, extracted_origin: str) -> str | None:
        allowed = _site_origins.get()
        if allowed:
            return extracted_origin if extracted_origin in allowed else None
        return super().allowed_origin(extracted_origin)


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
    registered = _registered(site)
    event = cast(APIGatewayProxyEventV2, router.current_event)
    headers = event.headers
    through_proxy = _through_proxy(event)
    view = PageView(
        client_ip=_client_address(event, through_proxy),
        user_agent=headers.get("user-agent", ""),
        origin=headers.get("origin"),
        prefetch="prefetch" in headers.get("sec-purpose", "")
        or headers.get("purpose") == "prefetch",
        path=body.path if body else None,
        referrer=body.referrer if body else None,
        utm={str(key): value for key, value in body.utm.items()} if body and body.utm else None,
        accept_language=headers.get("accept-language"),
        # Like the address, the country is CloudFront's only on its proven requests.
        viewer_country=headers.get("cloudfront-viewer-country") if through_proxy else None,
    )
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
    _registered(site)
    return Response(
        status_code=204, body="", headers={"Access-Control-Allow-Methods": "OPTIONS,POST"}
    )


def _through_proxy(event: APIGatewayProxyEventV2) -> bool:
    """Whether the request carries the distribution's origin header (its SHA-256 configured).

    Anyone can send CloudFront's viewer headers to the API's own URL: they are trusted
    only on requests that prove they came through the distribution.
    """
    expected = settings().proxy_verify_sha256
    proof = event.headers.get("x-origin-verify")
    if not expected or proof is None:
        return False
    return hmac.compare_digest(hashlib.sha256(proof.encode()).hexdigest(), expected)


def _client_address(event: APIGatewayProxyEventV2, through_proxy: bool) -> str:
    """The visitor's address: the connection's or, behind CloudFront, the viewer's."""
    source = event.request_context.http.source_ip
    header = settings().client_address_header
    if not header or not through_proxy:
        return source
    viewer = event.headers.get(header.lower())
    return (viewer_address(viewer) if viewer else None) or source


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


def _registered(site_id: str) -> Site:
    site = default_service().site(site_id)
    _site_origins.set(tuple(site.allowed_origins))
    return site


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


@app.exception_handler(ForbiddenOriginError)
def forbidden_origin(exc: ForbiddenOriginError) -> Response[dict[str, Any]]:
    return error(403, str(exc))


_resolve = lambda_entry(app, prepare=as_json)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _site_origins.set(())
    return _resolve(event, context)
