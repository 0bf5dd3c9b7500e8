"""The worst reads of a range next to a stats read, on moto (issue 21, point 3).

The worst read of `/pages` is its longest range, 92 days, of a news portal with many
distinct pages: every day N pages (2,000 is the day's cap), N/2 section pages every day
and N/2 articles of the day (so a month has ~16 N distinct pages), page views falling
off with rank. The worst breakdown is a year (its longest range) of a dimension with
M values a day, half of them new each day. Report items are seeded as the aggregator
and the nightly copy leave them (day items with 8 shard marks, as a busy day's; the
month rollups of every day up to the day before yesterday, and the site's watermark,
counters.storage.rollup_items) rather than through the aggregator, which would take
hours on moto. Each read is counted on the functions' client (requests; read
units from the full size of every item a Query returned, as DynamoDB bills them,
eventually consistent) and timed (wall clock, moto in-process: moto's times grow with
the table, they rank the reads, they are not DynamoDB's). "before" is the same route
reading as it did before rollups (a site without a watermark still does): every day
item of the range, one Query (paged by 1 MB) a month. Then the nightly copy of one
closed day (`counters.archive.rollups`): its writes and their write units.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.request_counts import item_size
from counters.storage.keys import report_pk, report_sk, rollup_pk, rollup_watermark_key
from counters.storage.updates import mark

SITE = "news"
LAST = date(2025, 6, 15)
THROUGH = LAST - timedelta(days=2)  # the nightly copy's watermark: the day before yesterday


def _pages_of(index: int, per_day: int) -> list[tuple[str, int]]:
    """The day's pages and their page views (section pages, then that day's articles)."""
    sections = [f"/chuyen-muc/{i}" for i in range(per_day // 2)]
    articles = [
        f"/tin-tuc/bai-{index * per_day + j}-mot-tieu-de-dai-vua-phai" for j in range(per_day // 2)
    ]
    return [(path, 20_000 // (rank + 1) + 1) for rank, path in enumerate(sections + articles)]


def _values_of(index: int, per_day: int) -> list[tuple[str, int]]:
    """A breakdown's values of a day: half every day, half new that day."""
    steady = [f"khuyen-mai-{i}" for i in range(per_day // 2)]
    new = [f"chien-dich-{index * per_day + j}" for j in range(per_day // 2)]
    return [(value, 5_000 // (rank + 1) + 1) for rank, value in enumerate(steady + new)]


def _items(
    dimension: str, days: int, per_day: int, values: Callable[[int, int], list[tuple[str, int]]]
) -> Iterator[dict[str, Any]]:
    """Day items of `days` days to LAST, then the month rollups of those to THROUGH."""
    rollups: dict[tuple[str, str], dict[str, Any]] = {}
    for index in range(days):
        day = LAST - timedelta(days=index)
        for value, views in values(index, per_day):
            item = {
                "pk": {"S": report_pk(SITE, dimension, day)},
                "sk": {"S": report_sk(day, value)},
                "v": {"N": str(views // 2)},
                "p": {"N": str(views)},
            }
            for shard in range(8):
                item[f"w_s{shard:012x}"] = {"S": mark(49590338271490256608559 + shard)}
            yield item
            if day > THROUGH:
                continue
            key = (rollup_pk(SITE, dimension, day), value)
            rollup = rollups.setdefault(key, {"pk": {"S": key[0]}, "sk": {"S": value}})
            for name in ("v", "p"):
                rollup[f"{name}{day.day:02d}"] = item[name]
    yield from rollups.values()


def _watermark(first: date) -> Iterator[dict[str, Any]]:
    yield {
        **rollup_watermark_key(SITE),
        "first": {"S": first.isoformat()},
        "through": {"S": THROUGH.isoformat()},
        "backfilled": {"BOOL": True},
    }


def seed(client: Any, items: Iterator[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Writes the items; returns every item's size by key."""
    sizes: dict[tuple[str, str], int] = {}
    batch: list[dict[str, Any]] = []
    for item in items:
        sizes[(item["pk"]["S"], item["sk"]["S"])] = item_size(item)
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={os.environ["TABLE_NAME"]: batch})
    return sizes


class Meter:
    """Requests and read units of the reads made on one client."""

    def __init__(self, client: Any, sizes: dict[tuple[str, str], int]) -> None:
        self.sizes, self.requests, self.units, self._pk, self._strong = sizes, 0, 0.0, "", False
        client.meta.events.register("before-parameter-build.dynamodb", self.ask)
        client.meta.events.register("after-call.dynamodb", self.count)

    def ask(self, params: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        self._pk = params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", "")
        self._strong = bool(params.get("ConsistentRead"))

    def count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        # A unit per 4 KB read, half of it eventually consistent (items under 4 KB here).
        unit = 1.0 if self._strong else 0.5
        if model.name == "Query":
            found = parsed.get("Items", [])
            size = sum(self.sizes.get((self._pk, i["sk"]["S"]), item_size(i)) for i in found)
            self.units += max(1, math.ceil(size / 4096)) * unit
        elif model.name == "GetItem":
            self.units += unit

    def run(self, action: Callable[[], Any]) -> tuple[int, float, float]:
        self.requests, self.units = 0, 0.0
        start = time.perf_counter()
        action()
        return self.requests, self.units, time.perf_counter() - start


def measure(days: int = 92, per_day: int = 300, year_values: int = 40) -> list[str]:
    from unittest.mock import patch

    import boto3
    import time_machine
    from moto import mock_aws

    from counters.counting.service import default_service
    from counters.settings import settings
    from local.cloudformation import create_tables
    from local.lambda_env import InProcessApi

    lines = [
        f"reads of a range on moto (requests, read units, moto's wall time): /pages over {days}"
        f" days x {per_day} pages a day (half new each day), /breakdown over 366 days x"
        f" {year_values} campaigns a day (half new each day), against a stats read"
    ]
    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name="us-east-1"))
        settings.cache_clear()
        default_service.cache_clear()
        api = InProcessApi()
        api.register(SITE, "UTC")
        storage = default_service().storage
        sizes = seed(storage.client, _items("page", days, per_day, _pages_of))
        sizes |= seed(storage.client, _items("campaign", 366, year_values, _values_of))
        seed(storage.client, _watermark(LAST - timedelta(days=365)))
        meter = Meter(storage.client, sizes)
        first = LAST - timedelta(days=days - 1)
        year = LAST - timedelta(days=365)
        query = {"from": first.isoformat(), "to": LAST.isoformat(), "limit": "100"}
        whole_year = {"from": year.isoformat(), "to": LAST.isoformat(), "limit": "100"}

        def read(path: str, **extra: str) -> None:
            status, answer = api.call("GET", f"/v1/sites/{SITE}/{path}", query=extra)
            assert status == 200, answer

        def before(path: str, **extra: str) -> Callable[[], None]:
            """main's read before rollups (a site without a watermark): every day item."""

            def action() -> None:
                with patch.object(storage.rollups, "watermark", lambda site: None):
                    read(path, **extra)

            return action

        with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=UTC), tick=False):
            figures = {
                "stats read": meter.run(lambda: read("stats")),
                f"pages, {days} days, limit 100": meter.run(lambda: read("pages", **query)),
                f"  before: every day item of the {days} days": meter.run(before("pages", **query)),
                "breakdown, 366 days, limit 100": meter.run(
                    lambda: read("breakdown", dimension="campaign", **whole_year)
                ),
                "  before: every day item of the 366 days": meter.run(
                    before("breakdown", dimension="campaign", **whole_year)
                ),
            }
        copies = {
            dimension: nightly_copy(storage, dimension, LAST - timedelta(days=1))
            for dimension in ("page", "campaign")
        }
        default_service.cache_clear()
    for name, (requests, units, seconds) in figures.items():
        lines.append(f"  {name:45} {requests:5d} req {units:8.1f} RRU {seconds:7.2f} s")
    lines.append("  the nightly copy of a closed day into the month rollups, per dimension:")
    for dimension, (values, writes, wru, queries) in copies.items():
        lines.append(
            f"    {dimension:8} {values:5d} values: {writes:5d} UpdateItem {wru:6d} WRU,"
            f" {queries} Query of the day items"
        )
    return lines


def nightly_copy(storage: Any, dimension: str, day: date) -> tuple[int, int, int, int]:
    """One dimension of a closed day copied (as `counters.archive.rollups` does): values,
    UpdateItems, their write units (1 per KB of the rollup item after the write, the larger
    image: a copy only adds or replaces), Queries."""
    written: list[str] = []
    queries = [0]

    def ask(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "UpdateItem":
            written.append(params["Key"]["sk"]["S"])
        elif model.name == "Query":
            queries[0] += 1

    events = storage.client.meta.events
    events.register("before-parameter-build.dynamodb", ask)
    rows = list(storage.reports.rows(SITE, dimension, day, day))
    for row in rows:
        storage.rollups.copy(SITE, dimension, row)
    events.unregister("before-parameter-build.dynamodb", ask)
    wru = 0
    for value in written:
        key = {"pk": {"S": rollup_pk(SITE, dimension, day)}, "sk": {"S": value}}
        item = storage.client.get_item(TableName=os.environ["TABLE_NAME"], Key=key)["Item"]
        wru += -(-item_size(item) // 1024)
    return len(rows), len(written), wru, queries[0]


if __name__ == "__main__":
    import sys

    from local.lambda_env import use_template_environment

    use_template_environment()
    print("\n".join(measure(*map(int, sys.argv[1:4]))))
