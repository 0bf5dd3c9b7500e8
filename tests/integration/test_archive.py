"""The event archive end to end on moto: stream batches -> Parquet objects -> DuckDB, each
hit once however the batches were delivered; report items rebuilt from it (issue 20).

Expected values come from the traffic model (tests/integration/archive_model.py), never
from the code under test.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from moto import mock_aws

from counters.aggregation.batches import shard_name
from counters.archive.compaction import Compactor
from counters.archive.reader import ONCE, RAW, ArchiveReader
from counters.archive.rebuild import Rebuilder
from counters.archive.rollups import Rollups
from counters.archive.schema import COLUMN_NAMES, FACTS
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from counters.storage.rollup_items import Watermark
from local.buckets import create_buckets
from local.cloudformation import create_tables
from tests.conftest import LambdaContext, import_handler, reset_warm_state, table_dump
from tests.integration import archive_model as model
from tests.integration.archive_model import FIRST_DAY, Hit, Windows, batches, event

ARCHIVE = import_handler("handlers.archive.lambda_handler")
REPORTS = import_handler("handlers.aggregate.reports_handler")
COMPACT = import_handler("handlers.archive.compact_handler")
LAST_DAY = FIRST_DAY + timedelta(days=3)


@contextmanager
def fresh_aws() -> Iterator[None]:
    """A moto account of its own: the template's table and buckets, cold functions."""
    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        create_buckets(boto3.client("s3", region_name="us-east-1"))
        reset_warm_state()
        yield
        reset_warm_state()


class AmpleTime(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def deliver(handler: Any, shard: str, batch: list[Hit]) -> None:
    answer = handler(event(shard, batch), LambdaContext())
    assert answer.get("batchItemFailures") == [], answer


def archive_all(deliveries: list[tuple[str, list[Hit]]]) -> Windows:
    """The archive's consumer given the deliveries in one window per shard, then its end."""
    windows = Windows(ARCHIVE, LambdaContext())
    for shard, batch in deliveries:
        windows.deliver(shard, batch)
    windows.end()
    return windows


def archived(site: str, view: str, first: date = FIRST_DAY, last: date = LAST_DAY) -> list[dict]:
    with ArchiveReader(archive_bucket()).open(site, first, last) as archive:
        return archive.dicts(f"SELECT * FROM {view} WHERE site = ?", [site])


def expected_row(hit: Hit) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FACTS)
    row.update(hit.facts)
    row.update(
        site=hit.site,
        date=hit.day.isoformat(),
        hour=hit.hour,
        visit=hit.visit,
        pageview=hit.pageview,
        path=hit.path,
        token=hit.token,
        shard=shard_name(hit.shard),
        seq=f"{hit.sequence:040d}",
    )
    return row


def by_token(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["token"]: row for row in rows}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_archive_holds_each_hit_once_however_its_batches_come(seed: int) -> None:
    rng = random.Random(seed)
    made = model.hits(seed, 600)
    cut = batches(made, rng)
    # Delivered whole, some again whole, some again from a record in their middle
    # (a partial failure), every delivery in a random order (shards interleave, and a
    # redelivery may come after later batches).
    deliveries = list(cut)
    deliveries += cut[::3]
    deliveries += [(shard, b[rng.randrange(1, len(b)) :]) for shard, b in cut[1::4]]
    rng.shuffle(deliveries)
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        for shard, batch in deliveries:
            windows.deliver(shard, batch)
            if rng.random() < 0.2:  # its window ends; its final invocation, once or retried
                if rng.random() < 0.5:
                    windows.invoke(shard, [], final=True)  # wrote, then failed: same state again
                windows.end(shard)
        windows.end()
        copies = 0
        for site in ("direct", "busy"):
            mine = [hit for hit in made if hit.site == site]
            once = archived(site, ONCE)
            assert len(once) == len(mine)  # readers see each hit once...
            # The columns the model knows; the engagement ones must agree with the report
            # items an aggregation writes (test_rebuild_...).
            expected = {hit.token: expected_row(hit) for hit in mine}
            known = set(next(iter(expected.values())))
            shown = {
                t: {k: v for k, v in row.items() if k in known} for t, row in by_token(once).items()
            }
            assert shown == expected
            copies += len(archived(site, RAW)) - len(mine)
        assert copies > 0  # ...though partial redeliveries wrote some twice


def test_a_batch_delivered_again_whole_overwrites_its_objects() -> None:
    made = model.hits(7, 120)
    cut = batches(made, random.Random(7))
    with fresh_aws():
        bucket = archive_bucket()
        windows = Windows(ARCHIVE, LambdaContext())
        for shard, batch in cut:  # a window each
            windows.deliver(shard, batch)
            windows.end(shard)
        keys = sorted(bucket.keys(""))
        for shard, batch in cut:
            windows.deliver(shard, batch)
            windows.end(shard)
        assert sorted(bucket.keys("")) == keys
        assert len(archived("direct", RAW)) == len([h for h in made if h.site == "direct"])
        # One object per (site, date, shard) of a batch, named by its partition and records.
        shard, batch = cut[0]
        mine = [h for h in batch if h.site == batch[0].site and h.day == batch[0].day]
        first = min(mine, key=lambda hit: hit.sequence)
        assert any(
            key.startswith(f"site={first.site}/date={first.day}/{shard_name(shard)}-")
            for key in keys
        )


