"""Day items read: a day item (and its day's events item) as a `DayRecord`.

Keys in `counters.storage.keys`; the writes are `counters.storage.day_items`'.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from counters.counting.figures import Bases, DayRecord, Metric, Tally
from counters.storage.keys import day_of_sk
from counters.storage.table import Item, int_of
from counters.storage.updates import ENGAGEMENT_ATTR, METRIC_ATTR

BASE_FIELDS = ("yesterday", "month", "year", "total")
# On the site's first day item opened without a baseline: its bases come from imported
# history (`DayRecord.from_history`). A baseline's Put replaces the item, and the mark.
HISTORY_ATTR = "hb"
# What a series needs of a day item: counts and bases, not the online tallies.
SERIES_ATTRS = ", ".join(
    ["sk", *METRIC_ATTR.values(), *ENGAGEMENT_ATTR.values()]
    + [f"{prefix}_{name}" for prefix in METRIC_ATTR.values() for name in BASE_FIELDS]
)


def day_record(item: Item) -> DayRecord:
    tallies: dict[Metric, Tally] = {}
    for metric, prefix in METRIC_ATTR.items():
        bases = Bases(**{f: int_of(item, f"{prefix}_{f}") for f in BASE_FIELDS})
        tallies[metric] = Tally(count=int_of(item, prefix), bases=bases)
    sealed = item.get("sealed_by")
    first_in_window: dict[int, int] = {}
    new_since_previous: dict[int, int] = {}
    for name, value in item.items():
        if name[:2] in ("oa", "ob") and name[2:].isdigit():
            tally = first_in_window if name[1] == "a" else new_since_previous
            tally[int(name[2:])] = int(value["N"])
    return DayRecord(
        day=day_of_sk(item["sk"]["S"]),
        tallies=tallies,
        sealed_by=date.fromisoformat(sealed["S"]) if sealed else None,
        from_history=HISTORY_ATTR in item,
        first_in_window=first_in_window,
        new_since_previous=new_since_previous,
        bounces=int(item["bn"]["N"]) if "bn" in item else None,
        duration_ms=int(item["du"]["N"]) if "du" in item else None,
    )


def with_event_bounces(record: DayRecord, bounces: int) -> DayRecord:
    """A day's figures with the bounces its events ended (none before engagement)."""
    if record.bounces is None:
        return record
    return replace(record, bounces=record.bounces + bounces)
