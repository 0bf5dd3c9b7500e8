"""API Gateway HTTP API (payload format 2.0), as a function sees it: the one builder of events.

The local server, the tests and the benchmark all call the handlers with events from
:func:`http_api_event` (shaped like ``events/*.json``, which are real samples), route
requests with :func:`match_route`, and turn a handler's return value into an HTTP
answer with :func:`lambda_response`, the way API Gateway does.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.cfn_template import PSEUDO_PARAMETERS
from local.cloudformation import Route

ACCOUNT_ID = PSEUDO_PARAMETERS["AWS::AccountId"]
#: ``requestContext.authorizer.iam`` of AWS_IAM routes (the local run grants it to loopback).
LOCAL_OPERATOR = {
    "accessKey": "AKIAIOSFODNN7EXAMPLE",
    "accountId": ACCOUNT_ID,
    "callerId": "AIDALOCALOPERATOR",
    "cognitoIdentity": None,
    "principalOrgId": None,
    "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/local-operator",
    "userId": "AIDALOCALOPERATOR",
}
# requestContext.time is English whatever the locale: "15/Jun/2025:03:04:05 +0000".
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Response:
    """An HTTP answer: status, headers in order (repeats allowed), body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def json_message(status: int, message: str) -> Response:
    """An answer ``{"message": ...}``, as API Gateway gives for its own errors."""
    body = json.dumps({"message": message}).encode()
    return Response(status, [("Content-Type", "application/json")], body)


# -- routes ------------------------------------------------------------------------------


@cache
def route_pattern(path: str) -> re.Pattern[str]:
    """``/v1/sites/{site}`` -> a regex with one named group per ``{param}`` (``{p+}`` greedy)."""
    parts = []
    for segment in path.split("/"):
        m = re.fullmatch(r"\{(\w+)(\+?)\}", segment)
        parts.append(f"(?P<{m[1]}>{'.+' if m[2] else '[^/]+'})" if m else re.escape(segment))
    return re.compile("/".join(parts))


def match_route(
    routes: Iterable[Route], method: str, path: str
) -> tuple[Route | None, dict[str, str]]:
    """The most specific route for a request and its path parameters; ``None`` if none.

    As HTTP API picks: exact segments before ``{param}`` before ``{proxy+}``, and a
    route's own method before ``ANY``.
    """
    found: list[tuple[tuple[int, int, bool], Route, dict[str, str]]] = []
    for route in routes:
        if route.method in (method, "ANY") and (m := route_pattern(route.path).fullmatch(path)):
            params = {key: unquote(value) for key, value in m.groupdict().items()}
            specificity = (route.path.count("+}"), len(params), route.method == "ANY")
            found.append((specificity, route, params))
    if not found:
        return None, {}
    _, route, params = min(found, key=lambda candidate: candidate[0])
    return route, params


# -- events ------------------------------------------------------------------------------


def http_api_event(
    route: Route,
    method: str,
    raw_path: str,
    raw_query: str = "",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    source_ip: str = "127.0.0.1",
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload format 2.0) event for one request.

    Keys appear only when API Gateway sends them (``cookies``, ``queryStringParameters``,
    ``pathParameters``, ``body``, the IAM ``authorizer``).
    """
    joined, cookies = _headers_and_cookies(headers)
    query = _query_parameters(raw_query)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        **({"cookies": cookies} if cookies else {}),
        "headers": joined,
        **({"queryStringParameters": query} if query else {}),
        "requestContext": _request_context(route, method, raw_path, joined, source_ip),
        **({"pathParameters": path_parameters} if path_parameters else {}),
        "isBase64Encoded": False,
    }
    if body:
        event.update(_body(body))
    return event


def _headers_and_cookies(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Header names lower-cased, repeats joined with commas; cookies apart, as HTTP API does."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        name = name.lower()
        if name == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    """``queryStringParameters``: repeated keys joined with commas."""
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    return query


def _request_context(
    route: Route, method: str, raw_path: str, headers: dict[str, str], source_ip: str
) -> dict[str, Any]:
    now = time.time()
    gmt = time.gmtime(now)
    domain = urlsplit("//" + headers.get("host", "localhost")).hostname or "localhost"
    return {
        "accountId": ACCOUNT_ID,
        "apiId": "local",
        **({"authorizer": {"iam": dict(LOCAL_OPERATOR)}} if route.iam_auth else {}),
        "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": base64.b64encode(os.urandom(11)).decode(),
        "routeKey": route.route_key,
        "stage": "$default",
        "time": time.strftime(f"%d/{_MONTHS[gmt.tm_mon - 1]}/%Y:%H:%M:%S +0000", gmt),
        "timeEpoch": int(now * 1000),
    }


def _body(body: bytes) -> dict[str, Any]:
    """Text as it is; anything that is not UTF-8, base64-encoded."""
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}


# -- answers -----------------------------------------------------------------------------


def lambda_response(result: Any) -> Response:
    """Translate a handler's return value as HTTP API does for payload format 2.0."""
    if not isinstance(result, dict) or "statusCode" not in result:  # a bare JSON answer
        body = result if isinstance(result, str) else json.dumps(result)
        return Response(200, [("Content-Type", "application/json")], body.encode())
    return Response(int(result["statusCode"]), _response_headers(result), _response_body(result))


def _response_headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    multi = result.get("multiValueHeaders") or {}
    headers += [(k, str(v)) for k, values in multi.items() for v in values]
    headers += [("Set-Cookie", cookie) for cookie in result.get("cookies") or []]
    return headers


def _response_body(result: dict[str, Any]) -> bytes:
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise TypeError(f"the response body must be a string, not {type(body).__name__}")
    return base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
