"""What every function shares: Powertools set-up, the API's error answers, the edge types."""

from __future__ import annotations

import binascii
import os
import warnings
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Path
from botocore.exceptions import BotoCoreError, ClientError

from counters.counting.service import UnknownSiteError
from counters.models import SITE_ID_PATTERN
from counters.storage import OutcomeUnknownError
from handlers import end_cold_start
from handlers.limits import loads, refusal

logger = Logger()
metrics = Metrics()
# Reads add no metric of their own; Powertools would warn about that on each one.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

SiteIdPath = Annotated[str, Path(pattern=SITE_ID_PATTERN, description="The site id.")]


def error(status: int, message: str, **extra: Any) -> Response[dict[str, Any]]:
    return Response(
        status_code=status, content_type="application/json", body={"message": message, **extra}
    )


def create_app(
    cors: CORSConfig | None = None, resolver: type[APIGatewayHttpResolver] = APIGatewayHttpResolver
) -> APIGatewayHttpResolver:
    """An HTTP API resolver that validates with pydantic and answers every error as JSON."""
    # Bodies are parsed with bounded numbers: a 4,301-digit integer is a 422, not a 500.
    app = resolver(enable_validation=True, cors=cors, json_body_deserializer=loads)

    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
        problems = [
            {"field": ".".join(str(part) for part in e["loc"]), "problem": _problem(e)}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        return error(422, f"invalid request: {summary}", errors=problems)

    # Powertools answers these without a "message"; every error here has one.
    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_content_type(exc: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        return error(415, "unsupported content type: send JSON (application/json or text/plain)")

    @app.exception_handler(UnicodeDecodeError)
    def not_utf8(exc: UnicodeDecodeError) -> Response[dict[str, Any]]:
        # A body that is not UTF-8 arrives base64-encoded; decoding it fails inside Powertools.
        return error(400, "the request body is not valid UTF-8")

    @app.exception_handler(binascii.Error)
    def not_base64(exc: binascii.Error) -> Response[dict[str, Any]]:
        # isBase64Encoded with a body that is not base64 (API Gateway never sends one).
        return error(400, "the request body is not valid base64")

    @app.exception_handler(RecursionError)
    def too_deep(exc: RecursionError) -> Response[dict[str, Any]]:
        # json.loads gives up on a few thousand nested brackets.
        return error(400, "the request body is nested too deeply")

    @app.exception_handler(UnknownSiteError)
    def unknown_site(exc: UnknownSiteError) -> Response[dict[str, Any]]:
        return error(404, str(exc.args[0]))

    @app.exception_handler(ServiceError)
    def service_error(exc: ServiceError) -> Response[dict[str, Any]]:
        return error(exc.status_code, str(exc.msg))

    @app.exception_handler([ClientError, BotoCoreError, OutcomeUnknownError])
    def storage_unavailable(exc: Exception) -> Response[dict[str, Any]]:
        logger.exception("storage request failed")
        metrics.add_metric(name="StorageErrors", unit="Count", value=1)
        return error(503, "the counter's storage is unavailable; retry shortly")

    return app


def _problem(error: Any) -> str:
    # A JSON decode error's reason is in its context ("JSON decode error" alone says little).
    reason = (error.get("ctx") or {}).get("error")
    return (
        f"{error['msg']}: {reason}"
        if error.get("type") == "json_invalid" and reason
        else str(error["msg"])
    )


Event = dict[str, Any]


def lambda_entry(
    app: APIGatewayHttpResolver, prepare: Callable[[Event], Event] | None = None
) -> Callable[[Event, Any], Event]:
    """The Lambda handler of `app`, with logging context, metrics and (opt-in) tracing;
    `prepare` turns a request (within its bounds) into the one `app` takes."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def handler(event: Event, context: Any) -> Event:
        try:
            refused = refusal(event)
            if refused:
                return refused
            return app.resolve(prepare(event) if prepare else event, context)
        finally:
            end_cold_start()

    return traced(handler)


F = TypeVar("F", bound=Callable[..., Any])


def traced(handler: F) -> F:
    """`handler` with X-Ray subsegments when TRACE_SUBSEGMENTS is true.

    The X-Ray SDK (Powertools Tracer) costs ~150 ms of cold start, more than
    boto3 itself; Lambda's active tracing records each invocation without it.
    """
    if os.environ.get("TRACE_SUBSEGMENTS", "false").lower() != "true":
        return handler
    from aws_lambda_powertools import Tracer

    return cast(F, Tracer().capture_lambda_handler(handler))
