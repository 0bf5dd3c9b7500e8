"""Calling the handlers in-process outside the tests (the benchmark): the template's
environment, a Lambda context, HTTP API events as the local server builds them,
and a client that routes them to the template's handlers.
"""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from typing import Any
from urllib.parse import urlencode

from local.cloudformation import Route, routes

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


def api_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    source_ip: str = "203.0.113.7",
) -> tuple[Route, dict[str, Any]]:
    """The template's route for `method path` and the HTTP API event the local server builds."""
    from local.server import _route_regex, http_api_event

    for route in _routes():
        found = _route_regex(route.path).fullmatch(path)
        if found and route.method in (method, "ANY"):
            break
    else:
        raise LookupError(f"no route for {method} {path}")
    merged = {"user-agent": FIREFOX, "content-type": "application/json"}
    merged.update({name.lower(): value for name, value in (headers or {}).items()})
    data = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
    event = http_api_event(
        route,
        method,
        path,
        urlencode(query or {}),
        merged.items(),
        data,
        source_ip,
        found.groupdict(),
    )
    return route, event


def hit_event(
    site: str, headers: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    """The HTTP API event of a hit on `site` (a Firefox User-Agent unless `headers` say)."""
    return api_event("POST", f"/v1/sites/{site}/hits", body, headers)[1]


class InProcessApi:
    """Calls the template's handlers in this process, as the HTTP API would."""

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        route, event = api_event(method, path, body, **kwargs)
        module, _, function = route.handler.rpartition(".")
        answer = getattr(importlib.import_module(module), function)(event, LambdaContext())
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
