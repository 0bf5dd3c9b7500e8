"""Report items: visits and page views per day and value of a dimension (page, source, ...).

Written only by the aggregator (`counters.aggregation.batches`), one guarded write per item
and stream batch; read by dashboards, one paginated Query per dimension and month, for
the days their month rollups do not hold yet (`counters.storage.rollup_items`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from counters.counting.periods import month_end, months
from counters.storage.keys import report_pk, report_sk, report_sk_range
from counters.storage.table import Item, Table, int_of, n
from counters.storage.updates import AddedBefore, Guard, UpdateExpression, added_before

# A report item's figures (see keys), as its month rollup copies them.
FIGURES = ("v", "p", "ev", "eb", "ed", "x")


@dataclass(frozen=True)
class ReportRow:
    day: date
    value: str
    visits: int
    pageviews: int
    # A page's: visits that began on it, their bounces and duration (ms); visits it ended.
    entries: int = 0
    entry_bounces: int = 0
    entry_duration_ms: int = 0
    exits: int = 0


def _key(site: str, dimension: str, day: date, value: str) -> Item:
    return {"pk": {"S": report_pk(site, dimension, day)}, "sk": {"S": report_sk(day, value)}}


class ReportItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def rows(self, site: str, dimension: str, first: date, last: date) -> Iterator[ReportRow]:
        """Every value's counts of every day from `first` to `last`: one Query a month."""
        for month in months(first, last):
            lo, hi = report_sk_range(max(first, month), min(last, month_end(month)))
            items = self.table.query_all(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": {"S": report_pk(site, dimension, month)},
                    ":lo": {"S": lo},
                    ":hi": {"S": hi},
                },
                ProjectionExpression="sk, " + ", ".join(FIGURES),
            )
            for item in items:
                day, _, value = item["sk"]["S"].partition("#")
                if value:  # "" is the day's tally of distinct values
                    yield ReportRow(
                        date.fromisoformat(day),
                        value,
                        *(int_of(item, name) for name in FIGURES),
                    )

    def clear_day(self, site: str, dimension: str, day: date) -> int:
        """Deletes a day's items of a dimension (values and tally), for a rebuild; how many."""
        lo, hi = report_sk_range(day, day)
        keys = [
            {"pk": item["pk"], "sk": item["sk"]}
            for item in self.table.query_all(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": {"S": report_pk(site, dimension, day)},
                    ":lo": {"S": lo},
                    ":hi": {"S": hi},
                },
                ProjectionExpression="pk, sk",
                ConsistentRead=True,
            )
        ]
        for start in range(0, len(keys), 25):  # BatchWriteItem's limit
            pending: Any = {
                self.table.name: [{"DeleteRequest": {"Key": k}} for k in keys[start : start + 25]]
            }
            for _ in range(8):
                pending = self.table.send("batch_write_item", RequestItems=pending).get(
                    "UnprocessedItems"
                )
                if not pending:
                    break
            else:
                raise RuntimeError("DynamoDB left deletes unprocessed; try again")
        return len(keys)

    def existing(self, site: str, dimension: str, day: date, values: list[str]) -> dict[str, Item]:
        """The stored items of these values (and "" for the day's tally), by value."""
        keys = [_key(site, dimension, day, value) for value in ["", *values]]
        found = self.table.get_many(keys)
        return {item["sk"]["S"].partition("#")[2]: item for item in found}

    def admit_values(self, site: str, dimension: str, day: date, wanted: int, cap: int) -> int:
        """Reserves room for up to `wanted` new values of a day; returns how many fit under `cap`.

        An over-count (a reservation whose values were then not written) only makes the
        cap bite a little early: never more than `cap` values are stored.
        """
        key = _key(site, dimension, day, "")
        wanted = min(wanted, cap)
        for _ in range(4):
            if wanted <= 0:
                return 0
            try:
                self.table.send(
                    "update_item",
                    TableName=self.table.name,
                    Key=key,
                    UpdateExpression="ADD #values :k",
                    ConditionExpression="attribute_not_exists(#values) OR #values <= :limit",
                    ExpressionAttributeNames={"#values": "values"},
                    ExpressionAttributeValues={":k": n(wanted), ":limit": n(cap - wanted)},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return wanted
            except self.table.client.exceptions.ConditionalCheckFailedException as refused:
                old = self.table.refused_item(refused, key)
                wanted = min(wanted, cap - int_of(old, "values"))
        return 0

    def add(
        self,
        site: str,
        dimension: str,
        day: date,
        value: str,
        counts: Mapping[str, int],
        guard: Guard,
    ) -> AddedBefore | None:
        """Adds a batch's counts (attribute -> amount: `v`, `p` and a page's entry and exit
        figures, see keys) to one value's item, unless the item has seen the batch."""
        key = _key(site, dimension, day, value)
        try:
            expression = UpdateExpression()
            expression.adds += [
                f"{attr} {expression.value(amount)}"
                for attr, amount in counts.items()
                if amount or attr in ("v", "p")
            ]
            condition = expression.guard(guard)
            self.table.send(
                "update_item",
                adds=True,
                TableName=self.table.name,
                Key=key,
                ConditionExpression=condition,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **expression.request(),
            )
        except self.table.client.exceptions.ConditionalCheckFailedException as refused:
            seen = added_before(guard, self.table.refused_item(refused, key))
            if seen is None:
                raise RuntimeError(
                    f"report {dimension}={value} of {site} refused a write"
                ) from refused
            return seen
        return None
