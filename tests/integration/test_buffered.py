"""The buffered (high-traffic) mode: hits through SQS (moto), batches through the aggregator.

SQS events are built from the messages the hit function really sent, so that
duplicated deliveries, poisoned records and retries can be staged exactly.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import Api, LambdaContext, reset_warm_state, table_dump
from tests.figures import figures

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
NOON = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


@pytest.fixture
def queue(dynamodb: Any) -> Iterator[str]:
    """A moto SQS queue that the hit function sends buffered hits to."""
    import boto3

    from counters.settings import settings

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="HitQueue")["QueueUrl"]
    before = os.environ.get("QUEUE_URL")
    os.environ["QUEUE_URL"] = url
    settings.cache_clear()
    reset_warm_state()
    yield url
    if before is not None:
        os.environ["QUEUE_URL"] = before
    settings.cache_clear()


def hit(api: Api, site: str, at: datetime, ip: str, **kwargs: Any) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.hit(site, headers={"user-agent": FIREFOX}, source_ip=ip, **kwargs)


def stats(api: Api, site: str, at: datetime) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.stats(site)


def drain(url: str, at: datetime = NOON) -> list[dict[str, Any]]:
    """Every message waiting in the queue, as SQS event records (and deleted from the queue)."""
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        # (at the time of the hits: moto drops messages older than the queue's retention)
        return _drain(url)


def _drain(url: str) -> list[dict[str, Any]]:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    records = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return records
        for message in messages:
            records.append(record(message["Body"], message["MessageId"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def record(body: str, message_id: str | None = None) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:HitQueue",
        "awsRegion": "us-east-1",
    }


def aggregate(records: list[dict[str, Any]], at: datetime = NOON) -> list[str]:
    """Runs the aggregator on one batch; returns the ids of the records it reported failed."""
    from handlers.aggregate import lambda_handler

    with time_machine.travel(at, tick=False):
        answer = lambda_handler({"Records": records}, LambdaContext())
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


@pytest.fixture
def site(api: Api, queue: str) -> str:
    api.register("election", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    return "election"


def test_buffered_hits_answer_at_once_and_say_so(api: Api, site: str, queue: str) -> None:
    first = hit(api, site, NOON, ip="198.51.100.1")
    assert first["counted"] is True and first["buffered"] is True
    assert first["today"] == 1  # nothing aggregated yet, plus this hit
    # Nothing was written to the day item by the hit itself.
    assert not [item for item in table_dump(api_client()) if item["sk"]["S"].startswith("DAY#")]
    assert aggregate(drain(queue)) == []
    assert figures(stats(api, site, NOON)) == {
        "today": 1,
        "yesterday": 0,
        "month": 1,
        "year": 1,
        "total": 1,
    }


def api_client() -> Any:
    from counters.service import default_counter

    return default_counter().storage.client


def test_n_hits_with_duplicated_deliveries_and_a_poisoned_record(
    api: Api, site: str, queue: str
) -> None:
    n = 250  # more than the 99 hits one transaction carries
    for i in range(n):
        hit(api, site, NOON + timedelta(seconds=i % 60), ip=f"198.51.100.{i % 200}")
    records = drain(queue)
    assert len(records) == n
    poisoned = record('{"v": 1, "site": "election", "day": "not a day"}')
    # The same message delivered twice in one batch, and one a second time with a new id
    # (SendMessage retried after a lost answer).
    first_batch = [*records[:150], records[3], record(records[7]["body"]), poisoned]
    assert aggregate(first_batch) == [poisoned["messageId"]]
    # The whole batch again, then an overlapping batch of other composition: nothing twice.
    assert aggregate(first_batch) == [poisoned["messageId"]]
    assert aggregate(records[100:]) == []
    assert aggregate(records[::7]) == []
    assert stats(api, site, NOON + timedelta(minutes=2))["today"] == n


def test_a_failed_group_is_reported_and_counted_on_redelivery(
    api: Api, site: str, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from counters.service import Counter

    api.register("other", "UTC", count="pageviews", mode="buffered")
    for i in range(5):
        hit(api, site, NOON, ip=f"198.51.100.{i}")
        hit(api, "other", NOON, ip=f"198.51.100.{i}")
    records = drain(queue)
    real = Counter.count_batch

    def failing(self: Counter, group: Any) -> int:
        if group.site == "other":
            raise RuntimeError("throttled")
        return real(self, group)

    monkeypatch.setattr(Counter, "count_batch", failing)
    failed = aggregate(records)
    others = [r["messageId"] for r in records if json.loads(r["body"])["site"] == "other"]
    assert sorted(failed) == sorted(others)
    monkeypatch.setattr(Counter, "count_batch", real)
    # SQS redelivers the failed ones (here with the whole batch, which must not matter).
    assert aggregate(records) == []
    assert stats(api, site, NOON)["today"] == 5
    assert stats(api, "other", NOON)["today"] == 5


def test_switching_modes_loses_nothing(api: Api, queue: str) -> None:
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
    for i in range(3):
        assert hit(api, "portal", NOON, ip=f"198.51.100.{i}")["buffered"] is False
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    reset_warm_state()  # other warm functions see the change within site_cache_seconds
    for i in range(4):
        assert hit(api, "portal", NOON + timedelta(seconds=1), ip=f"198.51.100.{i}")["buffered"]
    in_flight = drain(queue)
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
    reset_warm_state()
    for i in range(5):
        hit(api, "portal", NOON + timedelta(seconds=2), ip=f"198.51.100.{i}")
    # Hits buffered before the switch back are added after it.
    assert aggregate(in_flight) == []
    assert stats(api, "portal", NOON + timedelta(seconds=3))["today"] == 12


def test_rollover_in_the_aggregator_keeps_figures_exact(api: Api, site: str, queue: str) -> None:
    evening = datetime(2025, 6, 30, 16, 59, 0, tzinfo=UTC)  # 23:59 local, last day of June
    for i in range(3):
        hit(api, site, evening, ip=f"198.51.100.{i}")
    before_midnight = drain(queue, evening)
    for i in range(2):
        hit(api, site, evening + timedelta(minutes=2), ip=f"198.51.100.{i}")
    after_midnight = drain(queue, evening)
    # One batch across midnight: the old day is added first, sealed, and July opens on it.
    assert aggregate(before_midnight + after_midnight, evening + timedelta(minutes=3)) == []
    july = stats(api, site, evening + timedelta(minutes=3))
    assert figures(july) == {"today": 2, "yesterday": 3, "month": 2, "year": 5, "total": 5}


def test_visits_and_online_through_the_buffer(api: Api, queue: str) -> None:
    api.register("news", "Asia/Ho_Chi_Minh", mode="buffered")
    for second in range(0, 50, 10):
        hit(api, "news", NOON + timedelta(seconds=second), ip="198.51.100.1")
    hit(api, "news", NOON, ip="198.51.100.2")
    assert aggregate(drain(queue)) == []
    answer = stats(api, "news", NOON + timedelta(minutes=1))
    assert answer["today"] == 2  # visits: two visitors, one visit each
    assert answer["online"] == 2


# -- per-page counts ------------------------------------------------------------------------

# Raw paths as pages send them, and the row each is counted under.
PATHS = {
    "/tin-tuc/a": "/tin-tuc/a",
    "/tin-tuc/a?utm=1": "/tin-tuc/a",
    "/": "/",
    "/lien-he/": "/lien-he",
    "/tin-t%E1%BB%A9c": "/tin-tức",
}


def pages(api: Api, site: str, at: datetime = NOON) -> dict[str, int]:
    with time_machine.travel(at, tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/{site}/pages",
            query={"from": "2025-06-01", "to": "2025-06-30", "limit": "100"},
        )
    assert status == 200, answer
    return {page["path"]: page["pageviews"] for page in answer["pages"]}


class PageWriteFaults:
    """Fails the first page transaction (cancelled, as DynamoDB does when throttled) and loses
    the answer of the second after DynamoDB applied it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.page_transactions = self.lost = 0
        self.pending = False
        client.meta.events.register(
            "before-parameter-build.dynamodb.TransactWriteItems", self.before
        )
        client.meta.events.register("after-call.dynamodb.TransactWriteItems", self.after)

    def before(self, params: dict[str, Any], **_: Any) -> None:
        self.pending = params["TransactItems"][0]["Update"]["Key"]["pk"]["S"].startswith("PAGES#")
        if not self.pending:
            return
        self.page_transactions += 1
        if self.page_transactions == 1:
            reasons = [{"Code": "ThrottlingError"}] + [{"Code": "None"}] * (
                len(params["TransactItems"]) - 1
            )
            raise self.client.exceptions.TransactionCanceledException(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "throttled"},
                    "CancellationReasons": reasons,
                },
                "TransactWriteItems",
            )

    def after(self, **_: Any) -> None:
        if self.pending and self.page_transactions == 2:
            from botocore.exceptions import ReadTimeoutError

            self.lost += 1
            raise ReadTimeoutError(endpoint_url="https://dynamodb")


