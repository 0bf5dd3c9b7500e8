"""Requests per operation, through the real handlers on moto, counted on the client.

Every DynamoDB and SQS call is counted by a botocore event hook on the
clients the functions use, with the key each write lands on, so the same run
gives requests per operation, the hottest key's writes per hit and the
bytes a write unit is billed on. Once-a-day openings and first-call cache
fills are measured apart from the steady state.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
WRITES = {"UpdateItem", "PutItem", "DeleteItem"}


@dataclass
class Calls:
    """What the hooked clients were asked to do."""

    names: list[str] = field(default_factory=list)
    writes_per_key: Counter[str] = field(default_factory=Counter)

    def hook(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.names.append(model.name)
        if model.name in WRITES:
            self.writes_per_key[_key(params.get("Key") or params.get("Item") or {})] += 1
        elif model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                (action,) = item.values()
                self.writes_per_key[_key(action.get("Key") or action.get("Item") or {})] += 1

    def clear(self) -> None:
        self.names.clear()
        self.writes_per_key.clear()


def _key(key: dict[str, Any]) -> str:
    return f"{key.get('pk', {}).get('S')}|{key.get('sk', {}).get('S')}"


@dataclass
class Figures:
    per_operation: dict[str, tuple[float, str]]  # name -> (requests per op, what they were)
    once: dict[str, tuple[int, str]]  # openings and cache fills
    hot_writes_per_hit: dict[str, float]  # mode -> writes on the hottest key per hit
    hot_key: dict[str, str]
    day_item_bytes: int
    buffered_batch_hits: int
    aggregator_transactions_per_hit: float
    aggregator_requests_per_batch: float


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's billed size of an item: attribute names plus values (approximate for numbers)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, data),) = value.items()
        if kind == "S":
            size += len(data.encode())
        elif kind == "N":
            size += math.ceil(len(data.lstrip("-").replace(".", "")) / 2) + 1
        elif kind == "B":
            size += len(data)
        elif kind == "L":
            size += 3 + sum(item_size({"": v}) for v in data)
        else:
            size += 1
    return size


def _summary(names: list[str], operations: int) -> tuple[float, str]:
    counted = Counter(names)
    what = ", ".join(f"{n} {k}" for k, n in sorted(counted.items())) or "none"
    return len(names) / operations, what


@contextmanager
def _moto() -> Iterator[tuple[Any, Any]]:
    from moto import mock_aws

    from local.template import create_tables

    with mock_aws():
        import boto3

        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(dynamodb)
        sqs = boto3.client("sqs", region_name="us-east-1")
        yield dynamodb, sqs


def measure(hits: int = 300) -> Figures:
    import os

    from counters.service import default_service
    from counters.settings import settings
    from local.lambda_env import InProcessApi, LambdaContext

    per_operation: dict[str, tuple[float, str]] = {}
    once: dict[str, tuple[int, str]] = {}
    with _moto() as (dynamodb, sqs):
        os.environ["QUEUE_URL"] = sqs.create_queue(QueueName="HitQueue")["QueueUrl"]
        settings.cache_clear()
        default_service.cache_clear()  # a fresh warm instance: clients on moto

        counter = default_service()
        calls = Calls()
        counter.storage.client.meta.events.register("before-parameter-build.dynamodb", calls.hook)
        assert counter.queue is not None
        counter.queue.client.meta.events.register("before-parameter-build.sqs", calls.hook)
        api = InProcessApi()
        api.register("direct", "UTC")
        api.register("buffered", "UTC", mode="buffered")

        def cost(name: str, operations: int, action: Callable[[int], Any]) -> None:
            calls.clear()
            for i in range(operations):
                action(i)
            per_operation[name] = _summary(calls.names, operations)

        def once_cost(name: str, action: Callable[[], Any]) -> None:
            calls.clear()
            action()
            once[name] = (len(calls.names), _summary(calls.names, 1)[1])

        def hit(site: str, ip: str, ua: str = FIREFOX, path: str | None = None) -> Any:
            body = {"path": path} if path else None
            return api.hit(site, body=body, headers={"user-agent": ua}, source_ip=ip)

        # -- direct mode ------------------------------------------------------------
        once_cost("first hit of the day (site, salt, open day)", lambda: hit("direct", "10.0.0.1"))

        def ip(prefix: str, i: int) -> str:
            return f"{prefix}.{i // 250}.{i % 250}"

        cost("counted hit (direct)", hits, lambda i: hit("direct", ip("10.1", i)))
        direct_hot = calls.writes_per_key.most_common(1)[0]
        cost("repeat hit in the visit (direct)", hits, lambda i: hit("direct", ip("10.1", i)))
        cost(
            "counted hit with a path (direct)",
            hits,
            lambda i: hit("direct", ip("10.3", i), path=f"/tin-tuc/{i % 7}"),
        )
        cost("skipped hit (bot)", hits, lambda i: hit("direct", "10.2.0.1", BOT))
        cost("stats read", hits, lambda i: api.stats("direct"))
        year = datetime.now(UTC).year

        def series(_: int) -> None:
            status, answer = api.call(
                "GET",
                "/v1/sites/direct/series",
                query={"granularity": "day", "from": f"{year}-01-01", "to": f"{year}-12-31"},
            )
            assert status == 200, answer

        cost("series read of a year (days)", hits, series)
        day_item = dynamodb.query(
            TableName=os.environ["TABLE_NAME"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "SITE#direct"}},
        )["Items"][-1]
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        import time_machine

        with time_machine.travel(tomorrow, tick=True):
            once_cost("first hit of the next day (seal, open)", lambda: hit("direct", "10.0.0.9"))
            hit("direct", "10.0.0.10")  # what follows the opening is steady state again

        # -- buffered mode ----------------------------------------------------------
        once_cost("first buffered hit (fills)", lambda: hit("buffered", "10.3.0.1"))
        start = time.monotonic()
        cost("counted hit (buffered)", hits, lambda i: hit("buffered", ip("10.4", i)))
        buffered_seconds = time.monotonic() - start
        name = "counted hit (buffered)"
        requests, what = per_operation[name]
        per_operation[name] = (
            requests,
            f"{what}; the figures' Query: once per "
            f"{settings().buffered_figures_cache_seconds:g} s per warm function"
            f" ({hits} hits took {buffered_seconds:.1f} s here)",
        )
        records = _drain(sqs, os.environ["QUEUE_URL"])
        from handlers.aggregate import lambda_handler as aggregate

        batch = len(records)
        calls.clear()
        answer = aggregate({"Records": records}, LambdaContext())
        assert answer["batchItemFailures"] == [], answer
        aggregator_names = list(calls.names)
        buffered_hot = calls.writes_per_key.most_common(1)[0]
        transactions = aggregator_names.count("TransactWriteItems")
        day_writes = sum(n for key, n in calls.writes_per_key.items() if "|DAY#" in key)
        del os.environ["QUEUE_URL"]
        settings.cache_clear()
        default_service.cache_clear()
    direct_hits = hits
    return Figures(
        per_operation=per_operation,
        once=once,
        hot_writes_per_hit={
            "direct": direct_hot[1] / direct_hits,
            "buffered": day_writes / batch,
        },
        hot_key={"direct": direct_hot[0], "buffered": buffered_hot[0]},
        day_item_bytes=item_size(day_item),
        buffered_batch_hits=batch,
        aggregator_transactions_per_hit=transactions / batch,
        aggregator_requests_per_batch=len(aggregator_names),
    )


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return records
        for message in messages:
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": {"ApproximateReceiveCount": "1"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:HitQueue",
                    "awsRegion": "us-east-1",
                }
            )
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def median(values: list[float]) -> float:
    return statistics.median(values)


def as_json(figures: Figures) -> str:
    return json.dumps(figures.__dict__, default=str, indent=2)
