"""Month rollups: a range of pages or a breakdown is what its day items add up to (every
figure: visits, page views, a page's entries, bounces, duration and exits), and its read
costs one Query a month, whatever the number of days (moto, clock frozen)."""

from __future__ import annotations

import math
import os
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from botocore.exceptions import ReadTimeoutError

from counters.aggregation import batches
from counters.aggregation.aggregator import StreamAggregator
from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote
from counters.counting.service import default_service
from counters.storage import Storage
from counters.storage.keys import report_pk, report_sk, rollup_pk
from counters.storage.updates import mark
from tests.conftest import Api, table_dump

SITE = "portal"
# Days with traffic, across two month ends (2025 is no leap year).
DAYS = [date(2025, 1, d) for d in (30, 31)] + [date(2025, 2, d) for d in (1, 15, 28)]
DAYS.append(date(2025, 3, 1))
FIRST, LAST = DAYS[0], DAYS[-1]
PATHS = [f"/tin-tuc/{i}" for i in range(9)]
SOURCES = ["Google", "Facebook", "Direct", "Zalo", "baomoi.com"]
FIGURES = ("v", "p", "ev", "eb", "ed", "x")


def noted(day: date, sequence: int, rng: random.Random) -> NotedHit:
    """A hit of a random page, source and visit: a later hit of a visit moves its exit
    page and changes its entry page's bounces and duration, as the visitor item tells."""
    first = rng.random() < 0.4
    note = HitNote(
        token=f"tok{sequence:08d}",
        day=day,
        hour=rng.randrange(24),
        visits=int(first),
        pageviews=1,
        window=0,
        first_in_window=0,
        new_since_previous=0,
        path=rng.choice(PATHS),
        facts={"source": rng.choice(SOURCES)},
        in_visit=True,
        bounces=1 if first else rng.choice((0, -1)),
        duration_ms=0 if first else rng.randrange(1, 90_000),
        entry=rng.choice(PATHS),
        left=None if first else rng.choice(PATHS),
    )
    return NotedHit(SITE, note, "s", sequence, buffered=False)


