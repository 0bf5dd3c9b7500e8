"""Report items: visits and page views per day and value of a dimension (page, source, ...).

Written only by the aggregator (`counters.aggregation.batches`), one guarded write per item
and stream batch, which also counts the item's writes (`n`) and answers its new figures:
the aggregator copies them into the value's month rollup (`counters.storage.rollup_items`),
which dashboards read. Day items are read by the aggregator and rebuilds.
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

# A report item's figures (see keys), and its count of writes (orders its rollup copies).
FIGURES = ("v", "p", "ev", "eb", "ed", "x")
WRITES = "n"


def figures_of(item: Item) -> dict[str, int]:
    """A report item's figures and write count, those it has."""
    return {name: int(item[name]["N"]) for name in (*FIGURES, WRITES) if name in item}


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
    writes: int = 0

    def figures(self) -> dict[str, int]:
        """The row's figures and write count, by attribute name."""
        amounts = (self.visits, self.pageviews, self.entries, self.entry_bounces)
        more = (self.entry_duration_ms, self.exits, self.writes)
        return dict(zip((*FIGURES, WRITES), amounts + more, strict=True))


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
                ProjectionExpression="sk, v, p, ev, eb, ed, x, n",
            )
            for item in items:
                day, _, value = item["sk"]["S"].partition("#")
                if value:  # "" is the day's tally of distinct values
                    yield ReportRow(
                        date.fromisoformat(day),
                        value,
                        *(int_of(item, name) for name in (*FIGURES, WRITES)),
                    )

    def day_values(self, site: str, dimension: str, day: date) -> list[str]:
        """The values a day has items of ("" its tally), for a rebuild."""
        lo, hi = report_sk_range(day, day)
        return [
            item["sk"]["S"].partition("#")[2]
            for item in self.table.query_all(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                ExpressionAttributeValues={
                    ":pk": {"S": report_pk(site, dimension, day)},
                    ":lo": {"S": lo},
                    ":hi": {"S": hi},
                },
                ProjectionExpression="sk",
                ConsistentRead=True,
            )
        ]

    def clear_day(self, site: str, dimension: str, day: date, values: list[str]) -> int:
        """Deletes these values' items of a day (a rebuild); how many."""
        keys = [_key(site, dimension, day, value) for value in values]
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
    ) -> AddedBefore | dict[str, int]:
        """Adds a batch's counts (attribute -> amount: `v`, `p` and a page's entry and exit
        figures, see keys) to one value's item, unless the item has seen the batch; answers
        the item's figures after the write, or what it had added before (and its figures)."""
        key = _key(site, dimension, day, value)
        try:
            expression = UpdateExpression()
            expression.adds += [
                f"{attr} {expression.value(amount)}"
                for attr, amount in counts.items()
                if amount or attr in ("v", "p")
            ]
            expression.adds.append(f"{WRITES} {expression.value(1)}")
            condition = expression.guard(guard)
            answer = self.table.send(
                "update_item",
                adds=True,
                TableName=self.table.name,
                Key=key,
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",  # no read units: the rollup copies the figures
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **expression.request(),
            )
        except self.table.client.exceptions.ConditionalCheckFailedException as refused:
            old = self.table.refused_item(refused, key)
            seen = added_before(guard, old)
            if seen is None:
                raise RuntimeError(
                    f"report {dimension}={value} of {site} refused a write"
                ) from refused
            return AddedBefore(seen.upto, figures_of(old))
        return figures_of(answer.get("Attributes", {}))
