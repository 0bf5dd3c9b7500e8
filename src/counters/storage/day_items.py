"""Day items: the figures of a site's day and their bases (one request per counted hit).

Keys in `counters.storage.keys`. Every write that adds to a day is conditional on
the day being opened and not sealed (see `counters.counting.daybook` for the rollover),
and, when an aggregator adds a stream batch, on the batch being new to the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from counters.counting.figures import Bases, DayRecord, Metric, opening_bases
from counters.storage.day_records import (
    BASE_FIELDS,
    HISTORY_ATTR,
    SERIES_ATTRS,
    day_record,
    with_event_bounces,
)
from counters.storage.keys import (
    DAY_PREFIX,
    day_events_sk,
    day_of_sk,
    day_sk,
    is_day_events_sk,
    site_pk,
)
from counters.storage.table import Item, Table, int_of, n, refused_item
from counters.storage.updates import (
    METRIC_ATTR,
    AddedBefore,
    Guard,
    Increment,
    UpdateExpression,
    added_before,
)


@dataclass(frozen=True)
class Sealed:
    """The answer of a write refused because the day item is already sealed."""

    by: date


Added = DayRecord | Sealed | AddedBefore | None


class DayItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def _key(self, site: str, day: date) -> Item:
        return {"pk": {"S": site_pk(site)}, "sk": {"S": day_sk(day)}}

    def latest(
        self, site: str, on_or_before: date, *, consistent: bool = False
    ) -> DayRecord | None:
        """The newest day item on or before a date: one Query, however long the site was idle."""
        # Newest first, a day's events item comes before its day item: two are enough
        # (events items exist only beside their day's item).
        answer = self.table.send(
            "query",
            TableName=self.table.name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": site_pk(site)},
                ":lo": {"S": DAY_PREFIX},
                ":hi": {"S": day_sk(on_or_before)},
            },
            ScanIndexForward=False,
            Limit=2,
            ConsistentRead=consistent,
        )
        days = [item for item in answer.get("Items", []) if not is_day_events_sk(item["sk"]["S"])]
        return day_record(days[0]) if days else None

    def last_before(self, site: str, day: date) -> DayRecord | None:
        return self.latest(site, day - timedelta(days=1), consistent=True)

    def records(self, site: str, first: date, last: date) -> list[DayRecord]:
        """The day items from `first` to `last`, oldest first: one paginated Query."""
        items = self.table.query_all(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": site_pk(site)},
                ":lo": {"S": day_sk(first)},
                ":hi": {"S": day_events_sk(last)},
            },
            ProjectionExpression=SERIES_ATTRS,
        )
        records: list[DayRecord] = []
        for item in items:
            if not is_day_events_sk(item["sk"]["S"]):
                records.append(day_record(item))
            elif records and records[-1].day == day_of_sk(item["sk"]["S"]):
                records[-1] = with_event_bounces(records[-1], int_of(item, "bn"))
        return records

    def any_before(self, site: str, day: date) -> bool:
        """Whether the site has a day item before `day` (had traffic): one Query, one item."""
        answer = self.table.send(
            "query",
            TableName=self.table.name,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": site_pk(site)},
                ":lo": {"S": day_sk(date.min)},
                ":hi": {"S": day_sk(day - timedelta(days=1))},
            },
            ProjectionExpression="sk",
            Limit=1,
        )
        return bool(answer.get("Items"))

    def add(
        self,
        site: str,
        day: date,
        increment: Increment,
        note: str | None = None,
        guard: Guard | None = None,
    ) -> Added:
        """Adds to an opened, unsealed day item and returns it whole: a hit's one request.

        `note` rides along for the aggregators (see keys). None means the day item
        is not opened yet; `Sealed` that a later day has begun.
        """
        expression = UpdateExpression()
        expression.increment(increment)
        condition = "attribute_exists(v_total) AND attribute_not_exists(sealed_by)"
        # Refused, the item may not exist (a day not opened yet): it is not read then.
        return self._update(site, day, expression, condition, note, guard, exists=False)

    def open(
        self,
        site: str,
        day: date,
        previous: DayRecord | None,
        increment: Increment,
        note: str | None = None,
        guard: Guard | None = None,
        from_history: Mapping[Metric, Bases] | None = None,
    ) -> DayRecord | Sealed | AddedBefore:
        """Opens a day item with its bases from the sealed previous day, and adds.

        With no previous day (the site's first), the bases are those its imported history
        gives (`from_history`), and the item is marked so. Whatever another request opening the same
        day wrote first is kept: both computed the same bases from the same sealed day.
        """
        expression = UpdateExpression()
        for metric, prefix in METRIC_ATTR.items():
            if previous is None and from_history is not None:
                bases = from_history[metric]
            else:
                bases = opening_bases(previous, day, metric)
            for name in BASE_FIELDS:
                expression.set_if_absent(f"{prefix}_{name}", getattr(bases, name))
        if previous is None:
            expression.set_if_absent(HISTORY_ATTR, 1)
        carried: set[str] = set()
        w = increment.latest_window
        if previous is not None and w is not None:
            # Online tallies of the current windows carry over local midnight.
            add = increment.windows
            expression.set_if_absent(
                f"oa{w - 1}", previous.first_in_window.get(w - 1, 0), plus=add.get(w - 1, (0, 0))[0]
            )
            expression.set_if_absent(f"oa{w}", previous.first_in_window.get(w, 0), plus=add[w][0])
            expression.set_if_absent(
                f"ob{w}", previous.new_since_previous.get(w, 0), plus=add[w][1]
            )
            carried = {f"oa{w - 1}", f"oa{w}", f"ob{w}"}
        expression.increment(increment, frozenset(carried))
        condition = "attribute_not_exists(sealed_by)"  # refused, the item exists
        result = self._update(site, day, expression, condition, note, guard, exists=True)
        assert result is not None  # only a sealed or guarded item can refuse this write
        return result

    def _update(
        self,
        site: str,
        day: date,
        expression: UpdateExpression,
        condition: str,
        note: str | None,
        guard: Guard | None,
        exists: bool,
    ) -> Added:
        """The write; refused, what the item says (read if the engine did not answer it,
        when `exists`: the condition passes on an absent item)."""
        if note is not None:
            expression.sets.append(f"h = {expression.value(note)}")
        if guard is not None:
            condition = f"{condition} AND {expression.guard(guard)}"
        try:
            answer = self.table.send(
                "update_item",
                adds=True,
                TableName=self.table.name,
                Key=self._key(site, day),
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **expression.request(),
            )
        except self.table.client.exceptions.ConditionalCheckFailedException as refused:
            key = self._key(site, day)
            old = self.table.refused_item(refused, key) if exists else refused_item(refused)
            seen = added_before(guard, old) if guard is not None else None
            if seen is not None:
                return seen
            if "sealed_by" in old:
                return Sealed(by=date.fromisoformat(old["sealed_by"]["S"]))
            return None
        return day_record(answer["Attributes"])

    def seal(self, site: str, day: date, by: date) -> DayRecord | Sealed:
        """Closes a day item to further increments, naming the day that opens after it.

        Returns the day's final record, or `Sealed` if a different day sealed it first.
        """
        try:
            answer = self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=self._key(site, day),
                UpdateExpression="SET sealed_by = :by",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(sealed_by) OR sealed_by = :by)",
                ExpressionAttributeValues={":by": {"S": by.isoformat()}},
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException as refused:
            current = self.table.refused_item(refused, self._key(site, day))
            if "sealed_by" not in current:
                raise RuntimeError(f"day {day} of {site} vanished while sealing") from refused
            return Sealed(by=date.fromisoformat(current["sealed_by"]["S"]))
        return day_record(answer["Attributes"])

    def rebase_first(self, site: str, day: date, bases: Mapping[Metric, Bases]) -> DayRecord | None:
        """Sets the bases of the site's first day item to what imported history now gives.

        Only while it is marked as opened from history (no baseline replaced it) and
        unsealed (no later day took its figures over); else None. Hits add to its counts,
        not its bases: none is lost.
        """
        values = {":one": n(1)}
        sets = []
        for metric, prefix in METRIC_ATTR.items():
            for name in BASE_FIELDS:
                values[f":{prefix}_{name}"] = n(getattr(bases[metric], name))
                sets.append(f"{prefix}_{name} = :{prefix}_{name}")
        try:
            answer = self.table.send(
                "update_item",
                TableName=self.table.name,
                Key=self._key(site, day),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"{HISTORY_ATTR} = :one AND attribute_not_exists(sealed_by)",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except self.table.client.exceptions.ConditionalCheckFailedException:
            return None
        return day_record(answer["Attributes"])

    def put_baseline(self, site: str, day: date, count: int, bases: Bases) -> DayRecord:
        """Writes a day item holding imported figures, for both metrics."""
        item: Item = self._key(site, day)
        for prefix in METRIC_ATTR.values():
            item[prefix] = n(count)
            for name in BASE_FIELDS:
                item[f"{prefix}_{name}"] = n(getattr(bases, name))
        self.table.send("put_item", TableName=self.table.name, Item=item)
        return day_record(item)
