"""The one HTTP API event builder (local.http_api) against API Gateway's own samples (events/)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from local.cloudformation import routes
from local.http_api import http_api_event, lambda_response, match_route

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(
    path.name
    for path in EVENTS.glob("*.json")
    if json.loads(path.read_text()).get("routeKey", "$default") != "$default"
)
# Differ per API and per request; everything else must be what API Gateway sends.
PER_REQUEST = ("apiId", "requestId", "time", "timeEpoch")


def rebuilt(sample: dict[str, Any]) -> dict[str, Any]:
    """The builder's event for the request the sample records."""
    http = sample["requestContext"]["http"]
    route, params = match_route(routes(), http["method"], sample["rawPath"])
    assert route is not None and route.route_key == sample["routeKey"]
    assert params == sample.get("pathParameters", {})
    headers = list(sample["headers"].items())
    headers += [("Cookie", cookie) for cookie in sample.get("cookies", [])]
    body = sample.get("body", "").encode()
    if sample["isBase64Encoded"]:
        body = base64.b64decode(body)
    return http_api_event(
        route,
        http["method"],
        sample["rawPath"],
        sample["rawQueryString"],
        headers,
        body,
        http["sourceIp"],
        params,
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_events_are_shaped_as_api_gateway_samples(name: str) -> None:
    sample = json.loads((EVENTS / name).read_text())
    event = rebuilt(sample)
    for key in PER_REQUEST:
        assert type(event["requestContext"].pop(key)) is type(sample["requestContext"].pop(key))
    # The IAM caller is the local operator, with the fields API Gateway sends.
    iam, sample_iam = (
        e["requestContext"].pop("authorizer", {}).get("iam", {}) for e in (event, sample)
    )
    assert set(sample_iam) <= set(iam)
    assert event == sample


def test_cookies_and_repeated_headers_and_query_keys_are_joined_as_api_gateway_does() -> None:
    route, params = match_route(routes(), "GET", "/v1/sites/a/stats")
    assert route is not None
    headers = [("Cookie", "a=1; b=2"), ("X-Thing", "1"), ("x-thing", "2")]
    event = http_api_event(route, "GET", "/v1/sites/a/stats", "k=1&k=2&e=", headers, b"\xff")
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"] == {"x-thing": "1,2"}
    assert event["queryStringParameters"] == {"k": "1,2", "e": ""}
    assert (event["body"], event["isBase64Encoded"]) == (base64.b64encode(b"\xff").decode(), True)


def test_the_most_specific_route_wins_and_unknown_paths_match_none() -> None:
    route, params = match_route(routes(), "DELETE", "/v1/sites/a/tokens/t%2F1")
    assert route is not None and route.route_key == "DELETE /v1/sites/{site}/tokens/{token_id}"
    assert params == {"site": "a", "token_id": "t/1"}
    assert match_route(routes(), "POST", "/v1/sites") == (None, {})
    assert match_route(routes(), "GET", "/v1/sites/a/b/c") == (None, {})


def test_handler_answers_become_http_as_api_gateway_makes_them() -> None:
    answer = lambda_response(
        {
            "statusCode": 201,
            "headers": {"X-One": 1},
            "multiValueHeaders": {"X-Two": ["a", "b"]},
            "cookies": ["c=1"],
            "body": base64.b64encode(b"\x00bin").decode(),
            "isBase64Encoded": True,
        }
    )
    assert answer.status == 201
    assert answer.headers == [("X-One", "1"), ("X-Two", "a"), ("X-Two", "b"), ("Set-Cookie", "c=1")]
    assert answer.body == b"\x00bin"
    bare = lambda_response({"site": "a"})  # a dict without statusCode: 200, as JSON
    assert (bare.status, bare.headers, bare.body) == (
        200,
        [("Content-Type", "application/json")],
        b'{"site": "a"}',
    )
    with pytest.raises(TypeError):
        lambda_response({"statusCode": 200, "body": {"not": "a string"}})


def test_a_client_that_hung_up_is_no_server_error(capsys: pytest.CaptureFixture[str]) -> None:
    """socketserver prints a traceback for any error; a hung-up client is not one."""
    from local.http_server import HttpServer

    server = HttpServer(("127.0.0.1", 0), api=None)  # type: ignore[arg-type]
    try:
        for error in (BrokenPipeError(32, "Broken pipe"), ValueError("a real bug")):
            try:
                raise error
            except Exception:
                server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    printed = capsys.readouterr().err
    assert "a real bug" in printed and "Broken pipe" not in printed
