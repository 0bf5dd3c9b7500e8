"""POST /v1/sites/{site}/events on moto: one write on the visitor item, never the day item,
added to the event dimensions by the report aggregator; bad input 4xx with nothing stored."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from counters.counting.service import default_service
from tests.conftest import Api, Streams, table_dump

NOW = datetime(2025, 6, 15, 5, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
PORTAL = "https://laichau.gov.vn"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0 Safari/537.36"
PDF = {"name": "download", "url": f"{PORTAL}/van-ban/qd-12.pdf?token=secret#p2", "path": "/van-ban"}


@pytest.fixture
def portal(api: Api) -> Api:
    api.register("portal", allowed_origins=[PORTAL])
    return api


def send(api: Api, body: Any, at: datetime = NOW, **headers: str) -> tuple[int, Any]:
    sent = {"origin": PORTAL, "user-agent": CHROME, **headers}
    with time_machine.travel(at, tick=False):
        return api.call("POST", "/v1/sites/portal/events", body, headers=sent)


def view(api: Api, at: datetime = NOW, path: str = "/van-ban") -> None:
    with time_machine.travel(at, tick=False):
        api.hit("portal", body={"path": path}, headers={"origin": PORTAL, "user-agent": CHROME})


def rows(api: Api, dimension: str) -> dict[str, tuple[int, int]]:
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call(
            "GET", "/v1/sites/portal/breakdown", query={"dimension": dimension, "limit": "100"}
        )
    assert status == 200, answer
    return {row["value"]: (row["visits"], row["pageviews"]) for row in answer["rows"]}


def requests_of() -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def seen(model: Any, params: Any, **_: Any) -> None:
        key = params.get("Key", {}).get("pk", {}).get("S", "")
        calls.append((model.name, key.split("#")[0]))

    default_service().storage.client.meta.events.register("before-parameter-build.dynamodb.*", seen)
    return calls


def test_an_event_is_one_write_on_the_visitor_item_and_no_figure(
    portal: Api, streams: Streams
) -> None:
    view(portal)
    with time_machine.travel(NOW, tick=False):
        before = portal.stats("portal")
    calls = requests_of()
    status, answer = send(portal, PDF, NOW + timedelta(seconds=20))
    assert (status, answer) == (200, {"counted": True})
    assert calls == [("UpdateItem", "VISITOR")]
    streams.drain()
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        after = portal.stats("portal")
    assert after == before  # never in the five figures
    # Host and path of the file only: the query string and fragment are not kept.
    assert rows(portal, "download") == {"/van-ban/qd-12.pdf": (0, 1)}
    assert rows(portal, "event") == {"download": (1, 1)}


def test_events_add_no_page_view_to_pages(portal: Api, streams: Streams) -> None:
    view(portal, path="/van-ban")
    send(portal, PDF)
    send(portal, {"name": "Đăng ký", "path": "/tin-tuc"})
    streams.drain()
    with time_machine.travel(NOW, tick=False):
        status, answer = portal.call("GET", "/v1/sites/portal/pages")
    assert status == 200
    assert {p["path"]: p["pageviews"] for p in answer["pages"]} == {"/van-ban": 1}


def test_visits_with_an_event_count_each_visitor_once(portal: Api, streams: Streams) -> None:
    view(portal)
    for second in (10, 20, 30):  # one visitor, three downloads of two files
        body = {**PDF, "url": f"{PORTAL}/van-ban/{'a' if second < 30 else 'b'}.pdf"}
        assert send(portal, body, NOW + timedelta(seconds=second))[0] == 200
    other = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    send(portal, {**PDF, "url": f"{PORTAL}/van-ban/a.pdf"}, **{"user-agent": other})
    streams.drain()
    # The other visitor viewed no page today: its download is in no visit.
    assert rows(portal, "event") == {"download": (1, 4)}
    assert rows(portal, "download") == {"/van-ban/a.pdf": (0, 3), "/van-ban/b.pdf": (0, 1)}


def test_a_returning_visit_counts_its_event_again(portal: Api, streams: Streams) -> None:
    view(portal)
    send(portal, PDF, NOW + timedelta(minutes=1))
    view(portal, NOW + timedelta(minutes=40))  # over 30 minutes: a new visit
    send(portal, PDF, NOW + timedelta(minutes=41))
    send(portal, PDF, NOW + timedelta(minutes=42))
    streams.drain()
    assert rows(portal, "event") == {"download": (2, 3)}


def test_outbound_links_and_custom_events_with_properties(portal: Api, streams: Streams) -> None:
    send(portal, {"name": "outbound", "url": "https://dichvucong.gov.vn/p/home?x=1"})
    send(portal, {"name": "outbound", "url": "HTTPS://DichVuCong.gov.vn/p/home"})
    send(portal, {"name": "Gửi phản ánh", "props": {"lĩnh vực": "giao thông", "kênh": "web"}})
    streams.drain()
    assert rows(portal, "outbound") == {"dichvucong.gov.vn/p/home": (0, 2)}
    assert rows(portal, "event") == {"outbound": (0, 2), "Gửi phản ánh": (0, 1)}  # no visit
    assert rows(portal, "property") == {
        "Gửi phản ánh / kênh: web": (0, 1),
        "Gửi phản ánh / lĩnh vực: giao thông": (0, 1),
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"user-agent": ""},
        {"sec-purpose": "prefetch"},
    ],
    ids=["bot", "no-user-agent", "prefetch"],
)
def test_bots_prefetches_and_clients_without_a_user_agent_record_nothing(
    portal: Api, dynamodb: Any, headers: dict[str, str]
) -> None:
    before = table_dump(dynamodb)
    assert send(portal, PDF, **headers) == (200, {"counted": False})
    assert table_dump(dynamodb) == before


BAD_BODIES = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": "tab\there"}, "control"),
    ({"name": "   "}, "name"),
    ({"name": "download"}, "URL"),
    ({"name": "download", "url": "javascript:alert(1)"}, "URL"),
    ({"name": "outbound", "url": "mailto:a@b.vn"}, "URL"),
    ({"name": "x", "url": "https://a.vn/" + "p" * 2048}, "url"),
    ({"name": "x", "props": {str(i): "v" for i in range(6)}}, "props"),
    ({"name": "x", "props": {"k": "v" * 101}}, "props"),
    ({"name": "x", "props": {"k" * 41: "v"}}, "props"),
    ({"name": "x", "props": {"k": 1}}, "props"),
    ({"name": "x", "props": {"k": "\x00"}}, "control"),
    ({"name": "x", "extra": 1}, "extra"),
    ({"name": "\ud800"}, "name"),
    ("[1, 2]", ""),
    ('{"name": 1e999999}', ""),
]


@pytest.mark.parametrize(("body", "word"), BAD_BODIES)
def test_bad_events_are_4xx_with_a_message_and_store_nothing(
    portal: Api, dynamodb: Any, body: Any, word: str
) -> None:
    before = table_dump(dynamodb)
    status, answer = send(portal, body)
    assert 400 <= status < 500, (status, answer)
    assert word.lower() in str(answer).lower(), answer
    assert table_dump(dynamodb) == before


def test_other_origins_and_unknown_sites_store_nothing(portal: Api, dynamodb: Any) -> None:
    before = table_dump(dynamodb)
    status, answer = send(portal, PDF, origin="https://evil.example")
    assert status == 403 and "evil.example" in answer["message"]
    with time_machine.travel(NOW, tick=False):
        status, answer = portal.call(
            "POST", "/v1/sites/nowhere/events", PDF, headers={"user-agent": CHROME}
        )
    assert status == 404
    assert table_dump(dynamodb) == before


def test_an_event_before_any_page_view_does_not_let_a_new_visitor_past_its_address_cap(
    portal: Api, caps: None
) -> None:
    """An event makes a visitor item without a sighting: the address's cap still applies to
    that visitor's first page view (one unchecked + one admitted visitor a minute here)."""
    agents = [f"Mozilla/5.0 Firefox/{100 + i}.0" for i in range(4)]
    for agent in agents:
        send(portal, PDF, **{"user-agent": agent})
    answers = []
    for agent in agents:
        with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
            answers.append(
                portal.hit("portal", headers={"origin": PORTAL, "user-agent": agent})["counted"]
            )
    assert answers == [True, True, False, False]
    kinds = Counter(item["pk"]["S"].split("#")[0] for item in table_dump(portal_client()))
    assert kinds["VISITOR"] == 4  # the events' items; the refused ones never got a sighting