def test_a_row_holds_no_key_of_the_item_the_note_rode_on() -> None:
    made = model.hits(11, 60)
    with fresh_aws():
        archive_all(batches(made, random.Random(11)))
        rows = archived("busy", RAW)
        assert set(rows[0]) == {"site", "date", *COLUMN_NAMES}
        for row in rows:
            assert not any(
                "VISITOR#" in str(value) or "LANE#" in str(value) for value in row.values()
            )
        keys = [h.record["dynamodb"]["Keys"]["pk"]["S"] for h in made]
        visitor_ids = {pk.rsplit("#", 1)[1] for pk in keys if pk.startswith("VISITOR#")}
        assert len(visitor_ids) > 10
        assert not visitor_ids & {str(value) for row in rows for value in row.values()}


def test_a_range_reads_only_its_days() -> None:
    made = model.hits(5, 200)
    with fresh_aws():
        archive_all(batches(made, random.Random(5)))
        second = FIRST_DAY + timedelta(days=1)
        rows = archived("direct", ONCE, second, second)
        assert sorted(row["token"] for row in rows) == sorted(
            hit.token for hit in made if hit.site == "direct" and hit.day == second
        )
        assert archived("direct", ONCE, date(2025, 1, 1), date(2025, 1, 2)) == []


def reports(prefix: str = "REPORT#") -> list[dict[str, Any]]:
    dump = table_dump(boto3.client("dynamodb", region_name="us-east-1"))
    return [item for item in dump if item["pk"]["S"].startswith(prefix)]


def rolled_up(days: list[date]) -> list[dict[str, Any]]:
    """The month rollups (and watermarks) once both sites' days are closed, in order."""
    nightly = Rollups(default_service().storage)
    for site, day in itertools.product(("direct", "busy"), days):
        nightly.close(site, day)
    return reports("ROLLUP#")


@pytest.mark.parametrize("seed", [21])
def test_rebuild_makes_a_day_whose_report_batch_was_dropped_exact_again(seed: int) -> None:
    rng = random.Random(seed)
    made = model.hits(seed, 160, days=2)
    cut = batches(made, rng)
    all_days = sorted({hit.day for hit in made})
    with fresh_aws():  # an aggregation that never failed, its days closed
        for shard, batch in cut:
            deliver(REPORTS, shard, batch)
        never_failed = reports()
        never_failed_rollups = rolled_up(all_days)
    dropped = rng.randrange(len(cut))
    days = sorted({hit.day for hit in cut[dropped][1]})
    with fresh_aws():
        archive_all(cut)
        for i, (shard, batch) in enumerate(cut):
            if i != dropped:  # given up on: went to the failures queue
                deliver(REPORTS, shard, batch)
        assert reports() != never_failed
        # The nightly copy closed the days without the dropped batch.
        assert rolled_up(all_days) != never_failed_rollups
        rebuilder = Rebuilder(default_service().storage, ArchiveReader(archive_bucket()))
        for site in ("direct", "busy"):
            for day in days:
                rebuilder.rebuild(site, day)
        assert reports() == never_failed
        assert reports("ROLLUP#") == never_failed_rollups  # the rebuilt days copied again
        # Delivered late after all, the dropped batch adds nothing twice.
        deliver(REPORTS, *cut[dropped])
        assert reports() == never_failed


def keys_by_partition() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key in archive_bucket().keys("site="):
        partition, _, name = key.rpartition("/")
        found.setdefault(partition, []).append(name)
    return found


def test_compaction_leaves_one_object_a_day_with_each_hit_once() -> None:
    made = model.hits(31, 400)
    cut = batches(made, random.Random(31))
    today = LAST_DAY + timedelta(days=2)  # every day of the traffic is past compaction's wait
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        for shard, batch in cut + [(shard, b[3:]) for shard, b in cut[::2]]:
            windows.deliver(shard, batch)
            windows.end(shard)  # a window each: several objects a day
        before = {site: by_token(archived(site, ONCE)) for site in ("direct", "busy")}
        assert any(len(names) > 1 for names in keys_by_partition().values())
        done = Compactor(archive_bucket()).run(today)
        assert {(c.site, c.day) for c in done} == {(h.site, h.day) for h in made}
        partitions = keys_by_partition()
        assert all(
            len(names) == 1 and names[0].startswith("compacted-") for names in partitions.values()
        )
        for site in ("direct", "busy"):
            assert len(archived(site, RAW)) == len(before[site])  # the copies are gone
            assert by_token(archived(site, ONCE)) == before[site]
        assert Compactor(archive_bucket()).run(today) == []  # nothing left to merge
        # A batch delivered after its day was compacted lands beside it, merged next time.
        shard, batch = cut[0]
        windows.deliver(shard, batch)
        windows.end(shard)
        assert max(len(names) for names in keys_by_partition().values()) == 2
        assert Compactor(archive_bucket()).run(today)
        assert keys_by_partition().keys() == partitions.keys()
        assert all(len(names) == 1 for names in keys_by_partition().values())
        for site in ("direct", "busy"):
            assert by_token(archived(site, ONCE)) == before[site]


