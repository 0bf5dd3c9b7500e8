"""Bad input and unknown sites: a clear 4xx with a message, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import EVENTS, Api, LambdaContext, handler_for, load_event, table_dump


def test_every_sample_event_runs_through_its_handler(api: Api, dynamodb: Any) -> None:
    """The files `sam local invoke -e` takes are what the handlers accept."""
    order = ["put-site.json", "get-site.json"]
    names = order + sorted(p.name for p in EVENTS.glob("*.json") if p.name not in order)
    for name in names:
        event = load_event(name)
        answer = handler_for(event)(event, LambdaContext())
        if "Records" in event:  # a stream batch: every record processed, none reported failed
            # ...and a tumbling window's state (empty: the window is only there to name the shard).
            expected = {"batchItemFailures": [], **({"state": {}} if "window" in event else {})}
            assert answer == expected, (name, answer)
        else:
            assert answer["statusCode"] in (200, 201, 204), (name, answer)


def test_unknown_site_is_404_and_stores_nothing(api: Api, dynamodb: Any) -> None:
    api.register("known")
    before = table_dump(dynamodb)
    for method, path in [
        ("POST", "/v1/sites/unknown/hits"),
        ("GET", "/v1/sites/unknown/stats"),
        ("GET", "/v1/sites/unknown"),
    ]:
        status, answer = api.call(method, path)
        assert status == 404
        assert "unknown" in answer["message"]
    assert table_dump(dynamodb) == before


BAD_SITE_IDS = [
    "Upper",
    "-leading-dash",
    "under_score",
    "a" * 64,
    "dot.ted",
    "%2e%2e",
    "sp ace",
    "é",
]


@pytest.mark.parametrize("site", BAD_SITE_IDS)
def test_invalid_site_ids_are_refused(api: Api, dynamodb: Any, site: str) -> None:
    before = table_dump(dynamodb)
    for method, path, body in [
        ("POST", f"/v1/sites/{site}/hits", None),
        ("GET", f"/v1/sites/{site}/stats", None),
        ("PUT", f"/v1/sites/{site}", {"timezone": "UTC"}),
    ]:
        status, answer = api.call(method, path, body)
        assert 400 <= status < 500
        assert answer["message"]
    assert table_dump(dynamodb) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"timezone": "Mars/Olympus"},
        {"timezone": "localtime"},
        {"timezone": 7},
        {"timezone": "UTC", "count": "everything"},
        {"timezone": "UTC", "allowed_origins": ["laichau.gov.vn"]},
        {"timezone": "UTC", "allowed_origins": ["https://a.vn/path"]},
        {"timezone": "UTC", "allowed_origins": "https://a.vn"},
        {"timezone": "UTC", "visit_timeout_minutes": 0},
        {"timezone": "UTC", "unexpected": True},
        "not json",
        "[1, 2]",
    ],
)
def test_invalid_site_settings_are_refused(api: Api, dynamodb: Any, body: Any) -> None:
    before = table_dump(dynamodb)
    status, answer = api.call("PUT", "/v1/sites/newsite", body)
    assert status == 422, answer
    assert answer["message"].startswith("invalid request")
    assert table_dump(dynamodb) == before


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"path": 5}',
        '{"path": "/a", "extra": 1}',
        '{"referrer": ["x"]}',
        '"just a string"',
        '{"path": "' + "a" * 5000 + '"}',
    ],
)
def test_invalid_hit_bodies_count_nothing(api: Api, dynamodb: Any, body: str) -> None:
    api.register("strict")
    api.hit("strict")
    before = table_dump(dynamodb)
    status, answer = api.call("POST", "/v1/sites/strict/hits", body)
    assert status == 422, answer
    assert answer["message"]
    assert table_dump(dynamodb) == before
    assert api.stats("strict")["today"] == 1


def test_site_settings_round_trip(api: Api) -> None:
    api.register(
        "laichau",
        "Asia/Ho_Chi_Minh",
        allowed_origins=["https://LaiChau.gov.vn/", "https://laichau.gov.vn"],
        count="pageviews",
    )
    status, answer = api.call("GET", "/v1/sites/laichau")
    assert status == 200
    assert answer == {
        "id": "laichau",
        "timezone": "Asia/Ho_Chi_Minh",
        "allowed_origins": ["https://laichau.gov.vn"],
        "count": "pageviews",
        "visit_timeout_minutes": 30,
        "mode": "direct",
        "reports": "public",
        "goals": [],
    }
