"""Hit lanes: the items a high-traffic site's hits write their notes on (see keys)."""

from __future__ import annotations

from counters.storage.keys import LANE_SK, lane_pk
from counters.storage.table import Table


class LaneItems:
    def __init__(self, table: Table) -> None:
        self.table = table

    def put_note(self, site: str, lane: int, note: str) -> None:
        """One write: the stream carries the note to the aggregator.

        Never re-sent after a failure that may have written it: another hit may have
        taken the lane since, and writing this note again would count it twice.
        """
        self.table.send(
            "update_item",
            adds=True,
            TableName=self.table.name,
            Key={"pk": {"S": lane_pk(site, lane)}, "sk": {"S": LANE_SK}},
            UpdateExpression="SET h = :h",
            ExpressionAttributeValues={":h": {"S": note}},
        )
