"""GET /v1/sites/{site}/breakdown on moto: items seeded in the aggregator's layout, read through the handler."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from counters.counting.service import default_service
from counters.reports.breakdowns import HitFacts, dimension_values, facts_of
from counters.storage.updates import mark
from tests.conftest import Api, LambdaContext, handler_for, load_event, table_dump

NOW = datetime(2025, 6, 15, 5, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


def seed(
    client: Any, site: str, dimension: str, day: date, values: dict[str, tuple[int, int]]
) -> None:
    """Report items as the aggregator writes them (counters.storage.keys)."""
    from counters.storage.keys import report_pk, report_sk

    tally = {"pk": {"S": report_pk(site, dimension, day)}, "sk": {"S": report_sk(day, "")}}
    tally["values"] = {"N": str(len(values))}  # not a value: must be ignored
    client.put_item(TableName=os.environ["TABLE_NAME"], Item=tally)
    for value, (visits, pageviews) in values.items():
        item: dict[str, Any] = {
            "pk": {"S": report_pk(site, dimension, day)},
            "sk": {"S": report_sk(day, value)},
            "p": {"N": str(pageviews)},
            "w_d2025-06-15": {"S": mark(4959033827149025660855)},
        }
        if dimension != "bot":
            item["v"] = {"N": str(visits)}
        client.put_item(TableName=os.environ["TABLE_NAME"], Item=item)


def get(api: Api, site: str, **query: str) -> tuple[int, Any]:
    with time_machine.travel(NOW, tick=False):
        return api.call("GET", f"/v1/sites/{site}/breakdown", query=query)


def requests_of() -> list[str]:
    calls: list[str] = []
    default_service().storage.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    return calls


@pytest.fixture
def site(api: Api) -> str:
    api.register("portal", "Asia/Ho_Chi_Minh")
    return "portal"


def test_rows_add_days_and_sort_by_visits(api: Api, dynamodb: Any, site: str) -> None:
    seed(
        dynamodb,
        site,
        "source",
        date(2025, 6, 14),
        {"Google": (10, 30), "Facebook": (4, 50), "(other)": (1, 1)},
    )
    seed(
        dynamodb,
        site,
        "source",
        date(2025, 6, 15),
        {"Google": (2, 3), "Zalo": (6, 6), "direct": (1, 9)},
    )
    seed(dynamodb, site, "browser", date(2025, 6, 15), {"Chrome": (99, 99)})  # another dimension
    seed(dynamodb, site, "source", date(2025, 5, 31), {"Bing": (100, 100)})  # outside the range
    status, answer = get(
        api, site, dimension="source", **{"from": "2025-06-01", "to": "2025-06-15"}
    )
    assert status == 200, answer
    assert answer == {
        "site": "portal",
        "dimension": "source",
        "from": "2025-06-01",
        "to": "2025-06-15",
        "count": "visits",
        "rows": [
            {"value": "Google", "visits": 12, "pageviews": 33},
            {"value": "Zalo", "visits": 6, "pageviews": 6},
            {"value": "Facebook", "visits": 4, "pageviews": 50},
            {"value": "direct", "visits": 1, "pageviews": 9},
            {"value": "(other)", "visits": 1, "pageviews": 1},
        ],
    }
    status, answer = get(
        api, site, dimension="source", limit="2", **{"from": "2025-06-01", "to": "2025-06-15"}
    )
    assert [r["value"] for r in answer["rows"]] == ["Google", "Zalo", "(other)"]
    assert answer["rows"][-1] == {"value": "(other)", "visits": 6, "pageviews": 60}


def test_pageviews_sites_and_bots_sort_by_page_views(api: Api, dynamodb: Any) -> None:
    api.register("news", "Asia/Ho_Chi_Minh", count="pageviews")
    seed(dynamodb, "news", "hour", date(2025, 6, 15), {"08": (10, 11), "09": (5, 40)})
    seed(dynamodb, "news", "bot", date(2025, 6, 15), {"Googlebot": (0, 3), "Bingbot": (0, 8)})
    _, hours = get(api, "news", dimension="hour")
    assert hours["count"] == "pageviews"
    assert [r["value"] for r in hours["rows"]] == ["09", "08"]
    _, bots = get(api, "news", dimension="bot")
    assert bots["from"] == "2025-05-17" and bots["to"] == "2025-06-15"  # default: 30 days to today
    assert bots["rows"] == [
        {"value": "Bingbot", "visits": 0, "pageviews": 8},
        {"value": "Googlebot", "visits": 0, "pageviews": 3},
    ]


def test_31_days_cost_at_most_3_requests_and_366_days_at_most_15(
    api: Api, dynamodb: Any, site: str
) -> None:
    first = date(2024, 6, 16)
    for offset in range(0, 366, 5):
        seed(
            dynamodb, site, "country", first + timedelta(days=offset), {"VN": (1, 2), "US": (1, 1)}
        )
    get(api, site, dimension="country")  # warm: site settings read once
    calls = requests_of()
    status, month = get(
        api, site, dimension="country", **{"from": "2025-05-16", "to": "2025-06-15"}
    )
    # The month rollups' watermark (none: every day from its day items), then a Query a month.
    assert status == 200 and len(calls) <= 3 and calls[0] == "GetItem", calls
    assert month["rows"][0]["value"] == "VN"
    calls.clear()
    status, year = get(api, site, dimension="country", **{"from": "2024-06-16", "to": "2025-06-16"})
    assert status == 200 and len(calls) <= 15, calls
    assert year["rows"] == [
        {"value": "VN", "visits": 74, "pageviews": 148},
        {"value": "US", "visits": 74, "pageviews": 74},
    ]


@pytest.mark.parametrize(
    ("query", "status", "word"),
    [
        ({"dimension": "referrer"}, 422, "dimension"),
        ({}, 422, "dimension"),
        ({"dimension": "source", "from": "2025-13-01"}, 422, "from"),
        ({"dimension": "source", "limit": "0"}, 422, "limit"),
        ({"dimension": "source", "from": "2025-06-15", "to": "2025-06-01"}, 400, "after"),
        ({"dimension": "source", "from": "2024-06-14", "to": "2025-06-15"}, 400, "367 days"),
    ],
)
def test_bad_requests(api: Api, site: str, query: dict[str, str], status: int, word: str) -> None:
    answer_status, answer = get(api, site, **query)
    assert answer_status == status, answer
    assert word in json.dumps(answer)


def test_unknown_site_is_404(api: Api) -> None:
    status, answer = get(api, "nobody", dimension="source")
    assert status == 404, answer


def test_sample_event(api: Api) -> None:
    handler_for(load_event("put-site.json"))(load_event("put-site.json"), LambdaContext())
    event = load_event("breakdown.json")
    answer = handler_for(event)(event, LambdaContext())
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["dimension"] == "source"


def test_stored_facts_hold_categories_only(api: Api, dynamodb: Any, site: str) -> None:
    """A hostile hit's facts, stored the way the aggregator stores them, keep no raw input."""
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) SECRET-UA-MARKER " + "A(" * 3000
    referrer = "https://news.example.org/path/secret-path?token=SECRET-QUERY&utm_source=x#frag"
    client_ip = "198.51.100.77"
    facts = facts_of(
        user_agent=user_agent,
        referrer=referrer,
        utm={"utm_source": "Zalo", "utm_medium": "social", "utm_campaign": "tet"},
        client_ip=client_ip,
        accept_language="vi-VN,vi;q=0.9," + "x" * 5000,
        viewer_country=None,
        site_hosts=["portal.example.vn"],
    )
    encoded = facts.encode()
    assert HitFacts.decode(encoded) == facts
    day = date(2025, 6, 15)
    table = os.environ["TABLE_NAME"]
    dynamodb.put_item(
        TableName=table,
        Item={"pk": {"S": "HITFACTS#test"}, "sk": {"S": "1"}, "facts": {"S": encoded}},
    )
    for dimension, value in dimension_values(facts, 12).items():
        seed(dynamodb, site, dimension, day, {value: (1, 1)})
    dump = json.dumps(table_dump(dynamodb), ensure_ascii=False)
    for secret in (
        "SECRET-UA-MARKER",
        "A(A(",
        "198.51.100",
        "secret-path",
        "SECRET-QUERY",
        "token",
        "frag",
        "https://",
    ):
        assert secret not in dump, secret
    assert "news.example.org" in dump and "zalo / social / tet" in dump
    assert len(encoded.encode()) <= 300


@pytest.mark.parametrize(
    ("utm", "status"),
    [
        ({"utm_source": "zalo", "utm_medium": "social", "utm_campaign": "tet"}, 200),
        ({"utm_term": "x"}, 422),
        ({"utm_source": "x" * 201}, 422),
        ({"utm_source": 5}, 422),
    ],
)
def test_hit_body_takes_only_bounded_utm_tags(
    api: Api, site: str, utm: dict[str, Any], status: int
) -> None:
    with time_machine.travel(NOW, tick=False):
        answer_status, answer = api.call(
            "POST", f"/v1/sites/{site}/hits", {"path": "/", "utm": utm}
        )
    assert answer_status == status, answer