def test_page_counts_through_the_buffer_are_exact_and_equal_direct_mode(
    api: Api, site: str, queue: str
) -> None:
    api.register("mirror", "Asia/Ho_Chi_Minh", count="pageviews")  # direct mode
    raw = list(PATHS)
    n = 200
    expected: dict[str, int] = {}
    for i in range(n):
        # Half the hits on one page: more than one transaction's 99 hits; some without a path.
        path = "/hot" if i % 2 == 0 else raw[i % 5] if i % 11 else None
        body = {"path": path} if path is not None else None
        at, ip = NOON + timedelta(seconds=i % 60), f"198.51.100.{i % 200}"
        hit(api, site, at, ip, body=body)
        hit(api, "mirror", at, ip, body=body)
        if path is not None:
            row = PATHS.get(path, path)
            expected[row] = expected.get(row, 0) + 1
    api.register("other", "UTC", mode="buffered")
    hit(api, "other", NOON, "198.51.100.1")  # (a batch whose every record fails raises instead)
    *records, other = drain(queue)
    assert len(records) == n
    faults = PageWriteFaults(api_client())
    first_batch = [*records[:150], records[3], record(records[7]["body"])]
    # A page write fails: the whole group is reported (its day part is added, once).
    failed = aggregate([*first_batch, other])
    assert set(failed) == {r["messageId"] for r in first_batch}
    assert stats(api, site, NOON + timedelta(minutes=2))["today"] == 150
    # Redelivered whole (one page answer lost and re-sent on the way), then overlapping batches.
    assert aggregate(first_batch) == []
    assert faults.lost == 1 and faults.page_transactions > 3
    assert aggregate(records[100:]) == []
    assert aggregate(records[::7]) == []
    assert aggregate(records) == []
    assert stats(api, site, NOON + timedelta(minutes=2))["today"] == n
    assert pages(api, site) == expected
    assert pages(api, "mirror") == expected
    assert expected["/hot"] == 100 and expected["/tin-tuc/a"] > 0
    # A page marker per hit with a path, expiring with the hit's COUNTED marker.
    items = table_dump(api_client())
    markers = {(i["pk"]["S"], i["sk"]["S"]): i.get("expires_at") for i in items}
    page_markers = [key for key in markers if key[1] == "PAGE"]
    assert len(page_markers) == sum(expected.values())
    assert all(markers[pk, "PAGE"] == markers[pk, "COUNTED"] for pk, _ in page_markers)