class FailingRolls:
    """Makes every write to a month rollup time out while armed (the storage retries
    timeouts, so they fail for good), as a throttled or lost write would."""

    def __init__(self, client: Any) -> None:
        self.armed = False
        self.failed = 0
        client.meta.events.register("before-call.dynamodb.UpdateItem", self.before)

    def before(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body", b"")
        if self.armed and b"ROLLUP#" in (body if isinstance(body, bytes) else body.encode()):
            self.failed += 1
            raise ReadTimeoutError(endpoint_url="moto")


def deliver(aggregator: StreamAggregator, batch: list[NotedHit], faults: FailingRolls) -> None:
    """As Lambda does: a batch with failed records is delivered again from the first of them."""
    while batch:
        outcome = aggregator.add_reports(batch)
        faults.armed = False  # a redelivery goes through
        if not outcome.failed:
            return
        first = min(hit.sequence for hits, _ in outcome.failed for hit in hits)
        batch = [hit for hit in batch if hit.sequence >= first]


def day_item_sums(
    dump: list[dict[str, Any]], dimension: str, first: date, last: date
) -> dict[str, tuple[int, ...]]:
    """The model: every day item of the range, read raw off the table and added up."""
    sums: dict[str, tuple[int, ...]] = {}
    prefix = f"REPORT#{SITE}#{dimension}#"
    for item in dump:
        day, _, value = item["sk"]["S"].partition("#")
        if not item["pk"]["S"].startswith(prefix) or not value:
            continue
        if first <= date.fromisoformat(day) <= last:
            figures = [int(item.get(name, {"N": "0"})["N"]) for name in FIGURES]
            before = sums.get(value, (0,) * len(FIGURES))
            sums[value] = tuple(a + b for a, b in zip(before, figures, strict=True))
    return sums


def test_rollups_answer_what_the_day_items_add_up_to(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small caps, so that values past them go to "(other)" on some days and not others.
    monkeypatch.setattr(batches, "MAX_PAGES_PER_DAY", 5)
    monkeypatch.setattr(batches, "MAX_VALUES_PER_DAY", 3)
    rng = random.Random(20250615)
    storage = Storage(dynamodb, os.environ["TABLE_NAME"])
    aggregator = StreamAggregator(storage)
    faults = FailingRolls(dynamodb)
    days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    hits = [noted(rng.choice(DAYS), sequence, rng) for sequence in range(1, 151)]
    hits.sort(key=lambda hit: (hit.note.day, hit.sequence))  # days in order, as time goes
    hits = [NotedHit(h.site, h.note, h.shard, i + 1, False) for i, h in enumerate(hits)]
    start = 0
    while start < len(hits):
        size = rng.randrange(1, 40)
        batch = hits[start : start + size]
        faults.armed = rng.random() < 0.3
        deliver(aggregator, batch, faults)
        if rng.random() < 0.2:  # delivered again, whole: adds nothing
            deliver(aggregator, batch, faults)
        start += size
    assert faults.failed > 0
    ranges = [(FIRST, LAST), (FIRST, FIRST), (date(2025, 1, 31), date(2025, 2, 1))]
    ranges += [(date(2025, 2, 2), date(2025, 2, 27)), (date(2025, 2, 28), date(2025, 3, 1))]
    for _ in range(12):
        a, b = sorted(rng.sample(days, 2))
        ranges.append((a, b))
    dump = table_dump(dynamodb)
    for dimension in ("page", "source"):
        assert "(other)" in day_item_sums(dump, dimension, FIRST, LAST)
        for first, last in ranges:
            expected = day_item_sums(dump, dimension, first, last)
            rows = storage.rollups.totals(SITE, dimension, first, last)
            assert {row.value: tuple(row.figures().values())[:-1] for row in rows} == expected
    # Every hit counted once, on some value: the day items hold all 150 page views, and the
    # pages' entry and exit figures moved (a later hit of a visit moves them).
    page_sums = day_item_sums(dump, "page", FIRST, LAST).values()
    assert sum(figures[1] for figures in page_sums) == 150
    assert all(any(figures[i] for figures in page_sums) for i in range(2, 6))


NOW = datetime(2025, 6, 15, 5, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
PAGES_PER_DAY = 40


def seed_92_days(client: Any) -> None:
    """92 days of 40 pages each, as the aggregator leaves them: day items (with a few
    shard marks, as busy days keep) and their month rollups."""
    last = date(2025, 6, 15)
    days = [last - timedelta(days=i) for i in range(92)]
    items: list[dict[str, Any]] = []
    rollups: dict[tuple[str, str], dict[str, Any]] = {}
    for day in days:
        for i in range(PAGES_PER_DAY):
            path, views = f"/tin-tuc/bai-viet-so-{i:03d}", 1000 - i
            item = {
                "pk": {"S": report_pk(SITE, "page", day)},
                "sk": {"S": report_sk(day, path)},
                "v": {"N": str(views // 2)},
                "p": {"N": str(views)},
                "n": {"N": "40"},
            }
            for shard in range(4):
                item[f"w_s{shard:012d}"] = {"S": mark(4959033827149025660855 + shard)}
            items.append(item)
            key = (rollup_pk(SITE, "page", day), path)
            rollup = rollups.setdefault(key, {"pk": {"S": key[0]}, "sk": {"S": path}})
            for name in ("v", "p", "n"):
                rollup[f"{name}{day.day:02d}"] = item[name]
    items += rollups.values()
    for start in range(0, len(items), 25):
        client.batch_write_item(
            RequestItems={
                os.environ["TABLE_NAME"]: [
                    {"PutRequest": {"Item": i}} for i in items[start : start + 25]
                ]
            }
        )


def item_size(item: dict[str, Any]) -> int:
    size = 0
    for name, value in item.items():
        ((kind, data),) = value.items()
        size += len(name.encode())
        size += len(data.encode()) if kind == "S" else math.ceil(len(data) / 2) + 1
    return size


def test_a_92_day_pages_read_costs_one_query_a_month(api: Api, dynamodb: Any) -> None:
    api.register(SITE, "Asia/Ho_Chi_Minh")
    seed_92_days(dynamodb)
    stored = {(i["pk"]["S"], i["sk"]["S"]): item_size(i) for i in table_dump(dynamodb)}
    queries: list[int] = []  # bytes each Query read (billed on whole items, projected or not)
    asked: list[str] = []  # the partition each Query asked for

    def ask(params: dict[str, Any], **_: Any) -> None:
        asked.append(params["ExpressionAttributeValues"][":pk"]["S"])

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            keys = [(asked[-1], i["sk"]["S"]) for i in parsed.get("Items", [])]
            queries.append(sum(stored.get(key, 0) for key in keys))

    events = default_service().storage.client.meta.events
    events.register("before-parameter-build.dynamodb.Query", ask)
    events.register("after-call.dynamodb", count)
    with time_machine.travel(NOW, tick=False):
        status, answer = api.call(
            "GET",
            f"/v1/sites/{SITE}/pages",
            query={"from": "2025-03-16", "to": "2025-06-15", "limit": "3"},
        )
    assert status == 200, answer
    assert answer["pages"] == [
        {"path": "/tin-tuc/bai-viet-so-000", "pageviews": 92_000},
        {"path": "/tin-tuc/bai-viet-so-001", "pageviews": 91_908},
        {"path": "/tin-tuc/bai-viet-so-002", "pageviews": 91_816},
    ]
    # March to June: one Query each (plus the site's own reads, 0 bytes of report items).
    reads = [size for size in queries if size]
    assert [asked[i] for i, size in enumerate(queries) if size] == [
        f"ROLLUP#{SITE}#page#2025-{month:02d}" for month in (3, 4, 5, 6)
    ]
    # Eventually consistent: half a unit per 4 KB read. 4 months x 40 values of < 0.5 KB,
    # against 92 x 40 day items of ~0.3 KB (about 140 units) before.
    units = sum(math.ceil(size / 4096) * 0.5 for size in reads)
    assert units <= 12
