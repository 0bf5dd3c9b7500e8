"""SQS batches of buffered hits: summed per site, day and window, added once per group.

Partial failures are reported (ReportBatchItemFailures): a message that is not
a buffered hit fails alone, and a group whose write fails fails with exactly
its messages, which SQS redelivers; hits already added are found by their
marker and add nothing the second time.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from counters.buffer import BufferedHit, aggregate
from counters.service import Counter, default_counter
from handlers import end_cold_start

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


class HitBatch:
    """The decoded hits of one SQS batch, with the records they came in."""

    def __init__(self) -> None:
        self.hits: list[tuple[BufferedHit, SQSRecord]] = []

    def add(self, record: SQSRecord) -> None:
        """Powertools' record handler: a poisoned message raises and is reported alone."""
        self.hits.append((BufferedHit.decode(record.body), record))

    def commit(self, counter: Counter) -> list[tuple[list[SQSRecord], Exception]]:
        """Adds every group; returns the groups that failed, with their records."""
        groups = aggregate(hit for hit, _ in self.hits)
        records: dict[tuple[Any, ...], list[SQSRecord]] = {}
        for hit, record in self.hits:
            records.setdefault((hit.site, hit.day, hit.window), []).append(record)
        failed = []
        added = duplicates = 0
        for key, group in groups.items():
            try:
                counted = counter.count_batch(group)
                added += counted
                duplicates += len(group.hits) - counted
            except Exception as exc:  # noqa: BLE001 - reported per group, retried by SQS
                logger.exception("could not add a group of buffered hits", extra={"group": key})
                failed.append((records[key], exc))
        metrics.add_metric(name="AggregatedHits", unit="Count", value=added)
        if duplicates:
            metrics.add_metric(name="RedeliveredHits", unit="Count", value=duplicates)
        return failed


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        batch = HitBatch()
        with processor(records=event["Records"], handler=batch.add):
            processor.process()
            for records, exc in batch.commit(default_counter()):
                for record in records:
                    processor.failure_handler(record, (type(exc), exc, exc.__traceback__))
        return dict(processor.response())
    finally:
        end_cold_start()
