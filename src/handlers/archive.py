"""The event archive's stream consumer: every hit note of a batch written to S3 as Parquet.

A mapping of its own on the table's stream (template.yaml, ArchiveFunction): the
report aggregators and the archive neither wait for nor fail each other. The batch
handling (skipped bad notes, partial failures, the tumbling window that names the
shard) is the aggregators' (`handlers.aggregate`); the writing is
`counters.archive.writer`. `compact_handler` merges past days' objects
(`counters.archive.compaction`), on a daily schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from counters.archive.compaction import Compactor
from counters.archive.writer import ArchiveWriter
from counters.storage.archive_bucket import archive_bucket
from handlers.aggregate import _process, logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _process(event, lambda hits: ArchiveWriter(archive_bucket()).add(hits), "ArchivedHits")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def compact_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Daily (a schedule): past days' objects of every site merged into one per day."""
    done = Compactor(archive_bucket()).run(datetime.now(UTC).date())
    merged = sum(item.objects for item in done)
    metrics.add_metric(name="CompactedObjects", unit="Count", value=merged)
    logger.info("compacted", extra={"days": len(done), "objects": merged})
    return {"days": len(done), "objects": merged}
