"""The aggregation path, writing part: adds a stream batch's hits to their items, each once.

Two consumers of the table's stream (see `counters.aggregation.batches` for the notes),
each with its own batching window:

- `add_days`: high-traffic sites' day counters, one guarded write per (site, day)
  and batch (plus the day's opening, once), so the day item takes one write per
  batch instead of one per hit;
- `add_reports`: pages and breakdowns of every hit, one guarded write per
  (site, dimension, day, value) and batch, after one BatchGetItem per 100 values
  that finds which values are new (they count against the day's cap).

Every write is guarded by the shard's sequence numbers (`Guard`): an item that
has seen part of a redelivered batch is re-sent only the hits after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from counters.aggregation.batches import (
    OTHER,
    NotedHit,
    Part,
    ReportKey,
    after,
    by_day,
    by_report,
    guard_of,
    increment_of,
    totals,
    value_cap,
)
from counters.counting.daybook import DayBook
from counters.storage import AddedBefore, Storage
from counters.storage.updates import watermarks

# A guarded write refused this many times in a row fails, for the stream to redeliver.
MAX_ATTEMPTS = 4


@dataclass
class Outcome:
    """What a batch did: hits added, and the groups that failed with their hits."""

    added: int = 0
    failed: list[tuple[list[NotedHit], Exception]] = field(default_factory=list)


class StreamAggregator:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.daybook = DayBook(storage)

    def add_days(self, hits: list[NotedHit]) -> Outcome:
        """Adds high-traffic hits to their day items."""
        outcome = Outcome()
        for (site, day, buffered), group in by_day(hits).items():
            add = self._add_day if buffered else self._add_engagement
            _attempt(outcome, group, partial(add, site, day, group))
        return outcome

    def add_reports(self, hits: list[NotedHit]) -> Outcome:
        """Adds every hit to its page and breakdown items."""
        outcome = Outcome()
        for key, values in by_report(hits).items():
            group = list({id(hit): hit for parts in values.values() for hit, _ in parts}.values())
            _attempt(outcome, group, partial(self._add_report, key, values))
        return outcome

    def _add_day(self, site: str, day: date, hits: list[NotedHit]) -> int:
        # The hits' own day tags their shards: if that day is sealed they go on to a
        # later day item, which may also take that later day's hits of the same shards.
        tag = f"@{day.isoformat()}"
        for _ in range(MAX_ATTEMPTS):
            if not hits:
                return 0
            added = self.daybook.add(site, day, increment_of(hits), guard=guard_of(hits, tag))
            if not isinstance(added, AddedBefore):
                return len(hits)
            hits = after(hits, added.upto, tag)
        raise RuntimeError(f"day {day} of {site} kept refusing a batch")

    def _add_engagement(self, site: str, day: date, hits: list[NotedHit]) -> int:
        """A direct site's events that ended a bounce: on their own day's events item, which
        the day's figures are read with (`DayItems.records`)."""
        tag = f"@{day.isoformat()}"
        for _ in range(MAX_ATTEMPTS):
            if not hits:
                return 0
            bounces = increment_of(hits).engagement.get("bounces", 0)
            added = self.storage.day_events.add_bounces(site, day, bounces, guard_of(hits, tag))
            if added is None:
                return len(hits)
            hits = after(hits, added.upto, tag)
        raise RuntimeError(f"day {day} of {site} kept refusing a batch")

    def _add_report(self, key: ReportKey, values: dict[str, list[Part]]) -> int:
        site, dimension, day = key
        stored = self.storage.reports.existing(site, dimension, day, list(values))
        self._admit_new_values(key, values, stored)
        added: set[tuple[str, int]] = set()
        for value, parts in values.items():
            # What the item has added of these shards is not sent again.
            pending = _after(parts, watermarks(stored.get(value, {})))
            added |= self._add_value(key, value, pending)
        return len(added)

    def _admit_new_values(
        self, key: ReportKey, values: dict[str, list[Part]], stored: dict[str, Any]
    ) -> None:
        """Values new to the day count against its cap; those past it become `(other)`."""
        site, dimension, day = key
        new = [value for value in values if value not in stored and value != OTHER]
        if not new:
            return
        # The new values with the most visits (then page views) get the room left under the
        # day's cap: values one visitor brought in bulk (one visit) rank below values of
        # many visits. Exact for a whole day in one batch, as the nightly rebuild adds it.
        new.sort(key=lambda value: _rank(values[value]))
        room = self.storage.reports.admit_values(
            site, dimension, day, len(new), value_cap(dimension)
        )
        for value in new[room:]:
            values.setdefault(OTHER, []).extend(values.pop(value))

    def _add_value(self, key: ReportKey, value: str, pending: list[Part]) -> set[tuple[str, int]]:
        """Adds a value's pending parts; returns the hits this write added (not those refused)."""
        site, dimension, day = key
        for _ in range(MAX_ATTEMPTS):
            if not pending:
                return set()
            hits = [hit for hit, _ in pending]
            refused = self.storage.reports.add(
                site, dimension, day, value, totals(pending), guard_of(hits)
            )
            if refused is None:
                return {(hit.shard, hit.sequence) for hit in hits}
            pending = _after(pending, refused.upto)
        raise RuntimeError(f"report {dimension}={value} of {site} kept refusing a batch")


def _after(parts: list[Part], upto: Mapping[str, int]) -> list[Part]:
    """The parts of hits an item has not added yet (see `after`)."""
    kept = {id(hit) for hit in after([hit for hit, _ in parts], upto)}
    return [part for part in parts if id(part[0]) in kept]


def _rank(parts: list[Part]) -> tuple[int, int]:
    return (-sum(c.get("v", 0) for _, c in parts), -sum(c.get("p", 0) for _, c in parts))


def _attempt(outcome: Outcome, hits: list[NotedHit], write: Callable[[], int]) -> None:
    try:
        outcome.added += write()
    except Exception as exc:  # noqa: BLE001 - the group's hits are reported, and redelivered
        outcome.failed.append((hits, exc))
