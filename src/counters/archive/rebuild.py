"""Report items (pages and breakdowns) of past days recomputed from the archive.

For a day whose stream batches the report aggregator gave up on (they went to the
failures queue), or whose values a newer parser would read differently: the day's
report items are deleted and the archive's hits of that day (each once) are added
again by the aggregator's own code, in stream order, as one batch per day. The
items are then what an aggregation that never failed writes: the same counts, the
same caps with "(other)" (a day over a cap keeps its busiest values), and the same
marks per shard (`w_{shard}`: the last sequence number of each value's hits), so a
batch the stream still delivers later adds nothing twice.

A high-traffic site's day counters (the five figures) are not rebuilt: they come
from the day aggregator, whose batches are replayed (docs/operations.md).

Nightly (`rebuild_if_complete`, after compaction): every site's day before yesterday is
rebuilt, which ranks its values in one batch, by visits (so a day's capped values are the
ones with the most visits, whatever came first: values one visitor brought in bulk
cannot crowd out those many visits brought), and repairs what the report aggregator gave
up on. Only a day whose archive holds at least the page views its day item counted: an
archive that missed batches (its consumer failing) would lose counts, never add them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from counters.aggregation.aggregator import StreamAggregator
from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote
from counters.archive.reader import ONCE, Archive, ArchiveReader
from counters.archive.rollups import REPORT_DIMENSIONS, Rollups
from counters.archive.schema import FACTS, MANY_FACTS
from counters.storage import Storage


@dataclass(frozen=True)
class Rebuilt:
    day: date
    hits: int  # the archive's hits of the day, each once
    cleared: int  # report items deleted before adding them again


def archived_hits(archive: Archive, site: str, day: date) -> list[NotedHit]:
    """A day's hits as the stream brought them (each once, in stream order)."""
    rows = archive.dicts(
        f'SELECT * FROM {ONCE} WHERE site = ? AND "date" = ? ORDER BY shard, seq',
        [site, day.isoformat()],
    )
    return [_noted(site, day, row) for row in rows]


def _noted(site: str, day: date, row: dict[str, Any]) -> NotedHit:
    note = HitNote(
        token=row["token"],
        day=day,
        hour=row["hour"],
        visits=row["visit"],
        pageviews=row["pageview"],
        window=0,  # online windows are the day counters' business, not the reports'
        first_in_window=0,
        new_since_previous=0,
        path=row["path"],
        facts=_facts(row),
        in_visit=bool(row.get("in_visit")),
        bounces=row.get("bounces") or 0,
        duration_ms=row.get("duration_ms") or 0,
        entry=row.get("entry_page"),
        left=row.get("left_page"),
        event=bool(row.get("is_event")),
        goal_visits=tuple(row.get("goal_visits") or ()),
        visit_id=row.get("visit_id"),
    )
    return NotedHit(site, note, row["shard"], int(row["seq"]), buffered=False)


def _facts(row: dict[str, Any]) -> dict[str, str]:
    """A row's facts as its note held them (several of a kind as `property#0`, ...)."""
    facts = {name: row[name] for name in FACTS if row.get(name) is not None}
    for name, column in zip(MANY_FACTS, ("properties", "goals"), strict=True):
        facts.update((f"{name}#{i}", value) for i, value in enumerate(row.get(column) or []))
    return facts


class Rebuilder:
    def __init__(self, storage: Storage, reader: ArchiveReader) -> None:
        self.storage = storage
        self.reader = reader

    def rebuild_if_complete(self, site: str, day: date) -> Rebuilt | None:
        """Rebuilds a day if the archive holds every page view its day item counted."""
        with self.reader.open(site, day, day) as archive:
            hits = archived_hits(archive, site, day)
        archived = sum(hit.note.pageviews for hit in hits)
        records = self.storage.days.records(site, day, day)
        counted = records[0].tally("pageviews").count if records else 0
        if not hits or archived < counted:
            return None
        return self._rebuild(site, day, hits)

    def rebuild(self, site: str, day: date) -> Rebuilt:
        """A day's report items, made again from the archive; raises if a write fails."""
        with self.reader.open(site, day, day) as archive:
            hits = archived_hits(archive, site, day)
        return self._rebuild(site, day, hits)

    def _rebuild(self, site: str, day: date, hits: list[NotedHit]) -> Rebuilt:
        cleared = sum(
            self.storage.reports.clear_day(site, dimension, day) for dimension in REPORT_DIMENSIONS
        )
        outcome = StreamAggregator(self.storage).add_reports(hits)
        if outcome.failed:
            _, exc = outcome.failed[0]
            raise RuntimeError(f"rebuilding {day} of {site} failed: run it again") from exc
        # A day the month rollups hold is copied again (its values may have changed).
        Rollups(self.storage).recopy(site, day)
        return Rebuilt(day, len(hits), cleared)
