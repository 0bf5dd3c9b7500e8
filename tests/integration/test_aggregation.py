"""The aggregation path: hit notes through the table's stream (moto) to the two aggregators.

Batches are the stream's real records (read as Lambda's poller reads them, see
local.streams), so duplicated and partial deliveries, failures and poisoned
records are staged on what the hits really wrote.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import Api, LambdaContext, Streams, import_handler, reset_warm_state, table_dump
from tests.figures import figures

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
NOON = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
DAYS = "handlers.aggregate.days_handler"
REPORTS = "handlers.aggregate.reports_handler"


def hit(api: Api, site: str, at: datetime, ip: str, **kwargs: Any) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.hit(site, headers={"user-agent": FIREFOX}, source_ip=ip, **kwargs)


def stats(api: Api, site: str, at: datetime = NOON) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.stats(site)


def pages(api: Api, site: str, at: datetime = NOON) -> dict[str, int]:
    with time_machine.travel(at, tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/{site}/pages",
            query={"from": "2025-06-01", "to": "2025-07-31", "limit": "100"},
        )
    assert status == 200, answer
    return {page["path"]: page["pageviews"] for page in answer["pages"]}


def records(streams: Streams, function: str) -> list[dict[str, Any]]:
    """Every record of the stream that the function's filter takes, in stream order."""
    poller = streams.pollers[function]
    poller._refresh_shards()
    kept: list[dict[str, Any]] = []
    for shard in poller._shards.values():
        poller._read(shard)
        kept += shard.pending
        shard.pending = []
    return kept


SHARD = "shardId-00000001700000000000-0123abcd"


def deliver(
    handler: str, batch: list[dict[str, Any]], shard: str = SHARD, final: bool = False
) -> list[str]:
    """Calls an aggregator with a batch, as a tumbling-window event of one shard names it;
    returns the sequence numbers it reported failed. `final`: the window's last invocation
    (the archive writes what it holds then)."""
    event = {
        "Records": batch,
        "window": {"start": "2025-06-15T05:00:00Z", "end": "2025-06-15T05:15:00Z"},
        "state": {},
        "shardId": shard,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x",
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": False,
    }
    answer = import_handler(handler)(event, LambdaContext())
    # An aggregator keeps no state; the archive, at its window's end, holds no hit.
    assert answer["state"] == {} if not final else not answer["state"]["hits"]
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


