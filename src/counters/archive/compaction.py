"""Compaction: a past day's objects of a site merged into one, each hit once.

A site's day holds an object per stream batch (one every five minutes on a small
site: 288 a day), and a reader fetches every one: a month of them takes a reader
tens of seconds. Once a day is complete, its objects are rewritten as one,
`site=.../date=.../compacted-{first seq}-{last seq}.parquet` (copies from redelivered
batches dropped, rows in stream order), and the objects it was made of deleted.

Safe against readers and late writers by the archive's one rule: readers keep one
row per token. A reader that lists between the new object's write and the deletes
sees the hits twice and keeps them once; a batch that comes after the compaction
adds an object beside it, merged by the next run.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta

from counters.archive.reader import ONCE, ArchiveReader
from counters.archive.schema import COLUMN_NAMES
from counters.archive.writer import partition_prefix
from counters.storage.archive_bucket import ArchiveBucket
from counters.storage.updates import SEQUENCE_DIGITS

COMPACTED = "compacted-"
# Days compacted by a run: from the day before yesterday (UTC; every zone's yesterday is
# complete by then, its late batches in) back a week, for batches that came later still.
FIRST_AGE, LAST_AGE = 2, 8


@dataclass(frozen=True)
class Compacted:
    site: str
    day: date
    objects: int  # merged into one
    hits: int


def compaction_days(today: date) -> list[date]:
    return [today - timedelta(days=age) for age in range(FIRST_AGE, LAST_AGE + 1)]


class Compactor:
    def __init__(self, bucket: ArchiveBucket) -> None:
        self.bucket = bucket

    def sites(self) -> list[str]:
        """The sites with objects in the archive."""
        return [prefix.removeprefix("site=").rstrip("/") for prefix in self.bucket.folders("site=")]

    def compact(self, site: str, day: date) -> Compacted | None:
        """Merges a day's objects into one; None if it has one or none."""
        keys = [k for k in self.bucket.keys(partition_prefix(site, day)) if k.endswith(".parquet")]
        if len(keys) < 2:
            return None
        with ArchiveReader(self.bucket).open(site, day, day) as archive:
            columns = ", ".join(COLUMN_NAMES)
            (hits, first, last) = archive.query(f"SELECT count(*), min(seq), max(seq) FROM {ONCE}")[
                0
            ]
            with tempfile.TemporaryDirectory() as out:
                path = os.path.join(out, "compacted.parquet")
                archive.connection.execute(
                    f"COPY (SELECT {columns} FROM {ONCE} ORDER BY shard, seq) TO '{path}' "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
                with open(path, "rb") as file:
                    data = file.read()
        name = (
            f"{COMPACTED}{int(first):0{SEQUENCE_DIGITS}d}-{int(last):0{SEQUENCE_DIGITS}d}.parquet"
        )
        key = partition_prefix(site, day) + name
        self.bucket.put(key, data)
        self.bucket.delete([k for k in keys if k != key])
        return Compacted(site, day, len(keys), hits)

    def run(self, today: date) -> list[Compacted]:
        """Every site's days of `compaction_days`, compacted where they have several objects."""
        done = []
        for site in self.sites():
            for day in compaction_days(today):
                compacted = self.compact(site, day)
                if compacted is not None:
                    done.append(compacted)
        return done
