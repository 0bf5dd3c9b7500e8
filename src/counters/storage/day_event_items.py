"""A direct site's day events item: the bounces its events ended (`DAY#{date}#e`).

Apart from the day item, which every direct hit writes: the shard marks that make these
deltas exactly once (one per stream shard that brought events that day) would grow that
write past one write unit. `DayItems.records` reads both in one Query.
"""

from __future__ import annotations

from datetime import date

from counters.storage.keys import day_events_sk, site_pk
from counters.storage.table import Table
from counters.storage.updates import AddedBefore, Guard, UpdateExpression, added_before


class DayEventItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add_bounces(self, site: str, day: date, bounces: int, guard: Guard) -> AddedBefore | None:
        """Adds the bounces a direct site's events ended to their day, sealed or not: no
        later day's bases depend on them."""
        expression = UpdateExpression()
        expression.adds.append(f"bn {expression.value(bounces)}")
        condition = expression.guard(guard)
        key = {"pk": {"S": site_pk(site)}, "sk": {"S": day_events_sk(day)}}
        try:
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
            assert seen is not None  # only the guard can refuse this write
            return seen
        return None
