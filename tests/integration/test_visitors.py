"""Visitors, not requests: visits, skipped hits, online now, idempotency, origins, baselines, privacy."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import Api, table_dump
from tests.figures import figures

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
NOON = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


def hit(
    api: Api, site: str, at: datetime, ip: str = "198.51.100.1", ua: str = FIREFOX, **headers: str
) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.hit(site, headers={"user-agent": ua, **headers}, source_ip=ip)


def stats(api: Api, site: str, at: datetime) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.stats(site)


@pytest.fixture
def site(api: Api) -> str:
    api.register("portal", "Asia/Ho_Chi_Minh")
    return "portal"


def test_ten_hits_in_five_minutes_are_one_visit_and_ten_page_views(api: Api, site: str) -> None:
    answers = [hit(api, site, NOON + timedelta(seconds=s)) for s in range(0, 300, 30)]
    # Only the first hit of the visit added to the figure the site shows (visits).
    assert [a["counted"] for a in answers] == [True] + [False] * 9
    assert answers[-1]["today"] == 1
    api.register(site, "Asia/Ho_Chi_Minh", count="pageviews")
    assert stats(api, site, NOON + timedelta(minutes=5))["today"] == 10
    # Counting page views, every hit adds.
    assert hit(api, site, NOON + timedelta(minutes=5))["counted"] is True


def test_a_new_visit_after_the_timeout(api: Api, site: str) -> None:
    hit(api, site, NOON)
    assert hit(api, site, NOON + timedelta(minutes=29))["today"] == 1
    # 29 minutes after the last hit: still the same visit; 31 minutes of silence: a new one.
    assert hit(api, site, NOON + timedelta(minutes=58))["today"] == 1
    assert hit(api, site, NOON + timedelta(minutes=89))["today"] == 2


def test_the_visit_timeout_is_the_sites(api: Api) -> None:
    api.register("short", "UTC", visit_timeout_minutes=5)
    hit(api, "short", NOON)
    assert hit(api, "short", NOON + timedelta(minutes=6))["today"] == 2


def test_two_browsers_behind_one_ip_are_two_visitors(api: Api, site: str) -> None:
    hit(api, site, NOON, ua=FIREFOX)
    answer = hit(api, site, NOON + timedelta(seconds=1), ua=CHROME)
    assert answer["today"] == 2
    assert answer["online"] == 2
    assert hit(api, site, NOON + timedelta(seconds=2), ip="198.51.100.2")["today"] == 3


@pytest.mark.parametrize(
    "headers",
    [
        {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"user-agent": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
        {"user-agent": "curl/8.5.0"},
        {"user-agent": "python-requests/2.32.3"},
        {"user-agent": ""},
        {"user-agent": "   "},
        {"user-agent": FIREFOX, "sec-purpose": "prefetch"},
        {"user-agent": FIREFOX, "sec-purpose": "prefetch;prerender"},
        {"user-agent": FIREFOX, "purpose": "prefetch"},
    ],
)
def test_bots_empty_agents_and_prefetches_count_nothing(
    api: Api, site: str, dynamodb: Any, headers: dict[str, str]
) -> None:
    hit(api, site, NOON)
    before = table_dump(dynamodb)
    with time_machine.travel(NOON + timedelta(seconds=5), tick=False):
        status, answer = api.call("POST", f"/v1/sites/{site}/hits", headers=headers)
    assert status == 200
    assert answer["counted"] is False
    assert figures(answer) == {"today": 1, "yesterday": 0, "month": 1, "year": 1, "total": 1}
    after = table_dump(dynamodb)
    # Nothing stored changed, but a bot's note on the day item (its family, for reports).
    notes = [json.loads(item.pop("h")["S"]) for item in after if "h" in item]
    for item in before:
        item.pop("h", None)
    assert after == before
    is_bot = headers["user-agent"].strip() and not {"purpose", "sec-purpose"} & set(headers)
    if is_bot:
        assert notes and notes[-1]["p"] == 0 and notes[-1]["v"] == 0 and "bot" in notes[-1]["f"]


def test_a_hit_without_user_agent_header_counts_nothing(api: Api, site: str, dynamodb: Any) -> None:
    event = api.event("POST", f"/v1/sites/{site}/hits")
    del event["headers"]["user-agent"]
    from tests.conftest import LambdaContext, handler_for

    answer = handler_for(event)(event, LambdaContext())
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["counted"] is False
    assert [i for i in table_dump(dynamodb) if i["sk"]["S"].startswith("DAY#")] == []


def test_online_counts_visitors_of_the_last_five_minutes(api: Api, site: str) -> None:
    start = datetime(2025, 6, 15, 5, 0, 30, tzinfo=UTC)
    for n in range(3):
        hit(api, site, start + timedelta(seconds=n), ip=f"198.51.100.{n}")
    assert stats(api, site, start + timedelta(seconds=10))["online"] == 3
    # The same visitors again a little later are still three people.
    for n in range(3):
        hit(api, site, start + timedelta(minutes=3, seconds=n), ip=f"198.51.100.{n}")
    assert stats(api, site, start + timedelta(minutes=3, seconds=10))["online"] == 3
    # Seen under 5 minutes ago: always in. Unseen for 10 minutes: never.
    last_seen = start + timedelta(minutes=3, seconds=2)
    for seconds in (30, 120, 240, 299):
        assert stats(api, site, last_seen + timedelta(seconds=seconds))["online"] == 3
    for seconds in (600, 900, 3600):
        assert stats(api, site, last_seen + timedelta(seconds=seconds))["online"] == 0


def test_online_carries_over_local_midnight(api: Api, site: str) -> None:
    before_midnight = datetime(2025, 6, 15, 16, 58, tzinfo=UTC)  # 23:58 local
    hit(api, site, before_midnight, ip="198.51.100.1")
    answer = hit(
        api, site, before_midnight + timedelta(minutes=3), ip="198.51.100.2"
    )  # 00:01 local
    assert answer["date"] == "2025-06-16"
    assert answer["online"] == 2


def test_a_replayed_idempotency_key_counts_once(api: Api, site: str, dynamodb: Any) -> None:
    headers = {"user-agent": FIREFOX, "idempotency-key": "page-view-7f3a"}
    with time_machine.travel(NOON, tick=False):
        first = api.hit(site, headers=headers, source_ip="198.51.100.9")
        after_first = [i for i in table_dump(dynamodb) if i["sk"]["S"].startswith("DAY#")]
        replay = api.hit(site, headers=headers, source_ip="198.51.100.9")
        assert [i for i in table_dump(dynamodb) if i["sk"]["S"].startswith("DAY#")] == after_first
    assert first["counted"] is True
    assert replay["counted"] is False
    assert figures(replay) == figures(first)
    # Another key from the same visitor is a new request (here, a new visit).
    other = hit(
        api, site, NOON + timedelta(minutes=40), ip="198.51.100.9", **{"idempotency-key": "other"}
    )
    assert other["counted"] is True
    assert other["today"] == 2


def test_idempotency_keys_are_validated(api: Api, site: str, dynamodb: Any) -> None:
    before = table_dump(dynamodb)
    for key in ["x" * 129, "has space", "ünïcode"]:
        status, answer = api.call(
            "POST", f"/v1/sites/{site}/hits", headers={"idempotency-key": key}
        )
        assert status == 422, key
        assert answer["message"]
    assert table_dump(dynamodb) == before


def test_origins(api: Api, dynamodb: Any) -> None:
    api.register("gov", "Asia/Ho_Chi_Minh", allowed_origins=["https://laichau.gov.vn"])
    before = table_dump(dynamodb)
    status, answer = api.call(
        "POST", "/v1/sites/gov/hits", headers={"origin": "https://evil.example"}
    )
    assert status == 403
    assert "evil.example" in answer["message"]
    assert table_dump(dynamodb) == before

    event = api.event("POST", "/v1/sites/gov/hits", headers={"origin": "https://laichau.gov.vn"})
    from tests.conftest import LambdaContext, handler_for

    answer = handler_for(event)(event, LambdaContext())
    assert answer["statusCode"] == 200
    assert answer["headers"]["Access-Control-Allow-Origin"] == "https://laichau.gov.vn"
    # Preflights allow exactly the listed origins.
    for origin, allowed in [("https://laichau.gov.vn", True), ("https://evil.example", False)]:
        event = api.event("OPTIONS", "/v1/sites/gov/hits", headers={"origin": origin})
        answer = handler_for(event)(event, LambdaContext())
        assert answer["statusCode"] == 204
        assert ("Access-Control-Allow-Origin" in answer["headers"]) is allowed
    # No Origin header (a server-side or same-origin call): counted.
    assert api.hit("gov", source_ip="198.51.100.200")["counted"] is True


BASELINE = {
    "date": "2025-06-15",
    "today": 4003,
    "yesterday": 5672,
    "month": 38521,
    "year": 959424,
    "total": 84916357,
}


def test_baseline_import_carries_the_old_counter_over(api: Api) -> None:
    api.register("laichau", "Asia/Ho_Chi_Minh")
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    with time_machine.travel(datetime(2025, 6, 15, 9, 0, tzinfo=vn), tick=False):
        status, answer = api.call("POST", "/v1/sites/laichau/baseline", BASELINE)
    assert status == 200, answer
    at = datetime(2025, 6, 15, 9, 1, tzinfo=vn)
    assert figures(stats(api, "laichau", at)) == {k: v for k, v in BASELINE.items() if k != "date"}
    answer = hit(api, "laichau", at)
    assert figures(answer) == {
        "today": 4004,
        "yesterday": 5672,
        "month": 38522,
        "year": 959425,
        "total": 84916358,
    }
    # The next day follows on...
    answer = hit(api, "laichau", datetime(2025, 6, 16, 0, 0, 1, tzinfo=vn))
    assert figures(answer) == {
        "today": 1,
        "yesterday": 4004,
        "month": 38523,
        "year": 959426,
        "total": 84916359,
    }
    # ...and so does the month end.
    answer = hit(api, "laichau", datetime(2025, 7, 1, 0, 0, 1, tzinfo=vn))
    assert figures(answer) == {
        "today": 1,
        "yesterday": 0,
        "month": 1,
        "year": 959427,
        "total": 84916360,
    }
    assert stats(api, "laichau", datetime(2026, 1, 1, 8, tzinfo=vn))["total"] == 84916360


@pytest.mark.parametrize(
    "change",
    [
        {"month": 959425},  # a month larger than its year
        {"today": 40000},  # a day larger than its month
        {"year": 84916358},  # a year larger than the total
        {"yesterday": 38000},  # yesterday (same month) + today over the month
        {"today": -1},
        {"total": "many"},
        {"date": "2025-02-30"},
        {"date": "2999-01-01"},  # in the future
        {"extra": 1},
    ],
)
def test_inconsistent_baselines_are_refused(
    api: Api, dynamodb: Any, change: dict[str, Any]
) -> None:
    api.register("laichau", "Asia/Ho_Chi_Minh")
    before = table_dump(dynamodb)
    with time_machine.travel(datetime(2025, 6, 15, 5, tzinfo=UTC), tick=False):
        status, answer = api.call("POST", "/v1/sites/laichau/baseline", {**BASELINE, **change})
    assert status in (409, 422), answer
    assert answer["message"]
    assert table_dump(dynamodb) == before


def test_a_baseline_before_counted_traffic_is_refused(api: Api, dynamodb: Any) -> None:
    api.register("laichau", "Asia/Ho_Chi_Minh")
    hit(api, "laichau", datetime(2025, 6, 20, 5, tzinfo=UTC))
    before = table_dump(dynamodb)
    with time_machine.travel(datetime(2025, 6, 20, 6, tzinfo=UTC), tick=False):
        status, answer = api.call("POST", "/v1/sites/laichau/baseline", BASELINE)
    assert status == 409
    assert "2025-06-20" in answer["message"]
    assert table_dump(dynamodb) == before


def test_no_raw_ip_or_user_agent_is_stored_or_logged(
    api: Api,
    site: str,
    dynamodb: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret_ip, secret_ua = (
        "192.0.2.77",
        "Mozilla/5.0 (SecretOS 9; rv:1.0) Gecko/20100101 Firefox/999.0",
    )
    for minutes in (0, 1, 45):
        hit(api, site, NOON + timedelta(minutes=minutes), ip=secret_ip, ua=secret_ua)
    with time_machine.travel(NOON, tick=False):
        api.hit(
            site, headers={"user-agent": secret_ua, "idempotency-key": "k1"}, source_ip=secret_ip
        )
    stored = json.dumps(table_dump(dynamodb), default=str)
    logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    for needle in (secret_ip, secret_ua, "SecretOS", "192.0.2"):
        assert needle not in stored
        assert needle not in logged
    assert "VISITOR#" in stored  # the visitor was tracked, under a hash


def test_salts_change_daily_and_are_deleted_within_two_days(
    api: Api, site: str, dynamodb: Any
) -> None:
    def salts() -> dict[str, str]:
        return {
            i["sk"]["S"]: str(i["salt"]["B"])
            for i in table_dump(dynamodb)
            if i["pk"]["S"] == "SALT"
        }

    first = datetime(2025, 6, 15, 5, tzinfo=UTC)
    for day in range(6):
        hit(api, site, first + timedelta(days=day))
        kept = salts()
        # Today's salt, and at most the two days before it.
        assert max(kept) == (first + timedelta(days=day)).date().isoformat()
        assert len(kept) <= 3
    assert len(set(salts().values())) == len(salts())


def test_a_visitor_is_new_each_day(api: Api, site: str) -> None:
    hit(api, site, datetime(2025, 6, 15, 16, 50, tzinfo=UTC))  # 23:50 local
    answer = hit(
        api, site, datetime(2025, 6, 15, 17, 5, tzinfo=UTC)
    )  # 00:05 local, 15 minutes later
    assert figures(answer) == {"today": 1, "yesterday": 1, "month": 2, "year": 2, "total": 2}


def test_request_budget(api: Api, site: str, dynamodb: Any) -> None:
    """Steady state: a counted hit is 2 requests (visitor, day counter), a repeat hit too, a stats read 1."""
    from counters.counting.service import default_service

    calls: list[str] = []
    storage = default_service().storage
    # Counter ADDs go through a second client that never re-sends (see Storage).
    for client in (storage.client,):
        client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: calls.append(model.name)
        )
    hit(api, site, NOON, ip="198.51.100.1")  # fills caches and opens the day

    def cost(action: Any) -> list[str]:
        calls.clear()
        action()
        return list(calls)

    assert cost(lambda: hit(api, site, NOON + timedelta(seconds=1), ip="198.51.100.2")) == [
        "UpdateItem",
        "UpdateItem",
    ]
    assert cost(lambda: hit(api, site, NOON + timedelta(seconds=2), ip="198.51.100.2")) == [
        "UpdateItem",
        "UpdateItem",
    ]
    # A bot's family is noted on the day item: one write that adds nothing, with the figures.
    assert cost(lambda: hit(api, site, NOON + timedelta(seconds=3), ua="Googlebot/2.1")) == [
        "UpdateItem"
    ]
    assert cost(lambda: stats(api, site, NOON + timedelta(seconds=4))) == ["Query"]
