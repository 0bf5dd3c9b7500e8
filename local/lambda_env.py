"""Calling the handlers in-process outside the tests (the benchmark): the template's
environment, a Lambda context, and HTTP API events as the local server builds them.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from local.template import routes

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def use_template_environment() -> None:
    """The functions' environment, as the template sets it, with fake AWS credentials (moto)."""
    for name, value in routes()[0].environment.items():
        os.environ[name] = value
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_DEV="false",
    )
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    os.environ.pop("AWS_PROFILE", None)


class LambdaContext:
    function_name = "bench-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@cache
def _hit_route() -> Any:
    return next(r for r in routes() if r.route_key == "POST /v1/sites/{site}/hits")


def hit_event(
    site: str, headers: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    """The HTTP API event of a hit on `site` (a Firefox User-Agent unless `headers` say)."""
    from local.server import http_api_event

    merged = {"user-agent": FIREFOX, "content-type": "application/json", **(headers or {})}
    return http_api_event(
        _hit_route(),
        "POST",
        f"/v1/sites/{site}/hits",
        headers=merged.items(),
        body=(body or "").encode(),
        source_ip="203.0.113.7",
        path_parameters={"site": site},
    )
