"""The event archive's stream consumer: every hit note of a batch written to S3 as Parquet.

A mapping of its own on the table's stream (template.yaml, ArchiveFunction): the
report aggregators and the archive neither wait for nor fail each other. The batch
handling (skipped bad notes, partial failures, the tumbling window that names the
shard) is the aggregators' (`handlers.aggregate`); the writing is
`counters.archive.writer`. `compact_handler` merges past days' objects
(`counters.archive.compaction`), on a daily schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from counters.archive.compaction import FIRST_AGE, Compactor
from counters.archive.reader import ArchiveReader
from counters.archive.rebuild import Rebuilder
from counters.archive.rollups import Rollups
from counters.archive.writer import ArchiveWriter
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from handlers.aggregate import _process, logger, metrics

# The nightly run's time kept when it backfills rollups (a day of a big site: a minute).
SPARE_MS = 180_000


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _process(event, lambda hits: ArchiveWriter(archive_bucket()).add(hits), "ArchivedHits")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def compact_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Daily (a schedule): past days' objects of every site merged into one per day; then
    every site's day before yesterday rebuilt from the archive (counters.archive.rebuild)
    and copied into the month rollups with the days before it not yet copied
    (counters.archive.rollups)."""
    compactor = Compactor(archive_bucket())
    today = datetime.now(UTC).date()
    done = compactor.run(today)
    merged = sum(item.objects for item in done)
    metrics.add_metric(name="CompactedObjects", unit="Count", value=merged)
    storage = default_service().storage
    rebuilder = Rebuilder(storage, ArchiveReader(archive_bucket()))
    rollups = Rollups(storage)
    day = today - timedelta(days=FIRST_AGE)
    rebuilt = skipped = 0
    for site in compactor.sites():
        if rebuilder.rebuild_if_complete(site, day) is None:
            skipped += 1
        else:
            rebuilt += 1
        # Rebuilt or not (an archive that missed batches), the day is closed: copied.
        rollups.close(site, day)
    # Older days (before rollups existed), site after site, while the run has time left.
    for site in compactor.sites():
        rollups.backfill_older(site, lambda: context.get_remaining_time_in_millis() > SPARE_MS)
    metrics.add_metric(name="RebuiltDays", unit="Count", value=rebuilt)
    logger.info("compacted", extra={"days": len(done), "objects": merged, "rebuilt": rebuilt})
    return {"days": len(done), "objects": merged, "rebuilt": rebuilt, "not_rebuilt": skipped}
