"""Rules of the hit service (counters.counting.service) that mutation testing found unguarded.

Through the handlers, on moto, with time frozen; expected figures are literals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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


def test_a_hit_whose_day_write_failed_leaves_its_visitor_unseen(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Surely not counted (an error that is no unknown outcome): the visitor's next hit still
    opens the visit this one would have."""
    from botocore.exceptions import ClientError

    from counters.counting.service import default_service

    api.register("flaky", "Asia/Ho_Chi_Minh")
    hit(api, "flaky", NOON, ip="198.51.100.7")  # another visitor opens the day
    daybook = default_service().daybook
    add = daybook.add

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "m"}}, "UpdateItem")

    monkeypatch.setattr(daybook, "add", refused)
    with time_machine.travel(NOON.replace(minute=1), tick=False):
        status, _ = api.call(
            "POST",
            "/v1/sites/flaky/hits",
            headers={"user-agent": FIREFOX},
            source_ip="198.51.100.1",
        )
    assert status == 503
    monkeypatch.setattr(daybook, "add", add)
    answer = hit(api, "flaky", NOON.replace(minute=2))
    assert (answer["counted"], answer["today"]) == (True, 2)


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


def test_a_high_traffic_answer_adds_a_new_visitor_to_those_online_and_a_bot_none(
    api: Api, streams: Streams
) -> None:
    api.register("busy", "Asia/Ho_Chi_Minh", mode="buffered")
    for i in range(3):
        hit(api, "busy", NOON, ip=f"198.51.100.{i}")
    streams.drain()
    reset_warm_state()
    later = NOON.replace(minute=1)
    assert hit(api, "busy", later, ua=GOOGLEBOT)["online"] == 3
    assert hit(api, "busy", later, ip="198.51.100.50")["online"] == 4


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
