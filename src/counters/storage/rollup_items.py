"""Month rollups of report items: one item per value and month, its figures per day.

A closed day's report items (`v`, `p`, a page's `ev`, `eb`, `ed`, `x`: see keys) are
copied once, by the nightly job (`counters.archive.rollups`), into their values' month
rollups as `v15`, `p15`, ... for the 15th: absolute figures, so a copy made again writes
the same. A site's watermark item (`ROLLUP#{site}` / `THROUGH`) says which days are
copied: every day from `first` to `through`, each with every dimension.

Pages, breakdowns and goals read a range through `range_rows`: its copied days from the
rollups (one paginated Query per month, whatever its days), its other days (the last
few, not yet closed, and those before the first copied day) from the day items, as
before rollups. A site without a watermark reads its day items only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from counters.counting.periods import month_end, months
from counters.storage.keys import rollup_pk, rollup_watermark_key
from counters.storage.report_items import FIGURES, ReportItems, ReportRow
from counters.storage.table import Item, Table, n


@dataclass(frozen=True)
class Watermark:
    """The days whose report items a site's rollups hold: `first` to `through`."""

    first: date
    through: date
    backfilled: bool = False  # the nightly job found nothing older: it backfills no more

    def days(self, first: date, last: date) -> tuple[date, date] | None:
        """The part of `first` to `last` the rollups hold (None: none of it)."""
        lo, hi = max(first, self.first), min(last, self.through)
        return (lo, hi) if lo <= hi else None


def _add_slots(total: list[int], rollup: Item, first: int, last: int) -> bool:
    """Adds a rollup's figures of its month's days `first` to `last` to `total` (in the
    order of FIGURES); whether it has any copy of those days."""
    found = False
    for name, attr in rollup.items():
        figure, dd = name[:-2], name[-2:]
        if dd.isdigit() and figure in FIGURES and first <= int(dd) <= last:
            found = True
            total[FIGURES.index(figure)] += int(attr["N"])
    return found


def _figures(row: ReportRow) -> dict[str, int]:
    entries = (row.entries, row.entry_bounces, row.entry_duration_ms, row.exits)
    return dict(zip(FIGURES, (row.visits, row.pageviews, *entries), strict=True))


def summed(rows: Iterable[ReportRow], first: date) -> list[ReportRow]:
    """Rows of any days added up per value (dated `first`)."""
    found: dict[str, list[int]] = {}
    for row in rows:
        total = found.setdefault(row.value, [0] * len(FIGURES))
        for i, amount in enumerate(_figures(row).values()):
            total[i] += amount
    return [ReportRow(first, value, *figures) for value, figures in found.items()]


class RollupItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def watermark(self, site: str) -> Watermark | None:
        item = self.table.send(
            "get_item",
            TableName=self.table.name,
            Key=rollup_watermark_key(site),
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return Watermark(
            date.fromisoformat(item["first"]["S"]),
            date.fromisoformat(item["through"]["S"]),
            bool(item.get("backfilled", {}).get("BOOL", False)),
        )

    def set_watermark(self, site: str, mark: Watermark) -> None:
        """Written only after every dimension of its days is copied."""
        item = {
            **rollup_watermark_key(site),
            "first": {"S": mark.first.isoformat()},
            "through": {"S": mark.through.isoformat()},
            "backfilled": {"BOOL": mark.backfilled},
        }
        self.table.send("put_item", TableName=self.table.name, Item=item)

    def range_rows(
        self, reports: ReportItems, site: str, dimension: str, first: date, last: date
    ) -> list[ReportRow]:
        """Each value's figures added up from `first` to `last` (dated `first`): the
        watermark's days from the rollups, the others from the day items."""
        mark = self.watermark(site)
        held = mark.days(first, last) if mark else None
        if held is None:
            return summed(reports.rows(site, dimension, first, last), first)
        lo, hi = held
        rows = list(self.totals(site, dimension, lo, hi))
        if first < lo:
            rows += reports.rows(site, dimension, first, lo - timedelta(days=1))
        if hi < last:
            rows += reports.rows(site, dimension, hi + timedelta(days=1), last)
        return summed(rows, first)

    def totals(self, site: str, dimension: str, first: date, last: date) -> Iterator[ReportRow]:
        """Each value's figures of each month from `first` to `last`, from the rollups: one
        Query a month (paged by 1 MB), whole items (a read unit pays for them)."""
        for month in months(first, last):
            lo, hi = max(first, month).day, min(last, month_end(month)).day
            items = self.table.query_all(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": rollup_pk(site, dimension, month)}},
            )
            for item in items:
                total = [0] * len(FIGURES)
                if _add_slots(total, item, lo, hi):
                    yield ReportRow(month, item["sk"]["S"], *total)

    def copy(self, site: str, dimension: str, row: ReportRow) -> None:
        """A day item's figures into its month rollup: absolute, so sent again it writes
        the same."""
        dd = f"{row.day.day:02d}"
        figures = {
            name: amount for name, amount in _figures(row).items() if amount or name in ("v", "p")
        }
        self.table.send(
            "update_item",
            TableName=self.table.name,
            Key=self._key(site, dimension, row.day, row.value),
            UpdateExpression="SET " + ", ".join(f"{name}{dd} = :{name}" for name in figures),
            ExpressionAttributeValues={f":{name}": n(amount) for name, amount in figures.items()},
        )

    def copied_values(self, site: str, dimension: str, day: date) -> list[str]:
        """The values a day has copies of (a rebuild's re-copy removes those it no longer
        has): one Query of the month's rollups."""
        dd = f"{day.day:02d}"
        items = self.table.query_all(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": rollup_pk(site, dimension, day)}},
            ProjectionExpression=f"sk, v{dd}, p{dd}",
            ConsistentRead=True,
        )
        return [item["sk"]["S"] for item in items if f"v{dd}" in item or f"p{dd}" in item]

    def remove(self, site: str, dimension: str, day: date, value: str) -> None:
        """A value's copy of a day removed (a rebuilt day no longer has the value)."""
        dd = f"{day.day:02d}"
        try:
            self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=self._key(site, dimension, day, value),
                UpdateExpression="REMOVE " + ", ".join(f"{name}{dd}" for name in FIGURES),
                ConditionExpression="attribute_exists(sk)",  # creates no empty rollup
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return

    @staticmethod
    def _key(site: str, dimension: str, day: date, value: str) -> Item:
        return {"pk": {"S": rollup_pk(site, dimension, day)}, "sk": {"S": value}}
