"""Imported history items: a previous counter's years, months and days (keys in `keys`).

Not `DAY#`: the rollover's Queries read `sk BETWEEN DAY# AND ...` and must only
ever meet day counters. One item per imported period, written with a plain Put
(a re-import overwrites it with the same figures, a corrected row with the new
ones), 25 to a BatchWriteItem; identical items are not written again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from counters.counting.figures import DayRecord
from counters.imported.rows import Granularity, ImportedPeriod
from counters.storage.day_records import day_record
from counters.storage.keys import DAY_PREFIX, IMPORT_PREFIX, site_pk
from counters.storage.table import OutcomeUnknownError, Table

PREFIX = IMPORT_PREFIX
_GRANULARITY: dict[str, Granularity] = {"Y": "year", "M": "month", "D": "day"}
BATCH = 25  # BatchWriteItem's limit
# A 20-year import is ~300 batches: a few in flight keep it to seconds on Lambda.
PARALLEL_BATCHES = 4
UNPROCESSED_ROUNDS = 8


def import_sk(period: ImportedPeriod) -> str:
    return PREFIX + period.key


def _item(site: str, period: ImportedPeriod) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": site_pk(site)}, "sk": {"S": import_sk(period)}}
    if period.visits is not None:
        item["v"] = {"N": str(period.visits)}
    if period.pageviews is not None:
        item["p"] = {"N": str(period.pageviews)}
    return item


def _period(item: dict[str, Any]) -> ImportedPeriod:
    letter, _, label = item["sk"]["S"].removeprefix(PREFIX).partition("#")
    granularity = _GRANULARITY[letter]
    year, month, day = (label.split("-") + ["1", "1"])[:3]
    return ImportedPeriod(
        granularity,
        date(int(year), int(month), int(day)),
        visits=int(item["v"]["N"]) if "v" in item else None,
        pageviews=int(item["p"]["N"]) if "p" in item else None,
    )


class ImportedItems:
    """Reads and writes a site's imported periods."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def periods(
        self, site: str, first: date | None = None, last: date | None = None
    ) -> list[ImportedPeriod]:
        """Imported periods; with a range, at least those a series of it needs. One Query.

        Keys sort D < M < Y, so `IMPORT#D#{first}` .. `IMPORT#Y#{last year}` holds the
        range's days (and later ones, which are few: imports end before counting),
        every month, and the years up to the range's last.
        """
        low = f"{PREFIX}D#{first.isoformat()}" if first else PREFIX
        high = f"{PREFIX}Y#{last.year:04d}" if last else PREFIX + "\uffff"
        items = self.table.query_all(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": site_pk(site)},
                ":lo": {"S": low},
                ":hi": {"S": high},
            },
            ConsistentRead=first is None,
        )
        return [_period(item) for item in items]

    def first_day(self, site: str) -> DayRecord | None:
        """The oldest day item (counted traffic or a baseline): one Query."""
        answer = self.table.send(
            "query",
            TableName=self.table.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
            ExpressionAttributeValues={":pk": {"S": site_pk(site)}, ":day": {"S": DAY_PREFIX}},
            Limit=1,
            ConsistentRead=True,
        )
        items = answer.get("Items", [])
        return day_record(items[0]) if items else None

    def put(self, site: str, periods: Iterable[ImportedPeriod]) -> int:
        """Writes the periods, 25 to a request; returns how many items were written."""
        items = [_item(site, period) for period in periods]
        batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
        if len(batches) <= 1:  # most imports (a NukeViet dump is ~40 periods): no threads
            for batch in batches:
                self._write_batch(batch)
        else:
            with ThreadPoolExecutor(max_workers=PARALLEL_BATCHES) as pool:
                list(pool.map(self._write_batch, batches))
        return len(items)

    def _write_batch(self, items: list[dict[str, Any]]) -> None:
        requests = {self.table.name: [{"PutRequest": {"Item": item}} for item in items]}
        for attempt in range(UNPROCESSED_ROUNDS):
            answer = self.table.send("batch_write_item", RequestItems=requests)
            requests = answer.get("UnprocessedItems") or {}
            if not requests:
                return
            # Throttled items come back unprocessed: back off, then send just those.
            time.sleep(random.uniform(0, 0.05 * 2**attempt))
        raise OutcomeUnknownError("DynamoDB left imported periods unprocessed; retry the import")
