"""Month rollups: a range of pages or a breakdown is what its day items add up to (every
figure: visits, page views, a page's entries, bounces, duration and exits) wherever the
nightly copy's watermark stands, and its read costs one Query a month of the copied days,
whatever their number, plus the day items of the days after them (moto, clock frozen)."""

from __future__ import annotations

import itertools
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
from counters.archive import rollups
from counters.archive.rollups import Rollups
from counters.counting.service import default_service
from counters.storage import Storage
from counters.storage.keys import report_pk, report_sk, rollup_pk, rollup_watermark_key
from counters.storage.rollup_items import Watermark
from counters.storage.updates import mark
from tests.conftest import Api, table_dump

SITE, OTHER = "portal", "other"
SITES = (SITE, OTHER)
ONE = timedelta(days=1)
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
    """Makes every write to a page rollup time out while armed (the storage retries
    timeouts, so they fail for good), as a throttled write would: the page dimension is
    copied last, so a night fails after every other dimension of its days is copied."""

    def __init__(self, client: Any) -> None:
        self.armed = False
        self.failed = 0
        client.meta.events.register("before-call.dynamodb.UpdateItem", self.before)

    def before(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body", b"")
        body = body if isinstance(body, bytes) else body.encode()
        if self.armed and b"ROLLUP#" in body and b"#page#" in body:
            self.failed += 1
            raise ReadTimeoutError(endpoint_url="moto")


def day_item_sums(
    dump: list[dict[str, Any]], site: str, dimension: str, first: date, last: date
) -> dict[str, tuple[int, ...]]:
    """The model: every day item of the range, read raw off the table and added up."""
    sums: dict[str, tuple[int, ...]] = {}
    prefix = f"REPORT#{site}#{dimension}#"
    for item in dump:
        day, _, value = item["sk"]["S"].partition("#")
        if not item["pk"]["S"].startswith(prefix) or not value:
            continue
        if first <= date.fromisoformat(day) <= last:
            figures = [int(item.get(name, {"N": "0"})["N"]) for name in FIGURES]
            before = sums.get(value, (0,) * len(FIGURES))
            sums[value] = tuple(a + b for a, b in zip(before, figures, strict=True))
    return sums


def aggregated(storage: Storage, rng: random.Random) -> None:
    """150 hits of each site through the report aggregator, in random batches (some
    delivered twice: they add nothing), and their days' day items."""
    hits = [noted(rng.choice(DAYS), sequence, rng) for sequence in range(1, 151)]
    hits.sort(key=lambda hit: (hit.note.day, hit.sequence))  # days in order, as time goes
    aggregator = StreamAggregator(storage)
    for site, day in itertools.product(SITES, DAYS):  # the day counters (a backfill stops
        storage.table.send(  # at the first day without traffic before it)
            "put_item",
            TableName=storage.table.name,
            Item={"pk": {"S": f"SITE#{site}"}, "sk": {"S": f"DAY#{day.isoformat()}"}},
        )
    for site in SITES:
        mine = [NotedHit(site, h.note, h.shard, i + 1, False) for i, h in enumerate(hits)]
        start = 0
        while start < len(mine):
            size = rng.randrange(1, 40)
            for _ in range(1 + (rng.random() < 0.2)):
                assert not aggregator.add_reports(mine[start : start + size]).failed
            start += size


class Reads:
    """Checks ranges read as the routes read them against the day items' sums."""

    def __init__(self, storage: Storage, dump: list[dict[str, Any]], rng: random.Random):
        self.storage, self.dump, self.rng = storage, dump, rng
        self.days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
        self.checked = 0

    def check(self, site: str) -> None:
        ranges = [(FIRST, LAST), (date(2025, 1, 31), date(2025, 2, 1))]
        mark = self.storage.rollups.watermark(site)
        if mark is not None:  # each edge of the copied days
            ranges += [(mark.first - ONE, mark.first), (mark.through, mark.through + ONE)]
            ranges += [(mark.first, mark.through)]
        ranges += [tuple(sorted(self.rng.sample(self.days, 2))) for _ in range(2)]
        for dimension in ("page", "source"):
            for first, last in ranges:
                expected = day_item_sums(self.dump, site, dimension, first, last)
                rows = self.storage.rollups.range_rows(
                    self.storage.reports, site, dimension, first, last
                )
                found = {
                    row.value: (row.visits, row.pageviews, row.entries, row.entry_bounces)
                    + (row.entry_duration_ms, row.exits)
                    for row in rows
                }
                assert found == expected, (site, dimension, first, last, mark)
                self.checked += 1


def night_of(nightly: Rollups, night: date, budget: list[bool], site: str = SITE) -> Watermark:
    """The nightly job's copies for one site: the days to `night`, then older days while
    `budget` says time is left."""
    nightly.close(site, night)
    mark = nightly.backfill_older(site, iter(budget).__next__)
    assert mark is not None
    return mark


def test_any_range_reads_what_the_day_items_add_up_to(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small caps, so that values past them go to "(other)" on some days and not others.
    monkeypatch.setattr(batches, "MAX_PAGES_PER_DAY", 5)
    monkeypatch.setattr(batches, "MAX_VALUES_PER_DAY", 3)
    # Few days a night, so that the copied days' edges fall anywhere.
    monkeypatch.setattr(rollups, "BACKFILL_DAYS", 3)
    monkeypatch.setattr(rollups, "CATCH_UP_DAYS", 4)
    rng = random.Random(20250615)
    storage = Storage(dynamodb, os.environ["TABLE_NAME"])
    faults = FailingRolls(dynamodb)
    aggregated(storage, rng)
    dump = table_dump(dynamodb)
    assert not [item for item in dump if item["pk"]["S"].startswith("ROLLUP#")]
    for dimension in ("page", "source"):
        assert "(other)" in day_item_sums(dump, SITE, dimension, FIRST, LAST)
    # Every hit counted once, on some value: the day items hold all 150 page views, and the
    # pages' entry and exit figures moved (a later hit of a visit moves them).
    page_sums = day_item_sums(dump, SITE, "page", FIRST, LAST).values()
    assert sum(figures[1] for figures in page_sums) == 150
    assert all(any(figures[i] for figures in page_sums) for i in range(2, 6))
    reads = Reads(storage, dump, rng)
    reads.check(SITE)  # never rolled up: the day items, as before rollups
    nightly = Rollups(storage)
    night, marks, cut_short = FIRST + timedelta(days=rng.randrange(12, 20)), [], 0
    while night <= LAST + timedelta(days=3):
        failed = faults.failed
        # A page copy fails (on the first night, on each night that copies traffic days
        # forward, and some others): the night is cut short.
        mark = storage.rollups.watermark(SITE)
        forward = mark is not None and any(mark.through < day <= night for day in DAYS)
        faults.armed = mark is None or forward or rng.random() < 0.3
        budget = [True] * rng.randrange(4) + [False]  # older days the night has time for
        try:
            night_of(nightly, night, budget)
        except ReadTimeoutError:
            assert faults.failed > failed
        faults.armed = False
        if faults.failed > failed:  # the watermark moved over no day left half copied
            reads.check(SITE)
            cut_short += 1
        before = storage.rollups.watermark(SITE)
        budget = [True] * rng.randrange(4) + [False]
        marks.append(night_of(nightly, night, budget))  # the next night, or run again
        if before is not None and not before.backfilled:  # as many older days as time let
            older = timedelta(days=min(3, len(budget) - 1))
            assert marks[-1].first == before.first - older or marks[-1].backfilled
        reads.check(SITE)
        night += timedelta(days=rng.randrange(2, 8))  # nights missed: caught up, 4 days a run
    assert cut_short
    # The copied days' edges fell inside the traffic's days; the days to the last night
    # are copied, and older ones down to the first day with traffic given time.
    assert any(mark.first > FIRST and mark.through < LAST for mark in marks)
    assert marks[-1].through > LAST
    last_night = marks[-1].through
    assert night_of(nightly, last_night, [True] * 40) == Watermark(FIRST, last_night, True)
    reads.check(SITE)
    # A site first rolled up at the end: its older days read from day items, then an
    # operator's backfill copies them all.
    assert night_of(nightly, LAST, [True] * 5, OTHER).first == LAST - timedelta(days=3)
    reads.check(OTHER)
    today = LAST + timedelta(days=2)
    firsts = []
    while (mark := nightly.backfill(OTHER, FIRST, today)).first > FIRST:  # 3 days a request
        firsts.append(mark.first)
    assert firsts == [LAST - timedelta(days=d) for d in (6, 9, 12, 15, 18, 21, 24, 27)]
    assert mark == Watermark(FIRST, LAST)
    reads.check(OTHER)
    rolled = {item["pk"]["S"] for item in table_dump(dynamodb)}
    assert f"ROLLUP#{OTHER}#page#2025-01" in rolled
    assert reads.checked > 100


def put_day_item(client: Any, day: date, path: str, views: int) -> None:
    item = {
        "pk": {"S": report_pk(SITE, "page", day)},
        "sk": {"S": report_sk(day, path)},
        "v": {"N": "1"},
        "p": {"N": str(views)},
    }
    client.put_item(TableName=os.environ["TABLE_NAME"], Item=item)


def test_a_rebuilt_day_copied_again_holds_only_its_values(dynamodb: Any) -> None:
    storage = Storage(dynamodb, os.environ["TABLE_NAME"])
    day, next_day = date(2025, 1, 31), date(2025, 2, 1)
    for path in ("/a", "/b"):
        put_day_item(dynamodb, day, path, 2)
    put_day_item(dynamodb, next_day, "/b", 3)
    nightly = Rollups(storage)
    nightly.close(SITE, next_day)
    assert nightly.backfill_older(SITE, lambda: True) == Watermark(day, next_day, True)

    def pages(first: date, last: date) -> dict[str, int]:
        rows = storage.rollups.range_rows(storage.reports, SITE, "page", first, last)
        return {row.value: row.pageviews for row in rows}

    assert pages(day, next_day) == {"/a": 2, "/b": 5}
    # Rebuilt: the day has no /b any more, and more of /a.
    dynamodb.delete_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": report_pk(SITE, "page", day)}, "sk": {"S": report_sk(day, "/b")}},
    )
    put_day_item(dynamodb, day, "/a", 7)
    assert pages(day, next_day) == {"/a": 2, "/b": 5}  # the copies, until copied again
    assert nightly.recopy(SITE, day)
    assert pages(day, next_day) == {"/a": 7, "/b": 3}
    assert pages(day, day) == {"/a": 7}
    assert not nightly.recopy(SITE, next_day + ONE)  # not copied yet: read from day items


def test_an_operator_copies_older_days_a_month_a_request(api: Api, dynamodb: Any) -> None:
    """`visit-counter rollup SITE --from` sends POST /rollups until `first` is `from`."""
    api.register(SITE, "UTC")
    days = [date(2025, 2, 10), date(2025, 4, 1), date(2025, 6, 12)]
    for day in days:
        put_day_item(dynamodb, day, "/a", 2)
    answers = []
    with time_machine.travel(datetime(2025, 6, 15, 5, tzinfo=UTC), tick=False):
        while not answers or answers[-1]["first"] > "2025-02-01":
            status, answer = api.call("POST", f"/v1/sites/{SITE}/rollups", {"from": "2025-02-01"})
            assert status == 200, answer
            answers.append(answer)
    # Never rolled up: first the day before yesterday, as the nightly job would, then 31
    # days a request.
    assert [(a["first"], a["through"]) for a in answers] == [
        ("2025-05-13", "2025-06-13"),
        ("2025-04-12", "2025-06-13"),
        ("2025-03-12", "2025-06-13"),
        ("2025-02-09", "2025-06-13"),
        ("2025-02-01", "2025-06-13"),
    ]
    rolled = {i["pk"]["S"]: i for i in table_dump(dynamodb) if i["pk"]["S"].startswith("ROLLUP#")}
    assert rolled[rollup_pk(SITE, "page", days[0])]["p10"] == {"N": "2"}
    assert rolled[rollup_pk(SITE, "page", days[1])]["p01"] == {"N": "2"}
    assert api.call("POST", f"/v1/sites/{SITE}/rollups", {"from": "2025-02-31"})[0] == 422


NOW = datetime(2025, 6, 15, 5, tzinfo=UTC)  # 12:00 in Ho Chi Minh City
PAGES_PER_DAY = 10


def seed_92_days(client: Any) -> None:
    """92 days of 10 pages each, as the aggregator and the nightly copy leave them: day
    items (with a few shard marks, as busy days keep), and the month rollups of every day
    up to the day before yesterday (the watermark's `through`)."""
    last, through = date(2025, 6, 15), date(2025, 6, 13)
    days = [last - timedelta(days=i) for i in range(92)]
    items: list[dict[str, Any]] = []
    rolled: dict[tuple[str, str], dict[str, Any]] = {}
    for day in days:
        for i in range(PAGES_PER_DAY):
            path, views = f"/tin-tuc/bai-viet-so-{i:03d}", 1000 - i
            item = {
                "pk": {"S": report_pk(SITE, "page", day)},
                "sk": {"S": report_sk(day, path)},
                "v": {"N": str(views // 2)},
                "p": {"N": str(views)},
            }
            for shard in range(4):
                item[f"w_s{shard:012d}"] = {"S": mark(4959033827149025660855 + shard)}
            items.append(item)
            if day > through:
                continue
            key = (rollup_pk(SITE, "page", day), path)
            rollup = rolled.setdefault(key, {"pk": {"S": key[0]}, "sk": {"S": path}})
            for name in ("v", "p"):
                rollup[f"{name}{day.day:02d}"] = item[name]
    items += rolled.values()
    items.append(
        {
            **rollup_watermark_key(SITE),
            "first": {"S": "2025-03-01"},
            "through": {"S": through.isoformat()},
            "backfilled": {"BOOL": False},
        }
    )
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
        if kind == "BOOL":
            size += 1
        else:
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
    # March to June's rollups: one Query each; then the days after the watermark (14 and
    # 15 June) from their day items, one Query (plus the site's own reads, 0 bytes).
    reads = [size for size in queries if size]
    assert [asked[i] for i, size in enumerate(queries) if size] == [
        *(f"ROLLUP#{SITE}#page#2025-{month:02d}" for month in (3, 4, 5, 6)),
        f"REPORT#{SITE}#page#2025-06",
    ]
    # Eventually consistent: half a unit per 4 KB read. 4 months x 10 values of < 0.5 KB
    # and 2 x 10 day items of ~0.3 KB (4 units), against 92 x 10 day items (about 33).
    units = sum(math.ceil(size / 4096) * 0.5 for size in reads)
    assert units <= 4
