"""Bounces a direct site's events end: on the day's events item, never on the day item.

Every direct hit writes its day item, so that item must stay one write unit: the shard
marks that make the events' deltas exactly-once (one per stream shard that brought
events that day: dozens on a busy table) live on an item of their own, read with the
day item.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine

from counters.counting.service import default_service
from tests.conftest import Api, Streams
from tests.integration.test_aggregation import DAYS, FIREFOX, deliver, hit, records

DAY = date(2025, 6, 15)
START = datetime(2025, 6, 15, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City
VISITORS = 12


def event(api: Api, at: datetime, ip: str) -> None:
    with time_machine.travel(at, tick=False):
        status, answer = api.call(
            "POST",
            "/v1/sites/direct/events",
            {"name": "download", "url": "https://b.gov.vn/f.pdf", "path": "/tin-tuc/1"},
            headers={"user-agent": FIREFOX},
            source_ip=ip,
        )
    assert (status, answer) == (200, {"counted": True})


def day_items() -> dict[str, dict[str, Any]]:
    storage = default_service().storage
    answer = storage.table.client.query(
        TableName=storage.table.name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
        ExpressionAttributeValues={":pk": {"S": "SITE#direct"}, ":day": {"S": "DAY#"}},
    )
    return {item["sk"]["S"]: item for item in answer["Items"]}


def bounce_rate(api: Api) -> Any:
    with time_machine.travel(START + timedelta(days=1), tick=False):
        status, answer = api.call(
            "GET", "/v1/sites/direct/summary", query={"from": str(DAY), "to": str(DAY)}
        )
    assert status == 200, answer
    return answer["current"]["bounce_rate"]


def test_events_from_many_shards_end_bounces_without_growing_the_day_item(
    api: Api, streams: Streams
) -> None:
    api.register("direct", "Asia/Ho_Chi_Minh", mode="direct")
    for v in range(VISITORS):  # one page view each; half of them download a file
        ip = f"198.51.100.{v + 1}"
        hit(api, "direct", START + timedelta(minutes=v), ip=ip, body={"path": "/tin-tuc/1"})
        if v % 2 == 0:
            event(api, START + timedelta(minutes=v, seconds=20), ip)
    assert bounce_rate(api) == 1.0  # the events' deltas not added yet
    events = [r for r in records(streams, "DayAggregateFunction") if "he" in str(r)]
    assert len(events) == VISITORS // 2
    for i, record in enumerate(events):  # each from a shard of its own, and twice
        shard = f"shardId-00000001700000000000-{i:08x}"
        assert deliver(DAYS, [record], shard) == []
        assert deliver(DAYS, [record], shard) == []

    assert bounce_rate(api) == 0.5  # half the visits ended their bounce, each once
    items = day_items()
    assert set(items) == {"DAY#2025-06-15", "DAY#2025-06-15#e"}
    marks = [name for name in items["DAY#2025-06-15"] if name.startswith("w_")]
    assert marks == []  # the day item every hit writes took no shard mark
    assert int(items["DAY#2025-06-15#e"]["bn"]["N"]) == -(VISITORS // 2)
    # The day item is still the site's latest day (the events item sorts after it).
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert api.stats("direct")["today"] == VISITORS