def portal_client() -> Any:
    return default_service().storage.client


def goals_of(api: Api, **query: str) -> dict[str, Any]:
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call("GET", "/v1/sites/portal/goals", query=query)
    assert status == 200, answer
    return answer  # type: ignore[no-any-return]


def test_event_goals_count_the_visits_that_reached_them(api: Api, streams: Streams) -> None:
    goals = [
        {"name": "Tải văn bản", "event": "download"},
        {"name": "Đăng ký", "event": "Đăng ký nhận tin"},
        {"name": "Trang dịch vụ", "page": "/dich-vu-cong/*"},
    ]
    api.register("portal", allowed_origins=[PORTAL], goals=goals)
    other = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    for agent in (CHROME, other, other + " x"):  # three visitors, three visits
        with time_machine.travel(NOW, tick=False):
            api.hit("portal", body={"path": "/"}, headers={"origin": PORTAL, "user-agent": agent})
    for second, agent in ((10, CHROME), (20, CHROME), (30, other)):  # two visits download
        send(api, PDF, NOW + timedelta(seconds=second), **{"user-agent": agent})
    send(api, {"name": "Đăng ký nhận tin"}, NOW + timedelta(seconds=40))
    streams.drain()
    report = goals_of(api)
    assert report["visits"] == 3
    assert [
        (g["name"], g["conversions"], g["events"], g["conversion_rate"]) for g in report["goals"]
    ] == [
        ("Tải văn bản", 2, 3, 0.6667),
        ("Đăng ký", 1, 1, 0.3333),
        ("Trang dịch vụ", 0, 0, 0.0),
    ]


