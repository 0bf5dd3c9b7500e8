"""Series, top pages and the badge through the handlers, on moto, with time frozen."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
import time_machine

from counters.counting.service import default_service
from counters.storage import Increment
from tests.conftest import Api, Streams, table_dump


def at(timezone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(timezone))  # type: ignore[misc]


def hit_at(
    api: Api, site: str, instant: datetime, path: str | None = None, **kw: Any
) -> dict[str, Any]:
    with time_machine.travel(instant, tick=False):
        return api.hit(site, body={"path": path} if path is not None else None, **kw)


def get(
    api: Api, path: str, query: dict[str, str] | None = None, when: datetime | None = None
) -> tuple[int, Any]:
    with time_machine.travel(when or datetime(2025, 6, 15, 5, tzinfo=UTC), tick=False):
        return api.call("GET", path, query=query)


def points(answer: dict[str, Any], metric: str = "pageviews") -> dict[str, int]:
    return {p["period"]: p[metric] for p in answer["points"]}


def requests_of(storage: Any) -> list[str]:
    calls: list[str] = []
    # Both clients: counter ADDs go through one that never re-sends (see Storage).
    for client in (storage.client,):
        client.meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
        )
    return calls


# -- series --------------------------------------------------------------------------------


def test_month_and_year_boundaries_in_the_sites_timezone(api: Api) -> None:
    tz = "America/New_York"
    api.register("ny", tz, count="pageviews")
    # 23:30 local on Dec 31 is already Jan 1 in UTC; it belongs to December here.
    hit_at(api, "ny", at(tz, 2025, 12, 31, 23, 30))
    hit_at(api, "ny", at(tz, 2025, 12, 31, 23, 59))
    hit_at(api, "ny", at(tz, 2026, 1, 1, 0, 1))
    hit_at(api, "ny", at(tz, 2026, 2, 28, 23, 59))
    hit_at(api, "ny", at(tz, 2026, 3, 1, 0, 0))
    when = at(tz, 2026, 3, 2, 12)
    status, days = get(
        api,
        "/v1/sites/ny/series",
        {"granularity": "day", "from": "2025-12-30", "to": "2026-01-02"},
        when,
    )
    assert status == 200, days
    assert points(days) == {"2025-12-30": 0, "2025-12-31": 2, "2026-01-01": 1, "2026-01-02": 0}
    assert days["from"] == "2025-12-30" and days["to"] == "2026-01-02"
    assert days["granularity"] == "day" and days["count"] == "pageviews"
    assert days["timezone"] == tz
    _, months = get(
        api,
        "/v1/sites/ny/series",
        {"granularity": "month", "from": "2025-11", "to": "2026-04"},
        when,
    )
    assert points(months) == {
        "2025-11": 0,
        "2025-12": 2,
        "2026-01": 1,
        "2026-02": 1,
        "2026-03": 1,
        "2026-04": 0,
    }
    _, years = get(
        api, "/v1/sites/ny/series", {"granularity": "year", "from": "2024", "to": "2026"}, when
    )
    assert points(years) == {"2024": 0, "2025": 2, "2026": 3}
    # Both metrics are answered: one visitor, so one visit a day.
    assert points(days, "visits") == {
        "2025-12-30": 0,
        "2025-12-31": 1,
        "2026-01-01": 1,
        "2026-01-02": 0,
    }


def test_baseline_history_shows_in_month_and_year_series(api: Api) -> None:
    api.register("laichau")
    with time_machine.travel(datetime(2025, 6, 15, 5, tzinfo=UTC), tick=False):
        status, _ = api.call(
            "POST",
            "/v1/sites/laichau/baseline",
            {
                "date": "2025-06-15",
                "today": 4003,
                "yesterday": 5672,
                "month": 38521,
                "year": 959424,
                "total": 84916357,
            },
        )
        assert status == 200
    hit_at(api, "laichau", datetime(2025, 6, 15, 6, tzinfo=UTC))
    hit_at(api, "laichau", datetime(2025, 7, 2, 6, tzinfo=UTC))
    when = datetime(2025, 7, 2, 7, tzinfo=UTC)
    _, days = get(api, "/v1/sites/laichau/series", {"from": "2025-06-13", "to": "2025-06-16"}, when)
    assert points(days, "visits") == {
        "2025-06-13": 0,
        "2025-06-14": 5672,
        "2025-06-15": 4004,
        "2025-06-16": 0,
    }
    _, months = get(
        api,
        "/v1/sites/laichau/series",
        {"granularity": "month", "from": "2025-05", "to": "2025-07"},
        when,
    )
    assert points(months, "visits") == {"2025-05": 0, "2025-06": 38522, "2025-07": 1}
    _, years = get(
        api, "/v1/sites/laichau/series", {"granularity": "year", "from": "2025", "to": "2025"}, when
    )
    assert points(years, "visits") == {"2025": 959426}


def test_a_year_of_days_costs_two_queries(api: Api, dynamodb: Any) -> None:
    api.register("busy", "Asia/Ho_Chi_Minh", count="pageviews")
    counter = default_service()
    site = counter.site("busy")
    first = date(2024, 6, 16)
    # Two real day items (counts, bases, a seal, online tallies), then a year of their likes.
    for day in (first - timedelta(days=2), first - timedelta(days=1)):
        counter.daybook.add(
            site.id,
            day,
            Increment({"visits": 999_999, "pageviews": 9_999_999}, windows={5_800_000: (37, 12)}),
        )
    model = next(
        i for i in table_dump(dynamodb) if i["sk"]["S"] == f"DAY#{first - timedelta(days=2)}"
    )
    items = []
    for offset in range(365):
        item = {
            **model,
            "sk": {"S": f"DAY#{first + timedelta(days=offset)}"},
            "v": {"N": str(900 + offset)},
            "p": {"N": str(4000 + offset)},
        }
        item.update(
            {f"{m}_{b}": {"N": "123456789"} for m in "vp" for b in ("month", "year", "total")}
        )
        items.append(item)
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={
                "CountersTable": [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]
            }
        )
    # DynamoDB pages a Query at 1 MB read; a year of these items is far below that.
    year_bytes = sum(item_size(i) for i in items)
    print(f"a year of day items: {year_bytes} bytes")
    assert year_bytes < 100_000
    calls = requests_of(counter.storage)
    status, answer = get(api, "/v1/sites/busy/series", {"from": "2024-06-16", "to": "2025-06-15"})
    assert status == 200
    assert calls == ["Query", "Query"]  # the day items, then the imported history
    assert item_size(model) > 120  # a full day item, not a stub
    assert len(answer["points"]) == 365
    counted = {"imported": False}
    assert (
        answer["points"][0] == {"period": "2024-06-16", "visits": 900, "pageviews": 4000} | counted
    )
    assert (
        answer["points"][-1]
        == {"period": "2025-06-15", "visits": 1264, "pageviews": 4364} | counted
    )
    calls.clear()
    _, months = get(
        api, "/v1/sites/busy/series", {"granularity": "month", "from": "2024-06", "to": "2025-06"}
    )
    # (the site's settings may be read again: they are cached for seconds)
    assert [c for c in calls if c != "GetItem"] == ["Query", "Query"]
    assert points(months)["2024-07"] == 123456789 + 4045


def item_size(item: dict[str, Any]) -> int:
    """Its size as DynamoDB counts it: names plus values (a number: about 1 byte per 2 digits)."""
    size = 0
    for name, value in item.items():
        kind, raw = next(iter(value.items()))
        size += len(name.encode()) + (len(raw.encode()) if kind == "S" else len(raw) // 2 + 2)
    return size


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (
            {"granularity": "day", "from": "2024-05-11", "to": "2025-06-15"},
            400,
            "401 day points; at most 400",
        ),
        ({"granularity": "month", "from": "1990-01", "to": "2025-06"}, 400, "at most 400"),
        ({"granularity": "day", "from": "2025-06-16", "to": "2025-06-15"}, 400, "after"),
        ({"granularity": "day", "from": "2025-02-30"}, 400, "not a valid date"),
        ({"granularity": "day", "from": "yesterday"}, 400, "not a day"),
        ({"granularity": "week"}, 422, "granularity"),
        ({"from": "2025-06-01T00:00:00"}, 422, "from"),
    ],
)
def test_bad_series_requests(
    api: Api, dynamodb: Any, query: dict[str, str], status: int, message: str
) -> None:
    api.register("site")
    got, answer = get(api, "/v1/sites/site/series", query)
    assert got == status, answer
    assert message in answer["message"]


def test_series_of_an_unknown_site_is_404(api: Api) -> None:
    status, answer = get(api, "/v1/sites/nobody/series")
    assert status == 404 and "nobody" in answer["message"]


def test_series_defaults_to_the_last_30_days(api: Api) -> None:
    api.register("site")
    _, answer = get(api, "/v1/sites/site/series")
    assert (answer["from"], answer["to"], len(answer["points"])) == ("2025-05-17", "2025-06-15", 30)


# -- pages ---------------------------------------------------------------------------------

NOON = datetime(2025, 6, 15, 5, tzinfo=UTC)  # noon in Ho Chi Minh City


def test_top_pages_normalised_and_ranked(api: Api, dynamodb: Any, streams: Streams) -> None:
    api.register("portal")
    paths = [
        "/tin-tuc/a",
        "/tin-tuc/a?utm=1",
        "/tin-tuc/a#top",
        "/tin-tuc/a/",
        "/",
        "/tin-t%E1%BB%A9c",
        "/tin-tức",
        "",
        "/lien-he",
    ]
    for n, path in enumerate(paths):
        hit_at(api, "portal", NOON + timedelta(seconds=n), path)
    hit_at(api, "portal", NOON - timedelta(days=20), "/old")
    hit_at(api, "portal", NOON + timedelta(seconds=30))  # no path: no page counted
    hit_at(
        api, "portal", NOON + timedelta(seconds=31), "/bot", headers={"user-agent": "Googlebot/2.1"}
    )
    streams.drain()  # page counts come by the aggregation path
    status, answer = get(api, "/v1/sites/portal/pages", {"from": "2025-06-01", "to": "2025-06-15"})
    assert status == 200, answer
    assert answer == {
        "site": "portal",
        "from": "2025-06-01",
        "to": "2025-06-15",
        "pages": [
            {"path": "/tin-tuc/a", "pageviews": 4},
            {"path": "/", "pageviews": 2},
            {"path": "/tin-tức", "pageviews": 2},
            {"path": "/lien-he", "pageviews": 1},
        ],
    }
    _, top2 = get(
        api, "/v1/sites/portal/pages", {"from": "2025-05-01", "to": "2025-06-15", "limit": "2"}
    )
    assert [p["path"] for p in top2["pages"]] == ["/tin-tuc/a", "/"]
    _, default = get(api, "/v1/sites/portal/pages")
    assert {"path": "/old", "pageviews": 1} in default["pages"]
    assert default["from"] == "2025-05-17" and default["to"] == "2025-06-15"
    page_items = [i for i in table_dump(dynamodb) if i["pk"]["S"].startswith("REPORT#portal#page#")]
    assert {i["pk"]["S"] for i in page_items} == {
        "REPORT#portal#page#2025-06",
        "REPORT#portal#page#2025-05",
    }
    assert all("expires_at" not in i for i in page_items)  # reports keep history


def test_pages_across_months_read_one_query_per_month(
    api: Api, dynamodb: Any, streams: Streams
) -> None:
    api.register("portal")
    for day in (date(2025, 4, 30), date(2025, 5, 1), date(2025, 6, 15)):
        hit_at(api, "portal", datetime(day.year, day.month, day.day, 5, tzinfo=UTC), "/x")
    streams.drain()
    default_service().site("portal")
    calls = requests_of(default_service().storage)
    _, answer = get(api, "/v1/sites/portal/pages", {"from": "2025-04-30", "to": "2025-06-14"})
    assert answer["pages"] == [{"path": "/x", "pageviews": 2}]
    # The month rollups' watermark (none yet: every day read from its day items).
    assert calls == ["GetItem", "Query", "Query", "Query"]


def test_a_counted_hit_with_a_path_costs_two_requests(api: Api, dynamodb: Any) -> None:
    """The page rides on the day item's write as part of the hit's note: no page write."""
    api.register("portal")
    hit_at(api, "portal", NOON, "/a")  # opens the day, fills caches
    calls = requests_of(default_service().storage)
    hit_at(api, "portal", NOON + timedelta(seconds=1), "/b", source_ip="198.51.100.9")
    assert calls == ["UpdateItem", "UpdateItem"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"from": "2025-03-01", "to": "2025-06-15"}, 400, "at most 92"),
        ({"from": "2025-06-16", "to": "2025-06-15"}, 400, "after"),
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "101"}, 422, "limit"),
        ({"limit": "ten"}, 422, "limit"),
        ({"from": "2025-13-01"}, 422, "from"),
    ],
)
def test_bad_pages_requests(api: Api, query: dict[str, str], status: int, message: str) -> None:
    api.register("portal")
    got, answer = get(api, "/v1/sites/portal/pages", query)
    assert got == status, answer
    assert message in answer["message"]


# -- badge ---------------------------------------------------------------------------------


def test_badge(api: Api) -> None:
    api.register("portal", count="pageviews")
    for n in range(3):
        hit_at(api, "portal", NOON + timedelta(seconds=n))
    event = api.event("GET", "/v1/sites/portal/badge.svg", query={"lang": "en"})
    from tests.conftest import LambdaContext, handler_for

    with time_machine.travel(NOON, tick=False):
        answer = handler_for(event)(event, LambdaContext())
    assert answer["statusCode"] == 200
    headers = answer["headers"]
    assert headers["Content-Type"].startswith("image/svg+xml")
    assert headers["Cache-Control"] == "public, max-age=60"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    svg = ET.fromstring(answer["body"])
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["page views", "today 3 · total 3"]


def test_badge_of_an_unknown_site_is_a_json_404(api: Api) -> None:
    status, answer = get(api, "/v1/sites/nobody/badge.svg")
    assert status == 404
    assert "nobody" in answer["message"]


def test_sample_events_return_json_or_svg(api: Api) -> None:
    from tests.conftest import LambdaContext, handler_for, load_event

    handler_for(load_event("put-site.json"))(load_event("put-site.json"), LambdaContext())
    for name in ("series.json", "pages.json"):
        answer = handler_for(load_event(name))(load_event(name), LambdaContext())
        assert answer["statusCode"] == 200
        assert json.loads(answer["body"])["site"] == "laichau"
