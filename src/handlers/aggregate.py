"""The table's stream: hit notes added to high-traffic day counters and to reports, once each.

Two consumers of the stream, with their own batching windows (see template.yaml):
`days_handler` adds high-traffic sites' hits to their day items within seconds;
`reports_handler` adds every hit to its page and breakdown items, in batches
minutes long (fewer, larger writes).

Powertools batch processing with partial failure reporting: a record that is no
hit note, or a bad one, is skipped (logged, never retried forever); a group of
hits whose write fails is reported by its records, and the stream delivers the
batch again from the first of them. Items remember how far they added each
shard (see `counters.aggregation.batches`), so what they took before adds nothing twice.

The event source mappings have a tumbling window only so that Lambda's events
name their shard; no state is kept across invocations, and the
answer carries an empty one, which a tumbling-window mapping requires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBStreamEvent,
)

from counters.aggregation.aggregator import Outcome, StreamAggregator
from counters.aggregation.batches import NotedHit, noted_hit
from counters.aggregation.notes import BadNoteError
from counters.counting.service import default_service
from handlers import end_cold_start

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class NoteBatch:
    """The hits of one stream batch, with the records they came in."""

    def __init__(self, shard_id: str | None) -> None:
        self.shard_id = shard_id
        self.hits: list[NotedHit] = []
        self.records: dict[int, DynamoDBRecord] = {}
        self.skipped = 0

    def add(self, record: DynamoDBRecord) -> None:
        """Powertools' record handler: keeps the hits, skips what is not one."""
        stream = record.dynamodb
        if stream is None:
            return
        try:
            hit = noted_hit(
                stream.keys or {},
                stream.new_image,
                stream.old_image,
                stream.sequence_number or "",
                self.shard_id,
            )
        except BadNoteError:
            logger.warning("skipped a stream record that is no hit note", exc_info=True)
            self.skipped += 1
            return
        if hit is not None:
            self.hits.append(hit)
            self.records[hit.sequence] = record


def aggregator() -> StreamAggregator:
    return StreamAggregator(default_service().storage)  # cheap: the storage is the warm part


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def days_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _process(event, lambda hits: aggregator().add_days(hits))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def reports_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _process(event, lambda hits: aggregator().add_reports(hits))


def _process(
    event: dict[str, Any],
    add: Callable[[list[NotedHit]], Outcome],
    metric: str = "AggregatedHits",
) -> dict[str, Any]:
    try:
        window = DynamoDBStreamEvent(event)
        shard_id = window.shard_id
        batch = NoteBatch(shard_id if isinstance(shard_id, str) else None)
        with processor(records=event["Records"], handler=batch.add):
            processor.process()
            outcome = add(batch.hits)
            for hits, exc in outcome.failed:
                logger.error("could not add a group of hits", exc_info=exc)
                for hit in hits:
                    record = batch.records[hit.sequence]
                    processor.failure_handler(record, (type(exc), exc, exc.__traceback__))
        metrics.add_metric(name=metric, unit="Count", value=len(batch.hits))
        if batch.skipped:
            metrics.add_metric(name="SkippedRecords", unit="Count", value=batch.skipped)
        answer: dict[str, Any] = dict(processor.response())
        if window.window is not None:
            answer["state"] = {}  # the tumbling window's; nothing is carried over
        return answer
    finally:
        end_cold_start()
