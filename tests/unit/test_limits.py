"""The bounds checked before any parser: each refusal's exact answer, and what passes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.limits import refusal

HISTORY_ROUTE = "POST /v1/sites/{site}/history"
# The bounds, written out (not read from the code they test): header (lower-case) -> the
# most characters it may have; a body's most characters (32 KiB), a history import's.
HEADERS_AT_THEIR_BOUND = {
    "origin": 512,
    "sec-purpose": 128,
    "purpose": 128,
    "idempotency-key": 1024,
    "content-type": 256,
    "access-control-request-method": 64,
    "access-control-request-headers": 512,
    "cloudfront-viewer-address": 64,
    "x-origin-verify": 256,
}
BODY_BOUND = 32_768


def answer(status: int, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": message}),
        "isBase64Encoded": False,
    }


def event(**parts: Any) -> dict[str, Any]:
    return {"routeKey": "POST /v1/hits", "rawPath": "/v1/hits", "rawQueryString": ""} | parts


@pytest.mark.parametrize(
    "parts",
    [
        {},
        {"headers": None, "body": None, "rawPath": None, "rawQueryString": None},
        {"headers": {name: "x" * limit for name, limit in HEADERS_AT_THEIR_BOUND.items()}},
        {"headers": {"referer": "x" * 10_000, "user-agent": "x" * 10_000}},
        {"body": "x" * BODY_BOUND},
        {"routeKey": HISTORY_ROUTE, "body": "x" * 1_333_337},
        {"rawPath": "/" * 1024, "rawQueryString": "q" * 1024},
    ],
)
def test_requests_within_every_bound_pass(parts: dict[str, Any]) -> None:
    assert refusal(event(**parts)) is None


@pytest.mark.parametrize(
    ("parts", "status", "message"),
    [
        (
            {"headers": {"origin": "o" * 513}},
            431,
            "the origin header is too long (at most 512 characters)",
        ),
        (
            {"headers": {"idempotency-key": "k" * 1025}},
            431,
            "the idempotency-key header is too long (at most 1024 characters)",
        ),
        (
            {"headers": {"content-type": "c" * 257, "origin": "o" * 513}},
            431,
            "the origin header is too long (at most 512 characters)",
        ),
        (
            {"body": "x" * (BODY_BOUND + 1)},
            413,
            "the request body is too large (at most 32768 bytes)",
        ),
        (
            {"routeKey": HISTORY_ROUTE, "body": "x" * 1_333_338},
            413,
            "the request body is too large (at most 1333337 bytes)",
        ),
        (
            {"rawPath": "/" * 1025, "rawQueryString": "q" * 1025},
            414,
            "the path is too long (at most 1024 characters)",
        ),
        (
            {"rawQueryString": "q" * 1025},
            414,
            "the query string is too long (at most 1024 characters)",
        ),
        (
            {"headers": {"origin": "o" * 513}, "body": "x" * 40_000, "rawPath": "/" * 2000},
            431,
            "the origin header is too long (at most 512 characters)",
        ),
        (
            {"body": "x" * 40_000, "rawPath": "/" * 2000},
            413,
            "the request body is too large (at most 32768 bytes)",
        ),
    ],
)
def test_the_first_part_over_its_bound_is_answered(
    parts: dict[str, Any], status: int, message: str
) -> None:
    assert refusal(event(**parts)) == answer(status, message)


@pytest.mark.parametrize(("name", "bound"), HEADERS_AT_THEIR_BOUND.items())
def test_each_header_one_character_over_its_bound_is_refused(name: str, bound: int) -> None:
    assert refusal(event(headers={name: "x" * (bound + 1)})) == answer(
        431, f"the {name} header is too long (at most {bound} characters)"
    )


@pytest.mark.parametrize("name", ["Origin", "IDEMPOTENCY-KEY", "CloudFront-Viewer-Address"])
def test_header_bounds_hold_whatever_the_case_of_the_name(name: str) -> None:
    # API Gateway lower-cases header names; events written elsewhere may not, and the
    # code reads headers in any case.
    over = refusal(event(headers={name: "x" * 2000}))
    assert over is not None and over["statusCode"] == 431
    assert name.lower() in json.loads(over["body"])["message"]
