"""Month rollups of report items: one item per value and month, its figures per day.

The report aggregator copies a day item's figures (`v`, `p`, a page's `ev`, `eb`, `ed`,
`x`: see keys) into its value's month rollup after every write to it, as `v15`, `p15`,
... for the 15th. Pages, breakdowns and goals read the rollups: a range costs one
paginated Query per month, whatever its days, and its read units grow with the months'
distinct values, not with days x values.

A rollup is exact without stream marks of its own: a copy holds the day item's absolute
figures and write count `n` (the item ADDs 1 on every write, and the write answers its
new figures at no read cost), and a copy only replaces an older one (`n{dd} < :n`). So a
copy sent twice, late or out of order changes nothing, and a rollup equals its day items
once their last write's copy is made (a failed copy fails the batch, whose redelivery
copies the day item as it stands). A rebuild deletes a day's items, whose write counts
then start again: it clears the day's copies first (`clear_day`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from counters.counting.periods import month_end, months
from counters.storage.keys import rollup_pk
from counters.storage.report_items import FIGURES, WRITES, ReportItems, ReportRow
from counters.storage.table import Item, Table, n


def _slot(name: str) -> tuple[str, int] | None:
    """("p", 15) for `p15`; None for keys and other attributes."""
    figure, day = name[:-2], name[-2:]
    return (figure, int(day)) if day.isdigit() and figure in (*FIGURES, WRITES) else None


def _add_slots(total: list[int], rollup: Item, first: int, last: int) -> bool:
    """Adds a rollup's figures of its month's days `first` to `last` to `total` (in the
    order of FIGURES); whether it has any copy of those days."""
    found = False
    for name, attr in rollup.items():
        slot = _slot(name)
        if slot is None or not first <= slot[1] <= last:
            continue
        found = True
        if slot[0] != WRITES:
            total[FIGURES.index(slot[0])] += int(attr["N"])
    return found


class RollupItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def totals(self, site: str, dimension: str, first: date, last: date) -> list[ReportRow]:
        """Each value's figures added up from `first` to `last` (one row per value, dated
        `first`): one Query a month (paged by 1 MB), whole items (a read unit pays for them)."""
        found: dict[str, list[int]] = {}
        for month in months(first, last):
            lo, hi = max(first, month).day, min(last, month_end(month)).day
            items = self.table.query_all(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": rollup_pk(site, dimension, month)}},
            )
            for item in items:
                total = found.get(item["sk"]["S"], [0] * len(FIGURES))
                if _add_slots(total, item, lo, hi):
                    found[item["sk"]["S"]] = total
        return [ReportRow(first, value, *figures) for value, figures in found.items()]

    def roll(
        self, site: str, dimension: str, day: date, value: str, figures: Mapping[str, int]
    ) -> bool:
        """Copies a day item's figures (with its write count) into its month rollup, unless
        the rollup has this copy or a later one (False then). Safe to send again."""
        dd = f"{day.day:02d}"
        names = [name for name in FIGURES if name in figures]
        values = {f":{name}": n(figures[name]) for name in names}
        values[":n"] = n(figures.get(WRITES, 0))  # 0: an item written before rollups
        try:
            self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=self._key(site, dimension, day, value),
                UpdateExpression="SET "
                + ", ".join(f"{name}{dd} = :{name}" for name in [*names, WRITES]),
                ConditionExpression=f"attribute_not_exists({WRITES}{dd}) OR {WRITES}{dd} < :n",
                ExpressionAttributeValues=values,
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def behind(
        self, site: str, dimension: str, day: date, figures: Mapping[str, Mapping[str, int]]
    ) -> list[str]:
        """The values (of value -> a day item's figures) whose rollup has no copy of these
        figures: one BatchGetItem per 100 values, no write (batches delivered again)."""
        if not figures:
            return []
        slot = f"{WRITES}{day.day:02d}"
        keys = [self._key(site, dimension, day, value) for value in figures]
        copied = {
            item["sk"]["S"]: int(item[slot]["N"])
            for item in self.table.get_many(keys)
            if slot in item
        }
        return [
            value
            for value, item in figures.items()
            if value not in copied or copied[value] < item.get(WRITES, 0)
        ]

    def clear_day(self, site: str, dimension: str, day: date, values: Iterable[str]) -> None:
        """Removes these values' copies of a day (a rebuild, before it deletes their day items)."""
        dd = f"{day.day:02d}"
        for value in values:
            try:
                self.table.send(
                    "update_item",
                    TableName=self.table.name,
                    Key=self._key(site, dimension, day, value),
                    UpdateExpression="REMOVE "
                    + ", ".join(f"{name}{dd}" for name in (*FIGURES, WRITES)),
                    ConditionExpression="attribute_exists(sk)",  # creates no empty rollup
                )
            except self.table.client.exceptions.ConditionalCheckFailedException:
                continue

    def backfill(
        self, reports: ReportItems, site: str, dimension: str, first: date, last: date
    ) -> int:
        """Copies the day items of `first` to `last` into their rollups (days aggregated
        before rollups existed); safe beside a running aggregator. How many copies were new."""
        return sum(
            self.roll(site, dimension, row.day, row.value, row.figures())
            for row in reports.rows(site, dimension, first, last)
        )

    @staticmethod
    def _key(site: str, dimension: str, day: date, value: str) -> Item:
        return {"pk": {"S": rollup_pk(site, dimension, day)}, "sk": {"S": value}}