@pytest.fixture
def site(api: Api) -> str:
    api.register("election", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    return "election"


def test_high_traffic_hits_answer_at_once_and_count_once_aggregated(
    api: Api, site: str, streams: Streams
) -> None:
    first = hit(api, site, NOON, ip="198.51.100.1", body={"path": "/a"})
    assert first["counted"] is True and first["buffered"] is True
    assert first["today"] == 1  # nothing aggregated yet, plus this hit
    assert first["online"] == 1  # ...and its visitor, new to "online"
    # The hit wrote no day item and no lane: its note went on its visitor item.
    items = table_dump(api_client())
    assert not [item for item in items if item["sk"]["S"].startswith("DAY#")]
    assert not [item for item in items if item["pk"]["S"].startswith(f"LANE#{site}#")]
    visitors = [item for item in items if item["pk"]["S"].startswith(f"VISITOR#{site}#")]
    assert len(visitors) == 1 and '"u":"/a"' in visitors[0]["h"]["S"]
    streams.drain()
    assert figures(stats(api, site)) == {
        "today": 1,
        "yesterday": 0,
        "month": 1,
        "year": 1,
        "total": 1,
    }
    assert pages(api, site) == {"/a": 1}


def api_client() -> Any:
    from counters.counting.service import default_service

    return default_service().storage.client


def test_redelivered_and_overlapping_batches_add_each_hit_once(
    api: Api, site: str, streams: Streams
) -> None:
    n = 300
    for i in range(n):
        hit(
            api,
            site,
            NOON + timedelta(seconds=i % 60),
            ip=f"198.51.100.{i % 200}",
            body={"path": f"/p{i % 7}"},
        )
    lanes, notes = (
        records(streams, "DayAggregateFunction"),
        records(streams, "ReportAggregateFunction"),
    )
    assert len(lanes) == len(notes) == n
    for handler, batch in ((DAYS, lanes), (REPORTS, notes)):
        # The whole batch, again, in overlapping parts, and in reverse lane order: once.
        assert deliver(handler, batch[:200]) == []
        assert deliver(handler, batch) == []
        assert deliver(handler, batch[100:250]) == []
        assert deliver(handler, batch[::7]) == []
    assert stats(api, site, NOON + timedelta(minutes=2))["today"] == n
    assert pages(api, site) == {f"/p{k}": len(range(k, n, 7)) for k in range(7)}


def test_records_that_are_no_hit_notes_are_skipped_not_retried(
    api: Api, site: str, streams: Streams
) -> None:
    hit(api, site, NOON, ip="198.51.100.1", body={"path": "/a"})
    batch = records(streams, "ReportAggregateFunction")
    good = batch[0]
    bad_note = json.loads(json.dumps(good))
    bad_note["dynamodb"]["NewImage"]["h"]["S"] = '{"n": 1, "t": "x"}'
    bad_note["dynamodb"]["SequenceNumber"] = str(int(good["dynamodb"]["SequenceNumber"]) + 1)
    wrong_item = json.loads(json.dumps(good))
    wrong_item["dynamodb"]["Keys"]["pk"]["S"] = "SALT"
    wrong_item["dynamodb"]["SequenceNumber"] = str(int(good["dynamodb"]["SequenceNumber"]) + 2)
    assert deliver(REPORTS, [good, bad_note, wrong_item]) == []
    assert pages(api, site) == {"/a": 1}


class FailingWrites:
    """Makes the aggregator's ADDs to report values fail: before DynamoDB applies them
    (a timeout on the way), or after (the answer lost: the write stands, the caller sees
    an error). The day's tally of values is retried by the storage itself: not that one."""

    def __init__(self, client: Any, applied: bool, times: int) -> None:
        self.applied, self.left, self.pending = applied, times, False
        client.meta.events.register("before-call.dynamodb.UpdateItem", self.before)
        client.meta.events.register("after-call.dynamodb.UpdateItem", self.after)

    def before(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body", b"")
        text = body.decode() if isinstance(body, bytes) else str(body)
        self.pending = "REPORT#" in text and "ADD v :" in text and self.left > 0
        if self.pending and not self.applied:
            self._fail()

    def after(self, **_: Any) -> None:
        if self.pending and self.applied:
            self._fail()

    def _fail(self) -> None:
        from botocore.exceptions import ReadTimeoutError

        self.left -= 1
        self.pending = False
        raise ReadTimeoutError(endpoint_url="moto")


@pytest.mark.parametrize("applied", [False, True], ids=["not-applied", "answer-lost"])
def test_a_failed_report_write_is_redelivered_and_counted_once(
    api: Api, site: str, streams: Streams, applied: bool
) -> None:
    for i in range(20):
        hit(api, site, NOON, ip=f"198.51.100.{i}", body={"path": f"/p{i % 3}"})
    faults = FailingWrites(api_client(), applied, times=2)
    poller = streams.pollers["ReportAggregateFunction"]
    poller.drain()  # the failed batch is delivered again from its first failed record
    assert poller.failures >= 1 and faults.left == 0
    streams.drain()
    assert pages(api, site) == {"/p0": 7, "/p1": 7, "/p2": 6}
    assert stats(api, site)["today"] == 20


def test_switching_modes_loses_nothing(api: Api, streams: Streams) -> None:
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
    for i in range(3):
        assert (
            hit(api, "portal", NOON, ip=f"198.51.100.{i}", body={"path": "/"})["buffered"] is False
        )
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    reset_warm_state()  # other warm functions see the change within site_cache_seconds
    for i in range(4):
        assert hit(
            api, "portal", NOON + timedelta(seconds=1), ip=f"198.51.100.{i}", body={"path": "/"}
        )["buffered"]
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
    reset_warm_state()
    for i in range(5):
        hit(api, "portal", NOON + timedelta(seconds=2), ip=f"198.51.100.{i}", body={"path": "/"})
    # Hits noted before the switch back are added after it.
    streams.drain()
    assert stats(api, "portal", NOON + timedelta(seconds=3))["today"] == 12
    assert pages(api, "portal") == {"/": 12}


@pytest.mark.parametrize(
    "evening",
    [
        datetime(2025, 6, 30, 16, 59, 0, tzinfo=UTC),  # 23:59 local, last day of June
        datetime(2025, 12, 31, 16, 59, 0, tzinfo=UTC),  # 23:59 local, last day of the year
    ],
    ids=["month-end", "year-end"],
)
def test_one_batch_across_midnight_and_a_month_or_year_end_keeps_figures_exact(
    api: Api, site: str, streams: Streams, evening: datetime
) -> None:
    for i in range(3):
        hit(api, site, evening, ip=f"198.51.100.{i}", body={"path": "/old"})
    for i in range(2):
        hit(api, site, evening + timedelta(minutes=2), ip=f"198.51.100.{i}", body={"path": "/new"})
    streams.drain()  # one batch: the old day is added first, sealed, and the new one opens on it
    after = stats(api, site, evening + timedelta(minutes=3))
    year = 2 if evening.month == 12 else 5
    assert figures(after) == {"today": 2, "yesterday": 3, "month": 2, "year": year, "total": 5}
    with time_machine.travel(evening + timedelta(minutes=3), tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/{site}/pages",
            query={
                "from": evening.date().isoformat(),
                "to": (evening + timedelta(days=1)).date().isoformat(),
            },
        )
    assert {p["path"]: p["pageviews"] for p in answer["pages"]} == {"/old": 3, "/new": 2}


def test_visits_and_online_through_the_visitor_notes(api: Api, streams: Streams) -> None:
    api.register("news", "Asia/Ho_Chi_Minh", mode="buffered")
    for second in range(0, 50, 10):
        hit(api, "news", NOON + timedelta(seconds=second), ip="198.51.100.1")
    hit(api, "news", NOON, ip="198.51.100.2")
    streams.drain()
    answer = stats(api, "news", NOON + timedelta(minutes=1))
    assert answer["today"] == 2  # visits: two visitors, one visit each
    assert answer["online"] == 2


def test_values_past_the_days_cap_count_as_other(
    api: Api, streams: Streams, monkeypatch: pytest.MonkeyPatch
) -> None:
    from counters.aggregation import batches as aggregation

    monkeypatch.setattr(aggregation, "MAX_PAGES_PER_DAY", 3)
    api.register("flood", "Asia/Ho_Chi_Minh", count="pageviews")
    for i in range(8):
        hit(api, "flood", NOON, ip="198.51.100.1", body={"path": f"/made-up-{i}"})
    hit(api, "flood", NOON, ip="198.51.100.1", body={"path": "/made-up-0"})
    streams.drain()
    counted = pages(api, "flood")
    assert sum(counted.values()) == 9
    assert len(counted) == 4 and counted.pop("(other)") == 5
    report_items = [
        i for i in table_dump(api_client()) if i["pk"]["S"].startswith("REPORT#flood#page")
    ]
    assert len(report_items) == 1 + 3 + 1  # the day's tally, 3 values, (other)


def requests_during(action: Callable[[], Any]) -> list[str]:
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client = api_client()
    client.meta.events.register("before-call.dynamodb", count)
    try:
        action()
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)
    return calls


@pytest.fixture
def figures_cached_an_hour(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A high-traffic site's aggregated figures kept an hour (real monotonic time): the
    steady-state count below must not depend on how fast a loaded machine runs it."""
    from counters.settings import settings

    monkeypatch.setenv("BUFFERED_FIGURES_CACHE_SECONDS", "3600")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


@pytest.mark.usefixtures("figures_cached_an_hour")
def test_hit_path_requests_direct_and_high_traffic(api: Api, streams: Streams) -> None:
    api.register("direct", "Asia/Ho_Chi_Minh")
    api.register("busy", "Asia/Ho_Chi_Minh", mode="buffered")
    for name in ("direct", "busy"):
        hit(api, name, NOON, ip="198.51.100.9", body={"path": "/warm"})  # opens the day, salt
    streams.drain()
    direct = requests_during(
        lambda: hit(
            api, "direct", NOON + timedelta(seconds=1), ip="198.51.100.1", body={"path": "/x"}
        )
    )
    assert direct == ["UpdateItem", "UpdateItem"]  # visitor, day item (its note included)
    busy = requests_during(
        lambda: hit(
            api, "busy", NOON + timedelta(seconds=1), ip="198.51.100.1", body={"path": "/x"}
        )
    )
    assert busy == ["UpdateItem"]  # the visitor, with the note (figures read once a window)


def breakdown(api: Api, site: str, dimension: str) -> dict[str, tuple[int, int]]:
    with time_machine.travel(NOON, tick=False):
        status, answer = api.call(
            "GET", f"/v1/sites/{site}/breakdown", query={"dimension": dimension, "limit": "100"}
        )
    assert status == 200, answer
    return {row["value"]: (row["visits"], row["pageviews"]) for row in answer["rows"]}


CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.mark.parametrize("mode", ["direct", "buffered"])
def test_breakdowns_of_real_hits_through_the_stream(api: Api, streams: Streams, mode: str) -> None:
    api.register("portal", "Asia/Ho_Chi_Minh", allowed_origins=["https://portal.gov.vn"], mode=mode)
    referred = {
        "path": "/tin-tuc/a?id=7",
        "referrer": "https://www.google.com.vn/search?q=secret+words",
        "utm": {"utm_source": "zalo", "utm_medium": "social", "utm_campaign": "tet"},
    }
    origin = {"origin": "https://portal.gov.vn", "accept-language": "vi-VN,vi;q=0.9,en;q=0.5"}
    with time_machine.travel(NOON, tick=False):
        # A visit from Google on Android, then an internal click; a desktop visit typed in.
        api.hit(
            "portal",
            body=referred,
            source_ip="14.160.1.2",
            headers={**origin, "user-agent": CHROME_ANDROID},
        )
        api.hit(
            "portal",
            body={"path": "/", "referrer": "https://portal.gov.vn/tin-tuc/a"},
            source_ip="14.160.1.2",
            headers={**origin, "user-agent": CHROME_ANDROID},
        )
        api.hit(
            "portal",
            body={"path": "/"},
            source_ip="203.0.113.7",
            headers={**origin, "user-agent": FIREFOX},
        )
        api.hit(
            "portal", body={"path": "/"}, source_ip="66.249.66.1", headers={"user-agent": GOOGLEBOT}
        )
    streams.drain()
    assert breakdown(api, "portal", "source") == {
        "Google": (1, 1),
        "(internal)": (0, 1),
        "direct": (1, 1),
    }
    assert breakdown(api, "portal", "campaign") == {"zalo / social / tet": (1, 1)}
    assert breakdown(api, "portal", "device") == {"mobile": (1, 2), "desktop": (1, 1)}
    assert breakdown(api, "portal", "hour") == {"12": (2, 3)}
    assert breakdown(api, "portal", "language") == {"vi": (2, 3)}
    assert breakdown(api, "portal", "bot") == {"Googlebot": (0, 1)}
    assert set(breakdown(api, "portal", "browser")) == {"Chrome", "Firefox"}
    # Categories only: no address, User-Agent, full referrer or query string is stored.
    stored = json.dumps(table_dump(api_client()), ensure_ascii=False, default=repr)
    for secret in (
        "14.160.1.2",
        "203.0.113.7",
        "66.249.66.1",
        "SM-A546E",
        "Gecko/20100101",
        "secret",
        "q=",
        "id=7",
        "google.com.vn",
        "Googlebot/2.1",
    ):
        assert secret not in stored, secret


def test_visits_are_read_off_the_visitor_images_across_the_timeout(
    api: Api, streams: Streams
) -> None:
    """A high-traffic hit writes its note before it knows whether it opens a visit: the
    aggregator reads that off the visitor's old and new `seen`, as the answer did."""
    api.register("news", "Asia/Ho_Chi_Minh", mode="buffered")
    answers = [
        hit(api, "news", NOON + timedelta(minutes=minute), ip="198.51.100.1")
        for minute in (0, 10, 39, 70, 70)  # 70: twice in one millisecond
    ]
    # Visits: 0 (new), 39 (29 min after 10: same visit), 70 (31 min after 39: new).
    assert [a["counted"] for a in answers] == [True, False, False, True, False]
    streams.drain()
    after = stats(api, "news", NOON + timedelta(minutes=71))
    assert (after["today"], after["online"]) == (2, 1)


def test_two_shards_redelivered_add_each_hit_once_with_one_mark_per_shard(
    api: Api, site: str, streams: Streams
) -> None:
    """Items from two table partitions stream through two shards, each in order, and their
    batches are delivered again, whole and in part: each hit counts once, and the items
    the aggregators write keep one mark per shard, however many visitors wrote."""
    n = 240
    for i in range(n):
        hit(api, site, NOON + timedelta(seconds=i % 60), ip=f"198.51.100.{i}", body={"path": "/a"})
    for function, handler in (("DayAggregateFunction", DAYS), ("ReportAggregateFunction", REPORTS)):
        batch = records(streams, function)
        assert len(batch) == n
        # As if the visitor items lived on two partitions: one shard each, in order.
        shards = {
            "shardId-00000001700000000000-aaaa0001": [r for r in batch if _partition(r) == 0],
            "shardId-00000001700000000000-bbbb0002": [r for r in batch if _partition(r) == 1],
        }
        assert all(len(part) > n // 4 for part in shards.values())
        first, second = shards.items()
        assert deliver(handler, first[1][:50], first[0]) == []
        assert deliver(handler, second[1][:80], second[0]) == []
        assert deliver(handler, first[1], first[0]) == []  # 50 again, then the rest
        assert deliver(handler, second[1][40:], second[0]) == []
        assert deliver(handler, second[1][::3], second[0]) == []
        assert deliver(handler, first[1][10:20], first[0]) == []
    assert stats(api, site, NOON + timedelta(minutes=2))["today"] == n
    assert pages(api, site) == {"/a": n}
    day = next(item for item in table_dump(api_client()) if item["sk"]["S"] == "DAY#2025-06-15")
    assert len([name for name in day if name.startswith("w_")]) == 2


def _partition(record: dict[str, Any]) -> int:
    return sum(record["dynamodb"]["Keys"]["pk"]["S"].encode()) % 2


def test_the_local_poller_sends_tumbling_window_events_as_lambda_does(
    api: Api, site: str, streams: Streams
) -> None:
    """Events name their shard, carry the window and its state; a window ends with a
    final invocation; an answer without a state is a failed invocation (redelivered)."""
    hit(api, site, NOON, ip="198.51.100.1", body={"path": "/a"})
    poller = streams.pollers["DayAggregateFunction"]
    assert poller.consumer.tumbling_window == 900
    real = poller.handler
    events: list[dict[str, Any]] = []
    answers = iter([{"batchItemFailures": []}])  # the first answer forgets the state

    def recording(event: dict[str, Any], context: Any) -> Any:
        events.append(event)
        return next(answers, None) or real(event, context)

    poller.handler = recording
    poller.drain()  # drains the stream and ends the window it opened
    assert poller.failures == 1 and len(events) == 3
    failed, delivered, final = events
    assert failed["Records"] == delivered["Records"] and len(delivered["Records"]) == 1
    poller._refresh_shards()
    assert delivered["shardId"] in poller._shards
    assert delivered["state"] == {} and delivered["isFinalInvokeForWindow"] is False
    assert set(delivered["window"]) == {"start", "end"}
    assert final["Records"] == [] and final["isFinalInvokeForWindow"] is True
    assert final["window"] == delivered["window"] and final["shardId"] == delivered["shardId"]
    assert stats(api, site, NOON + timedelta(seconds=5))["today"] == 1


def test_forty_digit_sequence_numbers_keep_exactly_once(
    api: Api, site: str, streams: Streams
) -> None:
    """DynamoDB Streams' sequence numbers may have up to 40 digits, past the 38 a DynamoDB
    number holds exactly: these differ in their last digit only, and still add once each."""
    n = 30
    for i in range(n):
        hit(api, site, NOON + timedelta(seconds=i), ip=f"198.51.100.{i}", body={"path": "/a"})
    for function, handler in (("DayAggregateFunction", DAYS), ("ReportAggregateFunction", REPORTS)):
        batch = records(streams, function)
        assert len(batch) == n
        for i, record in enumerate(batch):
            record["dynamodb"]["SequenceNumber"] = str(10**39 + i)
        assert deliver(handler, batch[:10]) == []
        assert deliver(handler, batch) == []  # the first 10 again, then the rest
        assert deliver(handler, batch[5:25]) == []
    assert stats(api, site, NOON + timedelta(minutes=1))["today"] == n
    assert pages(api, site) == {"/a": n}


def test_a_high_traffic_answer_reads_the_figures_of_its_own_day(
    api: Api, site: str, streams: Streams
) -> None:
    """A warm function keeps the last aggregated figures a moment; a hit of another day
    (a clock set back, as tests and skewed instances do) reads that day's anew."""
    api.register("clock", "UTC", mode="buffered")
    tomorrow = datetime(2025, 6, 16, 12, tzinfo=UTC)
    hit(api, "clock", tomorrow, ip="198.51.100.1")
    streams.drain()
    reset_warm_state()  # a function instance that has not read the figures yet
    assert hit(api, "clock", tomorrow, ip="198.51.100.2")["today"] == 2  # 1 aggregated + this
    today = hit(api, "clock", tomorrow - timedelta(days=1), ip="198.51.100.3")
    assert today["date"] == "2025-06-15"
    assert (today["today"], today["yesterday"], today["total"]) == (1, 0, 1)
