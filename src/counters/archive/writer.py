"""The archive's writer: hits as Parquet, one object per (site, local date, shard).

The stream consumer writes what its tumbling window held (`counters.archive.window`):
one object per window, or more when the window's state grew too large.

An object's key names its partition and the stream records it holds,
`site={site}/date={yyyy-mm-dd}/{shard}-{first seq}-{last seq}-{digest}.parquet`: the same hits
written again (an invocation retried with the same state and batch) write the same keys
(an overwrite, not a copy). Hits delivered again in another grouping (a batch delivered
again after its window was written) make other keys: they are then in two objects, and
readers keep one row per token (`counters.archive.reader`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from counters.aggregation.aggregator import Outcome
from counters.aggregation.batches import NotedHit
from counters.archive.schema import COLUMNS, columns_of
from counters.storage.archive_bucket import ArchiveBucket
from counters.storage.updates import SEQUENCE_DIGITS

# No extension is ever fetched at run time: Parquet is built into the duckdb wheel.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def duckdb_connection() -> Any:
    import duckdb  # ~0.1 s: imported by the functions that use it only

    return duckdb.connect(":memory:", config=dict(DUCKDB_CONFIG))


@cache
def _writing_connection() -> Any:
    """One connection per instance for writing (~50 ms to open; a COPY keeps no state)."""
    return duckdb_connection()


def partition_prefix(site: str, day: date) -> str:
    return f"site={site}/date={day.isoformat()}/"


def object_key(site: str, day: date, hits: list[NotedHit]) -> str:
    """The key of the object holding these hits (of one partition and one shard): their
    first and last sequence numbers, and a digest of all of them. A window holds hits of
    several batches, not every record between its first and last (a batch delivered again
    in part), so two different sets of hits may share their first and last: the digest
    keeps the second from overwriting the first, while the same hits make the same key."""
    sequences = sorted(hit.sequence for hit in hits)
    digest = hashlib.sha256(",".join(map(str, sequences)).encode()).hexdigest()[:8]
    first, last, width = sequences[0], sequences[-1], SEQUENCE_DIGITS
    name = f"{hits[0].shard}-{first:0{width}d}-{last:0{width}d}-{digest}.parquet"
    return partition_prefix(site, day) + name


def partitions(hits: Iterable[NotedHit]) -> dict[tuple[str, date, str], list[NotedHit]]:
    """Hits per (site, local date, shard), each in stream order."""
    groups: dict[tuple[str, date, str], list[NotedHit]] = {}
    for hit in hits:
        groups.setdefault((hit.site, hit.note.day, hit.shard), []).append(hit)
    return {key: sorted(group, key=lambda hit: hit.sequence) for key, group in groups.items()}


def parquet_bytes(hits: list[NotedHit]) -> bytes:
    """The hits as one Parquet file (zstd), columns as `counters.archive.schema` says."""
    selects = ", ".join(
        f"unnest(CAST(${i + 1} AS {column.duckdb}[])) AS {column.name}"
        for i, column in enumerate(COLUMNS)
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "hits.parquet")
        _writing_connection().execute(
            f"COPY (SELECT {selects}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)",
            columns_of(hits),
        )
        with open(path, "rb") as file:
            return file.read()


class ArchiveWriter:
    def __init__(self, bucket: ArchiveBucket) -> None:
        self.bucket = bucket

    def write(self, groups: list[list[NotedHit]]) -> int:
        """Writes each group (hits of one site, local date and shard) as one object; how
        many hits. Raises on the first failure: the stream consumer fails whole, and Lambda
        retries it with the same window state (`counters.archive.window`)."""
        written = 0
        for group in groups:
            self.bucket.put(
                object_key(group[0].site, group[0].note.day, group), parquet_bytes(group)
            )
            written += len(group)
        return written

    def add(self, hits: list[NotedHit]) -> Outcome:
        """Writes the hits' objects; a partition whose write fails is reported with its hits."""
        outcome = Outcome()
        for (site, day, _), group in partitions(hits).items():
            try:
                self.bucket.put(object_key(site, day, group), parquet_bytes(group))
            except Exception as exc:  # noqa: BLE001 - reported, and the stream redelivers
                outcome.failed.append((group, exc))
            else:
                outcome.added += len(group)
        return outcome
