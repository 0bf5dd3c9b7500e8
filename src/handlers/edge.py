"""What the hit and event routes take from a request alike: the site (and its CORS
origins), the visitor's address, and the page view as the edge saw it."""

from __future__ import annotations

import hashlib
import hmac
from contextvars import ContextVar

from aws_lambda_powertools.event_handler import CORSConfig
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from counters.counting.service import default_service
from counters.counting.visits import PageView, viewer_address
from counters.models import HitBody, Site
from counters.settings import settings

# The origins of the site being hit: CORS answers allow exactly those (any when empty).
site_origins: ContextVar[tuple[str, ...]] = ContextVar("site_origins", default=())


class SiteCORS(CORSConfig):
    """Powertools CORS, narrowed to the allowed origins of the site being hit."""

    def allowed_origin(self, extracted_origin: str) -> str | None:
        allowed = site_origins.get()
        if allowed:
            return extracted_origin if extracted_origin in allowed else None
        return super().allowed_origin(extracted_origin)


def registered_site(site_id: str) -> Site:
    site = default_service().site(site_id)
    site_origins.set(tuple(site.allowed_origins))
    return site


def page_view(event: APIGatewayProxyEventV2, body: HitBody | None = None) -> PageView:
    """The request as a page view (an event's request too: its visitor is the same)."""
    headers = event.headers
    through_proxy = _through_proxy(event)
    return PageView(
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