def test_switching_modes_loses_no_page_counts(api: Api, queue: str) -> None:
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
    for i in range(3):
        hit(api, "portal", NOON, ip=f"198.51.100.{i}", body={"path": "/a"})
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews", mode="buffered")
    reset_warm_state()
    for i in range(4):
        hit(api, "portal", NOON + timedelta(seconds=1), ip=f"198.51.100.{i}", body={"path": "/a/"})
    hit(api, "portal", NOON + timedelta(seconds=1), ip="198.51.100.9", body={"path": "/b"})
    in_flight = drain(queue)
    api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
    reset_warm_state()
    for i in range(5):
        hit(api, "portal", NOON + timedelta(seconds=2), ip=f"198.51.100.{i}", body={"path": "/a"})
    assert aggregate(in_flight) == []
    assert aggregate(in_flight) == []  # redelivered after the switch back: nothing twice
    assert pages(api, "portal") == {"/a": 12, "/b": 1}


@pytest.mark.parametrize("path", ["no-slash", "/" + "x" * 1000, "/\ud800", 7])
def test_a_message_with_a_path_no_page_key_can_hold_is_poisoned(
    api: Api, site: str, queue: str, path: Any
) -> None:
    hit(api, site, NOON, ip="198.51.100.1", body={"path": "/ok"})
    [good] = drain(queue)
    body = json.loads(good["body"])
    bad = record(json.dumps({**body, "id": "f" * 32, "path": path}))
    assert aggregate([good, bad]) == [bad["messageId"]]
    assert pages(api, site) == {"/ok": 1}
