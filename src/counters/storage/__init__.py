"""All DynamoDB access: one module per item kind, the key layout in `keys`, the
guarded additive expressions day and report items share in `updates`.

`Storage` holds one `Table` (the client and its retry policy, `table`) and the
item kinds that use it. The low-level client is used on purpose: it imports
faster than the resource API and lets us write the exact expressions, one
request per call.
"""

from __future__ import annotations

from typing import Any

from counters.storage.day_event_items import DayEventItems
from counters.storage.day_items import DayItems, Sealed
from counters.storage.imported_items import ImportedItems
from counters.storage.lane_items import LaneItems
from counters.storage.report_items import ReportItems, ReportRow
from counters.storage.rollup_items import RollupItems
from counters.storage.salt_items import SaltItems
from counters.storage.site_items import SiteItems
from counters.storage.table import OutcomeUnknownError, Table
from counters.storage.updates import AddedBefore, Guard, Increment
from counters.storage.visitor_items import VisitorItems

__all__ = [
    "AddedBefore",
    "Guard",
    "Increment",
    "OutcomeUnknownError",
    "ReportRow",
    "Sealed",
    "Storage",
]


class Storage:
    def __init__(self, client: Any, table_name: str, attempts: int = 4) -> None:
        self.table = Table(client, table_name, attempts)
        self.sites = SiteItems(self.table)
        self.days = DayItems(self.table)
        self.day_events = DayEventItems(self.table)
        self.visitors = VisitorItems(self.table)
        self.salts = SaltItems(self.table)
        self.reports = ReportItems(self.table)
        self.rollups = RollupItems(self.table)
        self.lanes = LaneItems(self.table)
        self.imported = ImportedItems(self.table)

    @property
    def client(self) -> Any:
        return self.table.client
