"""Rules of the hit service (counters.counting.service) that mutation testing found unguarded.

Through the handlers, on moto, with time frozen; expected figures are literals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import Api, Streams, reset_warm_state, table_dump
from tests.figures import figures

NOON = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def hit(api: Api, site: str, at: datetime, ua: str = FIREFOX, ip: str = "198.51.100.1") -> Any:
    with time_machine.travel(at, tick=False):
        return api.hit(site, headers={"user-agent": ua}, source_ip=ip)


@pytest.fixture
def four_lanes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from counters.settings import settings

    monkeypatch.setenv("LANES_PER_SITE", "4")
    settings.cache_clear()
    reset_warm_state()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_a_high_traffic_bots_answer_is_the_aggregated_figures_of_the_sites_day(
    api: Api, streams: Streams
) -> None:
    api.register("busy", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    for i in range(3):
        hit(api, "busy", NOON, ip=f"198.51.100.{i}")
    streams.drain()
    reset_warm_state()
    late = datetime(2025, 6, 15, 17, 30, tzinfo=UTC)  # 00:30 on the 16th, local
    answer = hit(api, "busy", late, ua=GOOGLEBOT)
    assert answer["counted"] is False
    assert answer["date"] == "2025-06-16"
    assert figures(answer) == {"today": 0, "yesterday": 3, "month": 3, "year": 3, "total": 3}


def test_a_high_traffic_sites_notes_without_a_visitor_take_the_lanes_in_turn(
    api: Api, four_lanes: None
) -> None:
    api.register("busy", "Asia/Ho_Chi_Minh", mode="buffered")
    for second in range(4):
        hit(api, "busy", NOON.replace(second=second), ua=GOOGLEBOT)
    lanes = {
        item["pk"]["S"] for item in table_dump(api_client()) if item["pk"]["S"].startswith("LANE#")
    }
    assert lanes == {f"LANE#busy#{lane}" for lane in range(4)}


def test_a_bot_as_the_first_hit_of_a_day_is_answered_that_days_figures(api: Api) -> None:
    api.register("quiet", "Asia/Ho_Chi_Minh", count="pageviews")
    hit(api, "quiet", NOON)
    answer = hit(api, "quiet", NOON.replace(day=16), ua=GOOGLEBOT)  # the 16th's day is not open
    assert (answer["counted"], answer["date"]) == (False, "2025-06-16")
    assert figures(answer) == {"today": 0, "yesterday": 1, "month": 1, "year": 1, "total": 1}


def failing_day_write(
    api: Api, site: str, at: datetime, monkeypatch: pytest.MonkeyPatch, ua: str = FIREFOX
) -> None:
    """A hit whose day write is refused (an error that is no unknown outcome): 503."""
    from botocore.exceptions import ClientError

    from counters.counting.service import default_service

    daybook = default_service().daybook
    add = daybook.add

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "m"}}, "UpdateItem")

    monkeypatch.setattr(daybook, "add", refused)
    with time_machine.travel(at, tick=False):
        status, _ = api.call(
            "POST",
            f"/v1/sites/{site}/hits",
            headers={"user-agent": ua},
            source_ip="198.51.100.1",
        )
    assert status == 503
    monkeypatch.setattr(daybook, "add", add)


@pytest.mark.parametrize("unchecked", ["20", "0"])  # the visitor's item made before or after
def test_a_new_visitor_whose_day_write_failed_is_left_unseen(  # its address was checked
    api: Api, monkeypatch: pytest.MonkeyPatch, unchecked: str
) -> None:
    """Surely not counted: the visitor's next hit still opens the visit this one would have."""
    from counters.settings import settings

    monkeypatch.setenv("UNCHECKED_VISITORS_PER_ADDRESS", unchecked)
    settings.cache_clear()
    reset_warm_state()
    try:
        api.register("flaky", "Asia/Ho_Chi_Minh")
        hit(api, "flaky", NOON, ip="198.51.100.7")  # another visitor opens the day
        failing_day_write(api, "flaky", NOON.replace(minute=1), monkeypatch)
        answer = hit(api, "flaky", NOON.replace(minute=2))
        assert (answer["counted"], answer["today"]) == (True, 2)
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def test_a_returning_visitor_whose_day_write_failed_keeps_its_visit(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.register("flaky", "Asia/Ho_Chi_Minh")
    assert hit(api, "flaky", NOON)["counted"] is True
    failing_day_write(api, "flaky", NOON.replace(minute=1), monkeypatch)
    answer = hit(api, "flaky", NOON.replace(minute=2))  # still inside the visit
    assert (answer["counted"], answer["today"]) == (False, 1)


def test_a_visitor_admitted_after_its_address_was_checked_is_itself_on_its_next_hit(
    api: Api, caps: None
) -> None:
    api.register("capped", "Asia/Ho_Chi_Minh")
    for i in range(2):  # the second visitor's item is made after the shared count admits it
        hit(api, "capped", NOON, ua=f"{FIREFOX} v{i}")
    # It returns in the next window (and minute, which has a place again): the same visit.
    assert hit(api, "capped", NOON.replace(minute=5), ua=f"{FIREFOX} v1")["counted"] is False
    assert online_at(api, "capped", NOON.replace(minute=10)) == 1  # seen in the window before


@pytest.fixture
def checked_addresses(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every new visitor's address checked against the shared count (none unchecked)."""
    from counters.settings import settings

    monkeypatch.setenv("UNCHECKED_VISITORS_PER_ADDRESS", "0")
    settings.cache_clear()
    reset_warm_state()
    yield
    monkeypatch.undo()
    settings.cache_clear()


def test_one_address_has_another_id_on_each_site(api: Api, checked_addresses: None) -> None:
    for name in ("first", "second"):
        api.register(name, "Asia/Ho_Chi_Minh")
        assert hit(api, name, NOON)["counted"] is True
    ids = {
        item["pk"]["S"].split("#")[1]: item["pk"]["S"].split("#")[2]
        for item in table_dump(api_client())
        if item["pk"]["S"].startswith("ADDRESS#")
    }
    assert set(ids) == {"first", "second"}
    assert ids["first"] != ids["second"]


def online_at(api: Api, site: str, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return int(api.stats(site)["online"])


@pytest.mark.parametrize("mode", ["direct", "buffered"])
def test_a_capped_addresss_hits_are_page_views_of_no_one_online_and_in_the_reports(
    api: Api, streams: Streams, caps: None, mode: str
) -> None:
    api.register("capped", "Asia/Ho_Chi_Minh", mode=mode)  # counts visits
    answers = []
    for i in range(5):  # five new visitors from one address: the last three are capped
        with time_machine.travel(NOON, tick=False):
            answers.append(
                api.hit(
                    "capped",
                    headers={"user-agent": f"{FIREFOX} v{i}"},
                    source_ip="198.51.100.1",
                    body={"path": "/a"},
                )
            )
    assert [a["counted"] for a in answers] == [True, True, False, False, False]
    streams.drain()
    reset_warm_state()
    # Online: the two visitors with items, now and in the next window; nobody else.
    assert online_at(api, "capped", NOON) == 2
    assert online_at(api, "capped", NOON.replace(minute=5)) == 2
    with time_machine.travel(NOON, tick=False):
        status, pages = api.call("GET", "/v1/sites/capped/pages", query={"from": "2025-06-15"})
    assert status == 200 and pages["pages"] == [{"path": "/a", "pageviews": 5}]


def test_a_capped_hit_drops_the_stale_online_tallies_as_any_hit_does(
    api: Api, caps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A capped hit can be its minute's first day write: when the visitor admitted in that
    minute failed its own (503). Its write then drops the stale windows as any hit's does."""
    api.register("capped", "Asia/Ho_Chi_Minh")
    hit(api, "capped", NOON, ua=f"{FIREFOX} v0")  # unchecked: tallies of 12:00's window
    later = NOON.replace(minute=15)  # three windows on
    failing_day_write(api, "capped", later, monkeypatch, ua=f"{FIREFOX} v1")  # takes the place
    assert hit(api, "capped", later, ua=f"{FIREFOX} v2")["counted"] is False  # capped
    [day] = [item for item in table_dump(api_client()) if item["sk"]["S"] == "DAY#2025-06-15"]
    assert (day["v"]["N"], day["p"]["N"]) == ("1", "2")
    assert not [name for name in day if name.startswith(("oa", "ob"))]


def test_a_high_traffic_answer_adds_a_new_visitor_to_those_online_and_a_bot_none(
    api: Api, streams: Streams
) -> None:
    api.register("busy", "Asia/Ho_Chi_Minh", mode="buffered")
    for i in range(3):
        hit(api, "busy", NOON, ip=f"198.51.100.{i}")
    streams.drain()
    reset_warm_state()
    later = NOON.replace(minute=1)
    bot = hit(api, "busy", later, ua=GOOGLEBOT)
    assert (bot["counted"], bot["today"], bot["online"]) == (False, 3, 3)  # counts visits
    assert hit(api, "busy", later, ip="198.51.100.50")["online"] == 4


def test_a_hits_instant_counts_to_the_millisecond_as_its_visitor_item_stores_it(
    api: Api,
) -> None:
    """The high-traffic aggregator reads visits off the stored instants (milliseconds): a
    hit's own answer must find the same, so it rounds its instant alike."""
    api.register("exact", "Asia/Ho_Chi_Minh")
    second = NOON + timedelta(seconds=1799, microseconds=600_000)  # 1799.6 s later: same visit
    third = second + timedelta(seconds=1799, microseconds=999_600)  # 1800.000 s, to the ms
    answers = [hit(api, "exact", at) for at in (NOON, second, third)]
    assert [a["counted"] for a in answers] == [True, False, True]


def dynamodb_calls() -> list[tuple[str, str]]:
    """Each DynamoDB request the service sends from now on: its operation and the kind of
    item it names (the first part of its key)."""
    calls: list[tuple[str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        pk = params.get("Key", {}).get("pk", {}).get("S", "")
        calls.append((model.name, pk.split("#")[0]))

    api_client().meta.events.register("before-parameter-build.dynamodb.*", record)
    return calls


def test_a_capped_addresss_further_hits_in_its_full_minute_cost_two_requests(
    api: Api, caps: None
) -> None:
    """The first capped hit learns that the minute is full (its address's refusal); the
    next new visitors of that minute are refused without asking again."""
    api.register("capped", "Asia/Ho_Chi_Minh")
    for i in range(2):  # v0 unchecked, v1 admitted: the minute's one place
        hit(api, "capped", NOON, ua=f"{FIREFOX} v{i}")
    calls = dynamodb_calls()
    assert hit(api, "capped", NOON.replace(second=20), ua=f"{FIREFOX} v2")["counted"] is False
    visitor, address = ("UpdateItem", "VISITOR"), ("UpdateItem", "ADDRESS")
    day = ("UpdateItem", "SITE")
    assert calls == [visitor, address, day]  # the refused sighting, the full minute, the day
    calls.clear()
    assert hit(api, "capped", NOON.replace(second=40), ua=f"{FIREFOX} v3")["counted"] is False
    assert calls == [visitor, day]  # no visitor item, no address request
    calls.clear()
    # The next minute has a place again: asked, and taken.
    assert hit(api, "capped", NOON.replace(minute=1), ua=f"{FIREFOX} v4")["counted"] is True
    assert calls == [visitor, address, visitor, day]


def test_a_direct_hit_never_reads_the_aggregated_figures(api: Api) -> None:
    api.register("direct", "Asia/Ho_Chi_Minh")
    hit(api, "direct", NOON, ip="198.51.100.7")  # opens the day
    reset_warm_state()  # a function instance that has read nothing yet
    calls: list[str] = []
    api_client().meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    assert hit(api, "direct", NOON)["counted"] is True
    assert "Query" not in calls, calls


def test_a_direct_hits_note_carries_its_visit_to_the_reports(api: Api, streams: Streams) -> None:
    api.register("direct", "Asia/Ho_Chi_Minh")
    for minute in (0, 1):  # one visit, two page views
        hit(api, "direct", NOON.replace(minute=minute))
    streams.drain()
    with time_machine.travel(NOON, tick=False):
        status, answer = api.call(
            "GET", "/v1/sites/direct/breakdown", query={"dimension": "browser"}
        )
    assert status == 200, answer
    assert [(r["value"], r["visits"], r["pageviews"]) for r in answer["rows"]] == [
        ("Firefox", 1, 2)
    ]


def test_a_returning_visitor_uses_up_none_of_its_addresss_unchecked_visitors(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from counters.settings import settings

    monkeypatch.setenv("UNCHECKED_VISITORS_PER_ADDRESS", "2")
    settings.cache_clear()
    reset_warm_state()
    try:
        api.register("site", "Asia/Ho_Chi_Minh")
        for minute in range(3):  # one visitor, three hits
            hit(api, "site", NOON.replace(minute=minute))
        calls: list[str] = []
        api_client().meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
        )
        assert hit(api, "site", NOON.replace(minute=3), ua=f"{FIREFOX} other")["counted"]
        assert calls == ["UpdateItem", "UpdateItem"]  # the second new visitor: still unchecked
    finally:
        monkeypatch.undo()
        settings.cache_clear()


def api_client() -> Any:
    from counters.counting.service import default_service

    return default_service().storage.client


def test_a_baseline_import_answers_the_imported_figures_of_its_date(api: Api) -> None:
    api.register("laichau", "Asia/Ho_Chi_Minh")
    baseline = {
        "date": "2025-06-14",
        "today": 10,
        "yesterday": 20,
        "month": 300,
        "year": 4000,
        "total": 50000,
    }
    with time_machine.travel(NOON, tick=False):
        status, answer = api.call("POST", "/v1/sites/laichau/baseline", baseline)
    assert status == 200, answer
    assert answer["date"] == "2025-06-14"
    assert figures(answer) == {k: v for k, v in baseline.items() if k != "date"}
