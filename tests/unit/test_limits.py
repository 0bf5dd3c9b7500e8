"""The bounds checked before any parser: each refusal's exact answer, and what passes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.limits import loads, refusal

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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"total": 1000000000000000, "rate": 0.5}', {"total": 10**15, "rate": 0.5}),
        ("[" + "9" * 32 + "]", [int("9" * 32)]),
        ('{"path": "/' + "1" * 5_000 + '"}', {"path": "/" + "1" * 5_000}),  # digits in a string
    ],
)
def test_loads_reads_numbers_up_to_their_bound(text: str, value: Any) -> None:
    assert loads(text) == value


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ('{"path": ' + "1" * 4_301 + "}", 9),  # over Python's int-string limit: a ValueError
        ('{"path": ' + "1" * 4_300 + "}", 9),
        ("[1, " + "9" * 33 + "]", 4),
        ("[-" + "9" * 32 + "]", 1),
        ("1." + "0" * 40, 0),
        ("1e" + "9" * 40, 0),
    ],
)
def test_loads_refuses_a_longer_number_as_a_decode_error(text: str, position: int) -> None:
    with pytest.raises(json.JSONDecodeError, match="a number longer than 32 characters") as refused:
        loads(text)
    assert refused.value.pos == position


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "multipart/form-data; boundary=x"},
        {"Content-Type": " Multipart/Form-Data; boundary=x"},
        {"content-type": "multipart/mixed"},
    ],
)
def test_a_multipart_body_is_refused_before_any_parser(headers: dict[str, str]) -> None:
    """Powertools' multipart parser answered 500 on a body that is not Latin-1 ('\\ufeff9')."""
    event = {"routeKey": "POST /v1/sites/{site}/hits", "headers": headers, "body": "\ufeff9"}
    answer = refusal(event)
    assert answer is not None and answer["statusCode"] == 415
    assert "multipart" in json.loads(answer["body"])["message"]


def test_json_text_and_form_bodies_are_not_refused_for_their_type() -> None:
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        event = {"headers": {"content-type": content_type}, "body": '{"path": "/"}'}
        assert refusal(event) is None, content_type
