"""Calling the handlers in-process (the tests and the benchmark): the template's
environment, a Lambda context, HTTP API events from the one builder the local server
uses (local.http_api), and a client that routes them to the template's handlers.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any
from urllib.parse import urlencode

from local.cloudformation import Route, routes, stream_consumers
from local.functions import import_handler
from local.http_api import http_api_event, match_route

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def use_template_environment() -> None:
    """The functions' environment, as the template sets it, with fake AWS credentials (moto).

    The hit function's, and the stream consumers' own variables (the archive's bucket).
    """
    for consumer in stream_consumers():
        os.environ.update(consumer.environment)
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
    function_name = "in-process-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:in-process-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def api_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    source_ip: str = "203.0.113.7",
    user_agent: str = FIREFOX,
) -> tuple[Route, dict[str, Any]]:
    """The template's route for `method path` and its HTTP API event (local.http_api).

    Headers: `user_agent` and a JSON content type unless `headers` say otherwise; the
    body is `body` as it is if text, else as JSON.
    """
    route, params = match_route(_routes(), method, path)
    if route is None:
        raise LookupError(f"no route for {method} {path}")
    merged = {"user-agent": user_agent, "content-type": "application/json"}
    merged.update({name.lower(): value for name, value in (headers or {}).items()})
    data = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
    query_string = urlencode(query or {})
    event = http_api_event(
        route, method, path, query_string, merged.items(), data, source_ip, params
    )
    return route, event


def hit_event(
    site: str, headers: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    """The HTTP API event of a hit on `site` (a Firefox User-Agent unless `headers` say)."""
    return api_event("POST", f"/v1/sites/{site}/hits", body, headers)[1]


class InProcessApi:
    """Calls the template's handlers in this process, as the HTTP API would."""

    user_agent = FIREFOX  #: the User-Agent of requests whose headers name none

    def event(self, method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The HTTP API event of a request (arguments as :func:`api_event`)."""
        return api_event(method, path, body, user_agent=self.user_agent, **kwargs)[1]

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        """Status and answer (parsed if JSON) of the route's handler for a request."""
        route, event = api_event(method, path, body, user_agent=self.user_agent, **kwargs)
        answer = import_handler(route.handler)(event, LambdaContext())
        text = answer.get("body") or ""
        is_json = "json" in (answer.get("headers") or {}).get("Content-Type", "")
        return answer["statusCode"], json.loads(text) if is_json and text else text

    def register(self, site: str, timezone: str = "Asia/Ho_Chi_Minh", **settings: Any) -> None:
        status, answer = self.call("PUT", f"/v1/sites/{site}", {"timezone": timezone, **settings})
        assert status == 200, answer

    def hit(self, site: str, **kwargs: Any) -> dict[str, Any]:
        status, answer = self.call("POST", f"/v1/sites/{site}/hits", **kwargs)
        assert status == 200, answer
        return answer  # type: ignore[no-any-return]

    def stats(self, site: str) -> dict[str, Any]:
        status, answer = self.call("GET", f"/v1/sites/{site}/stats")
        assert status == 200, answer
        return answer  # type: ignore[no-any-return]


@cache
def _routes() -> list[Route]:
    return routes()