def test_compaction_waits_for_a_day_to_be_complete() -> None:
    made = model.hits(32, 100, days=1)
    with fresh_aws():
        archive_all(batches(made, random.Random(32))[:2])
        archive_all(batches(made, random.Random(32))[2:])
        # The day before yesterday is the most recent day compacted (every zone's is over).
        assert Compactor(archive_bucket()).run(FIRST_DAY + timedelta(days=1)) == []
        assert Compactor(archive_bucket()).run(FIRST_DAY + timedelta(days=9)) == []  # a week on
        assert len(Compactor(archive_bucket()).run(FIRST_DAY + timedelta(days=2))) == 2


def test_the_daily_schedule_compacts_through_its_handler() -> None:
    made = model.hits(33, 80, days=1)
    with fresh_aws():
        cut = batches(made, random.Random(33))
        archive_all(cut[: len(cut) // 2])
        archive_all(cut[len(cut) // 2 :])
        objects = sum(len(names) for names in keys_by_partition().values())
        with time_machine.travel(datetime(2026, 3, 3, 1, 30, tzinfo=UTC), tick=False):
            answer = COMPACT({"source": "aws.events"}, LambdaContext())
        # Both sites' 1 March: compacted, then rebuilt (the day before yesterday).
        assert answer == {"days": 2, "objects": objects, "rebuilt": 2, "not_rebuilt": 0}
        assert sum(len(names) for names in keys_by_partition().values()) == 2
        # And copied into the month rollups; older days only with time left (a test
        # context has 10 s: none), one older day here (no day item before it).
        rollups = default_service().storage.rollups
        assert rollups.watermark("busy") == Watermark(FIRST_DAY, FIRST_DAY)
        with time_machine.travel(datetime(2026, 3, 3, 1, 30, tzinfo=UTC), tick=False):
            COMPACT({"source": "aws.events"}, AmpleTime())
        older = FIRST_DAY - timedelta(days=1)
        assert rollups.watermark("busy") == Watermark(older, FIRST_DAY, backfilled=True)


def test_the_nightly_rebuild_repairs_a_dropped_batch_and_spares_an_incomplete_archive() -> None:
    made = model.hits(34, 160, days=1)
    cut = batches(made, random.Random(34))
    with fresh_aws():  # an aggregation that never failed
        for shard, batch in cut:
            deliver(REPORTS, shard, batch)
        never_failed = reports()
        never_failed_rollups = rolled_up([FIRST_DAY])
    with fresh_aws():
        archive_all(cut)
        for i, (shard, batch) in enumerate(cut):
            if i != 1:
                deliver(REPORTS, shard, batch)  # batch 1 given up on
        assert reports() != never_failed
        with time_machine.travel(datetime(2026, 3, 3, 1, 30, tzinfo=UTC), tick=False):
            answer = COMPACT({"source": "aws.events"}, LambdaContext())
        assert answer["rebuilt"] == 2
        assert reports() == never_failed
        # The day rebuilt is the day copied, as rebuilt (and the watermark moved to it).
        assert reports("ROLLUP#") == never_failed_rollups
    with fresh_aws():
        # The direct site's day item counted a page view the archive never got (its
        # consumer failing): its day is left as the aggregator made it.
        archive_all(cut)
        for shard, batch in cut:
            deliver(REPORTS, shard, batch)
        direct = sum(h.pageview for h in made if h.site == "direct")
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.put_item(
            TableName=os.environ["TABLE_NAME"],
            Item={
                "pk": {"S": "SITE#direct"},
                "sk": {"S": f"DAY#{FIRST_DAY.isoformat()}"},
                "v": {"N": "1"},
                "p": {"N": str(direct + 1)},
            },
        )
        before = reports()
        with time_machine.travel(datetime(2026, 3, 3, 1, 30, tzinfo=UTC), tick=False):
            answer = COMPACT({"source": "aws.events"}, LambdaContext())
        assert (answer["rebuilt"], answer["not_rebuilt"]) == (1, 1)
        assert reports() == before
        # Not rebuilt, still closed: copied as the aggregator made it.
        rollups = reports("ROLLUP#")
        assert reports("ROLLUP#") == rolled_up([FIRST_DAY]) == rollups
        assert any(item["pk"]["S"].startswith("ROLLUP#direct#page#") for item in rollups)
