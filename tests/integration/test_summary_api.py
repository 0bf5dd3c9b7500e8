"""GET /v1/sites/{site}/summary and the entry and exit breakdowns, through the handlers on moto.

Expected values are literals worked out by hand from the scripted visits.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from counters.counting.service import default_service
from tests.conftest import Api, LambdaContext, Streams, handler_for, load_event

NOW = datetime(2025, 6, 15, 5, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


def visit(api: Api, site: str, at: datetime, ip: str, pages: list[tuple[int, str]]) -> None:
    """Hits of one visitor: (seconds after `at`, path) each."""
    for seconds, path in pages:
        with time_machine.travel(at + timedelta(seconds=seconds), tick=False):
            api.hit(site, source_ip=ip, body={"path": path})


def get(api: Api, site: str, route: str, **query: str) -> tuple[int, Any]:
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        return api.call("GET", f"/v1/sites/{site}/{route}", query=query)


def requests_of() -> list[str]:
    calls: list[str] = []
    default_service().storage.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    return calls


@pytest.fixture
def site(api: Api, streams: Streams) -> str:
    """Two days of scripted visits on a direct site, their notes aggregated."""
    api.register("portal", "Asia/Ho_Chi_Minh")
    yesterday = NOW - timedelta(days=1)
    # Yesterday: one bounce on /a; one visit /a -> /b (60 s).
    visit(api, "portal", yesterday, "198.51.100.1", [(0, "/a")])
    visit(api, "portal", yesterday, "198.51.100.2", [(0, "/a"), (60, "/b")])
    # Today: /a -> /b -> /c (30 s, then 90 s: 120 s); a bounce on /b; the first visitor
    # again after 40 minutes idle: a second visit, /c -> /a (10 s), its entry /c.
    visit(api, "portal", NOW, "198.51.100.1", [(0, "/a"), (30, "/b"), (120, "/c")])
    visit(api, "portal", NOW, "198.51.100.3", [(5, "/b")])
    visit(api, "portal", NOW, "198.51.100.1", [(2520, "/c"), (2530, "/a")])
    streams.drain()
    return "portal"


def test_a_summary_compares_a_range_with_the_one_before_it(api: Api, site: str) -> None:
    status, answer = get(api, site, "summary", **{"from": "2025-06-15", "to": "2025-06-15"})
    assert status == 200, answer
    assert answer["from"] == "2025-06-15" and answer["compare"] == "previous"
    assert (answer["compared_from"], answer["compared_to"]) == ("2025-06-14", "2025-06-14")
    # Today: 3 visits, 6 page views, 1 bounce, 120 + 0 + 10 s.
    assert answer["current"] == {
        "visits": 3,
        "pageviews": 6,
        "views_per_visit": 2.0,
        "bounce_rate": 0.3333,
        "visit_duration": 43.3333,
    }
    # Yesterday: 2 visits, 3 page views, 1 bounce, 60 s.
    assert answer["compared"] == {
        "visits": 2,
        "pageviews": 3,
        "views_per_visit": 1.5,
        "bounce_rate": 0.5,
        "visit_duration": 30.0,
    }
    assert answer["change"] == {
        "visits": 0.5,
        "pageviews": 1.0,
        "views_per_visit": 0.3333,
        "bounce_rate": -0.3334,
        "visit_duration": 0.4444,
    }


def test_entry_and_exit_pages_of_a_range(api: Api, site: str) -> None:
    query = {"from": "2025-06-14", "to": "2025-06-15"}
    status, entry = get(api, site, "breakdown", dimension="entry", **query)
    assert status == 200, entry
    # Entries: /a 3 (a bounce; 60 s; 120 s), /b 1 (a bounce), /c 1 (10 s).
    assert entry["rows"] == [
        {"value": "/a", "visits": 3, "pageviews": 4, "bounce_rate": 0.3333, "visit_duration": 60.0},
        {"value": "/b", "visits": 1, "pageviews": 3, "bounce_rate": 1.0, "visit_duration": 0.0},
        {"value": "/c", "visits": 1, "pageviews": 2, "bounce_rate": 0.0, "visit_duration": 10.0},
    ]
    status, exits = get(api, site, "breakdown", dimension="exit", **query)
    assert status == 200, exits
    # Exits: /a (the bounce, the returning visit), /b (yesterday's, today's bounce), /c.
    assert exits["rows"] == [
        {"value": "/a", "visits": 2, "pageviews": 4},
        {"value": "/b", "visits": 2, "pageviews": 3},
        {"value": "/c", "visits": 1, "pageviews": 2},
    ]


def test_compared_with_a_year_before_and_31_days_in_2_requests_a_year_too(
    api: Api, site: str
) -> None:
    get(api, site, "summary")  # warm: the site's settings are read once
    calls = requests_of()
    status, month = get(
        api, site, "summary", compare="year", **{"from": "2025-05-16", "to": "2025-06-15"}
    )
    assert status == 200, month
    assert len(calls) <= 2, calls
    assert (month["compared_from"], month["compared_to"]) == ("2024-05-16", "2024-06-15")
    assert month["current"]["visits"] == 5 and month["compared"]["visits"] == 0
    assert month["change"]["visits"] is None  # nothing to compare with
    calls.clear()
    status, year = get(api, site, "summary", **{"from": "2024-06-16", "to": "2025-06-16"})
    assert status == 200 and len(calls) <= 13, calls
    assert (year["compared_from"], year["compared_to"]) == (
        "2023-06-16",
        "2024-06-15",
    )  # 366 days (29 February 2024)
    assert year["current"]["pageviews"] == 9


def test_imported_history_has_no_engagement_figures(api: Api) -> None:
    api.register("old", "Asia/Ho_Chi_Minh")
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call(
            "POST",
            "/v1/sites/old/history",
            {"rows": [{"period": "2025-06-10", "visits": 40, "pageviews": 90}]},
        )
    assert status == 200, answer
    visit(api, "old", NOW, "198.51.100.9", [(0, "/a")])
    status, imported = get(api, "old", "summary", **{"from": "2025-06-10", "to": "2025-06-15"})
    assert status == 200, imported
    assert imported["current"] == {
        "visits": 41,
        "pageviews": 91,
        "views_per_visit": 2.2195,
        "bounce_rate": None,
        "visit_duration": None,
    }
    status, counted = get(api, "old", "summary", **{"from": "2025-06-13", "to": "2025-06-15"})
    assert (counted["compared_from"], counted["compared_to"]) == ("2025-06-10", "2025-06-12")
    assert counted["current"]["bounce_rate"] == 1.0
    assert counted["compared"]["visits"] == 40 and counted["compared"]["bounce_rate"] is None
    assert counted["change"]["bounce_rate"] is None  # compared with imported days


@pytest.mark.parametrize(
    ("query", "status", "word"),
    [
        ({"compare": "week"}, 422, "compare"),
        ({"from": "2025-06-15", "to": "2025-06-01"}, 400, "after"),
        ({"from": "2024-06-14", "to": "2025-06-15"}, 400, "367 days"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, 400, "early"),
    ],
)
def test_bad_summaries(api: Api, query: dict[str, str], status: int, word: str) -> None:
    api.register("portal", "Asia/Ho_Chi_Minh")
    found, answer = get(api, "portal", "summary", **query)
    assert found == status and word in str(answer), answer


def test_sample_event(api: Api) -> None:
    handler_for(load_event("put-site.json"))(load_event("put-site.json"), LambdaContext())
    event = load_event("summary.json")
    answer = handler_for(event)(event, LambdaContext())
    assert answer["statusCode"] == 200, answer
    summary = json.loads(answer["body"])
    assert (summary["from"], summary["compared_from"]) == ("2025-06-01", "2025-05-17")
