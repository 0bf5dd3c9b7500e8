"""Requests and write units per operation, through the real handlers on moto, counted on the client.

Every DynamoDB call is counted by a botocore event hook on the client the
functions use, with the key each write lands on, so the same run gives requests
per operation, write units (from the written items' sizes), the hottest key's
writes per hit, and what the aggregators (fed the table's real stream records,
local.streams) spend per hit. Once-a-day openings and first-call cache fills are
measured apart from the steady state. Hits carry distinct real User-Agents,
addresses, paths and referrers, as portal traffic does.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.hostile import real_user_agents

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
WRITES = {"UpdateItem", "PutItem", "DeleteItem"}
READS = {"GetItem", "Query", "BatchGetItem"}
REFERRERS = ["https://www.google.com/", "https://www.facebook.com/", "", "https://zalo.me/", ""]


@dataclass
class Calls:
    """What the hooked client was asked to do."""

    names: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # the key of each write
    writes_per_key: Counter[str] = field(default_factory=Counter)

    def hook(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.names.append(model.name)
        if model.name in WRITES:
            key = _key(params.get("Key") or params.get("Item") or {})
            self.writes.append(key)
            self.writes_per_key[key] += 1

    def clear(self) -> None:
        self.names.clear()
        self.writes.clear()
        self.writes_per_key.clear()


def _key(key: dict[str, Any]) -> str:
    return f"{key.get('pk', {}).get('S')}|{key.get('sk', {}).get('S')}"


@dataclass
class Cost:
    """Requests and units per operation."""

    requests: float
    wru: float
    reads: float
    what: str


@dataclass
class Figures:
    per_operation: dict[str, Cost]
    once: dict[str, tuple[int, str]]  # openings and cache fills
    aggregators: dict[str, Cost]  # per hit: the report and day aggregators
    hot_writes_per_hit: dict[str, float]  # mode -> writes on the hottest key per hit
    hot_key: dict[str, str]
    day_item_bytes: int
    hot_hits: int
    # Visitor and day items' sizes (< 1 KB: 1 WRU a write): typical, and with the longest
    # path a hit may name (1,000 UTF-8 bytes) on every hit of the visit.
    item_bytes: dict[str, int] = field(default_factory=dict)


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


@contextmanager
def _moto() -> Iterator[tuple[Any, Any]]:
    """moto's DynamoDB in this process, its stream read through moto's server (same state)."""
    import boto3
    from moto import mock_aws
    from moto.server import ThreadedMotoServer

    from local.buckets import create_buckets
    from local.cloudformation import create_tables

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name="us-east-1")
            create_tables(dynamodb)
            create_buckets(boto3.client("s3", region_name="us-east-1"))
            streams = boto3.client(
                "dynamodbstreams", region_name="us-east-1", endpoint_url=f"http://{host}:{port}"
            )
            yield dynamodb, streams
    finally:
        server.stop()


def _pollers(dynamodb: Any, streams: Any) -> dict[str, Any]:
    import importlib

    from local.cloudformation import stream_consumers
    from local.streams import StreamPoller

    arn = dynamodb.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["LatestStreamArn"]
    pollers = {}
    for consumer in stream_consumers():
        module, _, name = consumer.handler.rpartition(".")
        handler = getattr(importlib.import_module(module), name)
        pollers[consumer.function] = StreamPoller(consumer, handler, streams, arn)
    return pollers


# A small portal: ~10,800 page views a day, 0.125 a second (daytime traffic aside).
SMALL_PORTAL_HITS_A_SECOND = 0.125


def small_portal_batch() -> int:
    """Hits in one report batch of a small portal: its rate times the template's window."""
    from local.cfn_template import load_template, parameter_defaults

    window = float(parameter_defaults(load_template())["ReportsBatchingWindow"])
    return max(1, round(SMALL_PORTAL_HITS_A_SECOND * window))