@pytest.mark.parametrize(
    ("goals", "word"),
    [
        ([{"name": f"g{i}", "event": "e"} for i in range(21)], "20"),
        ([{"name": "g", "event": "e"}, {"name": "g", "event": "f"}], "differ"),
        ([{"name": "g"}], "either"),
        ([{"name": "g", "event": "e", "page": "/a"}], "either"),
        ([{"name": "g", "page": "no-slash"}], "page"),
        ([{"name": "", "event": "e"}], "name"),
        ([{"name": "g", "event": "e", "extra": 1}], "extra"),
    ],
)
def test_bad_goals_are_refused_with_a_message(
    api: Api, dynamodb: Any, goals: list[dict[str, Any]], word: str
) -> None:
    before = table_dump(dynamodb)
    status, answer = api.call("PUT", "/v1/sites/portal", {"timezone": "UTC", "goals": goals})
    assert status == 422, answer
    assert word in str(answer), answer
    assert table_dump(dynamodb) == before


def test_goals_are_kept_with_the_site(api: Api) -> None:
    goals = [{"name": "Tải văn bản", "event": "download"}, {"name": "DVC", "page": "/dvc/*"}]
    api.register("portal", goals=goals)
    status, answer = api.call("GET", "/v1/sites/portal")
    assert status == 200
    assert answer["goals"] == [
        {"name": "Tải văn bản", "event": "download", "page": None},
        {"name": "DVC", "event": None, "page": "/dvc/*"},
    ]
    assert goals_of(api)["goals"][1] == {
        "name": "DVC",
        "event": None,
        "page": "/dvc/*",
        "conversions": 0,
        "events": 0,
        "conversion_rate": None,
    }


def test_the_archive_holds_events_and_rebuilds_their_reports_as_they_were(
    api: Api, streams: Streams, dynamodb: Any
) -> None:
    from counters.archive.reader import ArchiveReader
    from counters.archive.rebuild import Rebuilder
    from counters.storage.archive_bucket import archive_bucket

    api.register("portal", allowed_origins=[PORTAL], goals=[{"name": "Tải", "event": "download"}])
    view(api)
    send(api, PDF, NOW + timedelta(seconds=5))
    send(api, {"name": "Gửi", "props": {"a": "1", "b": "2"}}, NOW + timedelta(seconds=9))
    streams.drain()

    def report_items() -> list[dict[str, Any]]:
        return [i for i in table_dump(dynamodb) if i["pk"]["S"].startswith("REPORT#portal#")]

    aggregated = report_items()
    assert {i["pk"]["S"].split("#")[2] for i in aggregated} >= {
        "event", "download", "property", "goal", "page",
    }  # fmt: skip
    rebuilder = Rebuilder(default_service().storage, ArchiveReader(archive_bucket()))
    assert rebuilder.rebuild("portal", NOW.date()).hits == 3
    assert report_items() == aggregated
