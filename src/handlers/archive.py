"""The event archive's stream consumer: every hit note written to S3 as Parquet.

A mapping of its own on the table's stream (template.yaml, ArchiveFunction): the
report aggregators and the archive neither wait for nor fail each other. A batch's
hits are held in the tumbling window's state and written at the window's end, one
object per (site, local date) and shard (`counters.archive.window`); the writing is
`counters.archive.writer`. Bad notes are skipped, as the aggregators skip them.

Failures fail the invocation whole: the answer never names records
(`batchItemFailures` is always empty). Held hits came in earlier batches, so a failed
write cannot be pinned on this batch's records, and a raised error is what Lambda
retries with the state it passed in (nothing of the failed invocation is kept); a
final invocation is retried so while the shard waits.

`compact_handler` merges past days' objects (`counters.archive.compaction`), on a
daily schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from counters.archive.compaction import FIRST_AGE, Compactor
from counters.archive.reader import ArchiveReader
from counters.archive.rebuild import Rebuilder
from counters.archive.rollups import Rollups
from counters.archive.window import WindowBuffer
from counters.archive.writer import ArchiveWriter
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from handlers import end_cold_start
from handlers.aggregate import NoteBatch, logger, metrics, processor


class RecordsFailedError(RuntimeError):
    """Records the batch processor could not read: the invocation fails whole."""


# The nightly run's time kept when it backfills rollups (a day of a big site: a minute).
SPARE_MS = 180_000


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        shard_id = event.get("shardId")
        batch = NoteBatch(shard_id if isinstance(shard_id, str) else None)
        with processor(records=event["Records"], handler=batch.add):
            processor.process()
            if processor.fail_messages:
                raise RecordsFailedError(f"{len(processor.fail_messages)} records failed")
        buffer = WindowBuffer.from_state(event.get("state"))
        buffer.add(batch.hits)
        # An event of no window (an operator's replay, docs/operations.md) is written at once.
        flags = ("isFinalInvokeForWindow", "isWindowTerminatedEarly")
        ends = "window" not in event or any(event.get(flag) for flag in flags)
        written = ArchiveWriter(archive_bucket()).write(buffer.due(window_ends=ends))
        metrics.add_metric(name="ArchivedHits", unit="Count", value=written)
        metrics.add_metric(name="HeldHits", unit="Count", value=len(buffer))
        if batch.skipped:
            metrics.add_metric(name="SkippedRecords", unit="Count", value=batch.skipped)
        return {"batchItemFailures": [], "state": buffer.state()}
    finally:
        end_cold_start()


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