def measure(hits: int = 300, hot_hits: int = 2000) -> Figures:
    from counters.counting.service import default_service
    from counters.settings import settings
    from local.lambda_env import InProcessApi

    per_operation: dict[str, Cost] = {}
    once: dict[str, tuple[int, str]] = {}
    aggregators: dict[str, Cost] = {}
    agents = real_user_agents()
    with _moto() as (dynamodb, streams):
        settings.cache_clear()
        default_service.cache_clear()  # a fresh warm instance: clients on moto
        service = default_service()
        calls = Calls()
        service.storage.client.meta.events.register("before-parameter-build.dynamodb", calls.hook)
        pollers = _pollers(dynamodb, streams)
        api = InProcessApi()
        api.register("direct", "UTC", allowed_origins=["https://portal.gov.vn"])
        api.register("busy", "UTC", mode="buffered", allowed_origins=["https://portal.gov.vn"])
        sizes: dict[str, int] = {}

        def wru(keys: list[str]) -> float:
            total = 0
            for key in keys:
                if key not in sizes:
                    pk, _, sk = key.partition("|")
                    found = dynamodb.get_item(
                        TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}}
                    ).get("Item")
                    sizes[key] = item_size(found) if found else 0
                total += max(1, math.ceil(sizes[key] / 1024))
            return total

        def summary(operations: int) -> Cost:
            counted = Counter(calls.names)
            what = ", ".join(f"{n} {k}" for k, n in sorted(counted.items())) or "none"
            reads = sum(1 for name in calls.names if name in READS)
            return Cost(
                len(calls.names) / operations,
                wru(calls.writes) / operations,
                reads / operations,
                what,
            )

        def cost(name: str, operations: int, action: Callable[[int], Any]) -> None:
            calls.clear()
            sizes.clear()
            for i in range(operations):
                action(i)
            per_operation[name] = summary(operations)

        def once_cost(name: str, action: Callable[[], Any]) -> None:
            calls.clear()
            action()
            once[name] = (len(calls.names), summary(1).what)

        def aggregate(name: str, function: str, noted_hits: int) -> None:
            calls.clear()
            sizes.clear()
            pollers[function].drain()
            aggregators[name] = summary(noted_hits)

        def hit(
            site: str, i: int, path: bool = True, agent: str | None = None, long: bool = False
        ) -> Any:
            page = f"/tin-tuc/{i % 37}" if not long else LONGEST_PATH
            body = {"path": page, "referrer": REFERRERS[i % len(REFERRERS)]}
            headers = {
                "user-agent": agent or agents[i % len(agents)],
                "origin": "https://portal.gov.vn",
                "accept-language": "vi-VN,vi;q=0.9",
            }
            return api.hit(site, body=body if path else None, headers=headers, source_ip=ip(i))

        def ip(i: int) -> str:
            return f"14.{160 + i // 60000}.{i // 250 % 240}.{i % 250}"

        # -- direct mode --------------------------------------------------------------
        once_cost("first hit of the day (site, salt, open day)", lambda: hit("direct", 10**6))
        pollers["ReportAggregateFunction"].drain()
        cost("counted hit, new visit (direct)", hits, lambda i: hit("direct", i))
        direct_hot = calls.writes_per_key.most_common(1)[0]
        cost("repeat hit in the visit (direct)", hits, lambda i: hit("direct", i))
        # The aggregators' share is measured on the same traffic for both modes.
        aggregate("reports, per hit (direct)", "ReportAggregateFunction", 2 * hits)
        # A small portal's report batch holds few hits (38 in the default 300 s window):
        # each batch writes each value it saw, so a hit pays more of them.
        reports = pollers["ReportAggregateFunction"]
        cost("small portal hit (direct)", hits, lambda i: hit("direct", 10 * hits + i))
        full = reports.consumer
        reports.consumer = replace(full, batch_size=small_portal_batch())
        aggregate("reports, per hit (small portal, direct)", "ReportAggregateFunction", hits)
        reports.consumer = full
        cost("counted hit without a path (direct)", hits, lambda i: hit("direct", hits + i, False))
        cost("bot hit (direct: family noted)", hits, lambda i: hit("direct", i, agent=BOT))

        def event(i: int) -> None:
            # A download by a visitor of the hits above: one write on its visitor item.
            body = {"name": "download", "url": f"https://portal.gov.vn/van-ban/{i % 50}.pdf"}
            headers = {"user-agent": agents[i % len(agents)], "origin": "https://portal.gov.vn"}
            status, answer = api.call(
                "POST", "/v1/sites/direct/events", body, headers=headers, source_ip=ip(i)
            )
            assert status == 200 and answer["counted"], answer

        pollers["ReportAggregateFunction"].drain()
        cost("event (a download; any mode)", hits, event)
        aggregate("reports, per event", "ReportAggregateFunction", hits)
        # Downloads by the visitors of one page view (without a path) above: each ends its
        # visit's bounce, which the day aggregator adds to the direct day item.
        cost("event ending a bounce (direct)", hits, lambda i: event(hits + i))
        aggregate("reports, per event ending a bounce", "ReportAggregateFunction", hits)
        aggregate("days, per event ending a bounce (direct)", "DayAggregateFunction", hits)
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
            KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
            ExpressionAttributeValues={":pk": {"S": "SITE#direct"}, ":day": {"S": "DAY#"}},
        )["Items"][-1]
        import time_machine

        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=True):
            # The same visitors after 31 minutes: a second visit of the day, whose second hit
            # stores its start (one more write, see counters.counting.engagement).
            cost("returning visit, 1st hit (direct)", hits, lambda i: hit("direct", i))
            cost("returning visit, 2nd hit (direct)", hits, lambda i: hit("direct", i))
            hit("direct", 10**6 + 5, long=True)
            hit("direct", 10**6 + 5, long=True)  # the longest entry and last pages
        sizes_of = _largest_items(dynamodb)
        item_bytes = {
            "visitor item (direct), typical": sizes_of("VISITOR#direct#", typical=True),
            "visitor item (direct), longest paths": sizes_of("VISITOR#direct#"),
            "day item with its note (direct), longest paths": sizes_of("SITE#direct", "DAY#"),
        }
        with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=True):
            once_cost("first hit of the next day (seal, open)", lambda: hit("direct", 10**6 + 1))
            hit("direct", 10**6 + 2)  # what follows the opening is steady state again
        pollers["ReportAggregateFunction"].drain()

        # -- high-traffic mode ------------------------------------------------------------
        once_cost("first high-traffic hit (fills)", lambda: hit("busy", 10**6 + 3))
        pollers["DayAggregateFunction"].drain()
        pollers["ReportAggregateFunction"].drain()
        cost("counted hit, new visit (high-traffic)", hits, lambda i: hit("busy", i))
        cost("repeat hit in the visit (high-traffic)", hits, lambda i: hit("busy", i))
        aggregate("day counters, per hit (high-traffic)", "DayAggregateFunction", 2 * hits)
        aggregate("reports, per hit (high-traffic)", "ReportAggregateFunction", 2 * hits)
        hit("busy", 10**6 + 6, long=True)
        hit("busy", 10**6 + 6, long=True)
        item_bytes["visitor item (high-traffic), typical"] = sizes_of("VISITOR#busy#", typical=True)
        item_bytes["visitor item (high-traffic), longest paths"] = sizes_of("VISITOR#busy#")

        # The hottest key at high traffic: hits write only visitor items, and the day
        # item takes one write per batch of 1,000 (per shard).
        calls.clear()
        for i in range(hot_hits):
            hit("busy", 2 * hits + i)
        pollers["DayAggregateFunction"].drain()
        day_writes = max(n for key, n in calls.writes_per_key.items() if "|DAY#" in key)
        busy_hot = calls.writes_per_key.most_common(1)[0]
        default_service.cache_clear()
    return Figures(
        per_operation=per_operation,
        once=once,
        aggregators=aggregators,
        hot_writes_per_hit={
            "direct": direct_hot[1] / hits,
            "high-traffic": busy_hot[1] / hot_hits,
            "high-traffic day item": day_writes / hot_hits,
        },
        hot_key={"direct": direct_hot[0], "high-traffic": busy_hot[0]},
        day_item_bytes=item_size(day_item),
        hot_hits=hot_hits,
        item_bytes=item_bytes,
    )


# The longest path a hit may name: 333 three-byte characters and "/", 1,000 UTF-8 bytes.
LONGEST_PATH = "/" + "ệ" * 400


def _largest_items(dynamodb: Any) -> Callable[..., int]:
    def size(pk_prefix: str, sk_prefix: str = "", typical: bool = False) -> int:
        items = [
            item
            for page in dynamodb.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"])
            for item in page["Items"]
            if item["pk"]["S"].startswith(pk_prefix) and item["sk"]["S"].startswith(sk_prefix)
        ]
        sizes = sorted(item_size(item) for item in items)
        return sizes[len(sizes) // 2] if typical else sizes[-1]

    return size


def as_json(figures: Figures) -> str:
    return json.dumps(figures.__dict__, default=str, indent=2)
