"""GET /v1/sites/{site}/segment through the template's function on moto: hits counted by the
hit handler, carried to the archive by the stream, answered for a segment."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import time_machine

from tests.conftest import Api, LambdaContext, Streams, handler_for, load_event

NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
DAY = "2026-03-10"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
# (address, User-Agent, path, referrer): three visitors, one of them on two pages.
HITS = [
    (1, FIREFOX, "/a", "https://www.google.com/"),
    (2, PHONE, "/a", "https://zalo.me/"),
    (2, PHONE, "/b", "https://laichau.gov.vn/a"),
    (3, PHONE, "/van-ban/1", None),
]


def traffic(api: Api, streams: Streams, site: str, **settings: Any) -> None:
    api.register(site, allowed_origins=[], **settings)
    with time_machine.travel(NOON, tick=True):
        for address, agent, path, referrer in HITS:
            body = {"path": path, **({"referrer": referrer} if referrer else {})}
            api.hit(site, body=body, source_ip=f"203.0.113.{address}",
                    headers={"user-agent": agent})  # fmt: skip
    streams.drain()


def get(api: Api, site: str, token: str | None = None, **query: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    query = {"from": DAY, "to": DAY, **query}
    with time_machine.travel(NOON, tick=False):
        return api.call("GET", f"/v1/sites/{site}/segment", headers=headers, query=query)


def test_a_segment_answers_every_panel_for_its_visits(api: Api, streams: Streams) -> None:
    traffic(api, streams, "laichau")
    status, answer = get(api, "laichau", filter="device==mobile")
    assert status == 200, answer
    assert answer["filter"] == "device==mobile" and answer["whole_visits"] is True
    assert answer["summary"]["visits"] == 2 and answer["summary"]["pageviews"] == 3
    assert answer["summary"]["bounce_rate"] == 0.5  # the phone on /van-ban/1 saw one page
    assert answer["series"] == [{"period": DAY, "visits": 2, "pageviews": 3}]
    pages = {row["value"]: row["pageviews"] for row in answer["pages"]}
    assert pages == {"/a": 1, "/b": 1, "/van-ban/1": 1}
    assert {row["value"] for row in answer["exit"]} == {"/b", "/van-ban/1"}
    sources = {row["value"]: row["visits"] for row in answer["breakdowns"]["source"]}
    assert sources == {"Zalo": 1, "direct": 1, "laichau.gov.vn": 0}  # no origins: not internal
    # Hit-level filters keep whole visits too (by their visit ids): the Firefox visit from
    # Google, one page, a bounce.
    status, answer = get(api, "laichau", filter="source==Google|Zalo;device!=mobile")
    assert status == 200, answer
    assert answer["summary"]["visits"] == 1 and answer["whole_visits"] is True
    assert answer["summary"]["bounce_rate"] == 1.0
    assert [row["value"] for row in answer["exit"]] == ["/a"]
    # The visit that viewed /b, with its other page (/a, where it entered).
    status, answer = get(api, "laichau", filter="page==/b")
    assert status == 200, answer
    assert answer["summary"]["visits"] == 1 and answer["summary"]["pageviews"] == 2
    assert answer["summary"]["bounce_rate"] == 0.0
    assert {row["value"]: row["pageviews"] for row in answer["pages"]} == {"/a": 1, "/b": 1}
    assert [row["value"] for row in answer["entry"]] == ["/a"]


def test_a_bad_filter_or_range_is_refused_with_a_message(api: Api) -> None:
    api.register("laichau")
    status, answer = get(api, "laichau", filter="user==x")
    assert status == 422 and "unknown dimension 'user'" in answer["message"], answer
    assert answer["errors"][0]["field"] == "query.filter"
    status, answer = get(api, "laichau", **{"from": "2025-01-01"})
    assert status == 400 and "at most 366" in answer["message"], answer
    status, answer = get(api, "nobody")
    assert status == 404, answer


def test_a_private_sites_segment_needs_its_read_token(api: Api, streams: Streams) -> None:
    traffic(api, streams, "closed", reports="private")
    status, answer = get(api, "closed")
    assert status == 401, answer
    status, answer = get(api, "closed", "not-a-token-at-all-x")
    assert status == 403, answer
    with time_machine.travel(NOON, tick=False):
        status, issued = api.call("POST", "/v1/sites/closed/tokens", {"label": "x"})
    assert status == 201
    status, answer = get(api, "closed", issued["token"])
    assert status == 200 and answer["summary"]["pageviews"] == 4, answer


def test_a_range_over_the_functions_bytes_is_refused_naming_the_limit(
    api: Api, streams: Streams, monkeypatch: Any
) -> None:
    from counters.archive import segment_report

    traffic(api, streams, "laichau")
    monkeypatch.setattr(segment_report, "MAX_ARCHIVE_BYTES", 100)
    status, answer = get(api, "laichau")
    assert status == 400, answer
    assert "reads at most 0 MB" in answer["message"] and "1 objects" in answer["message"]


def test_odd_values_are_values(api: Api, streams: Streams) -> None:
    traffic(api, streams, "laichau")
    for text in ("page==/a\x00b", "source==' OR 1=1 --", "campaign==\\;\\|\\\\", "os==Việt"):
        status, answer = get(api, "laichau", filter=text)
        assert status == 200 and answer["summary"]["visits"] == 0, (text, answer)


def test_the_sample_event_is_what_the_segment_function_answers(api: Api, streams: Streams) -> None:
    """events/segment.json (for `sam local invoke SegmentFunction`) through its handler."""
    traffic(api, streams, "laichau")
    event = load_event("segment.json")
    with time_machine.travel(NOON, tick=False):
        answer = handler_for(event)(event, LambdaContext())
    assert answer["statusCode"] == 200, answer
    segment = json.loads(answer["body"])
    assert segment["filter"] == "device==mobile"
    assert (segment["summary"]["visits"], segment["summary"]["pageviews"]) == (2, 3)
