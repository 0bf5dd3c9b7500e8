"""Feed a table's DynamoDB stream to the template's consumers, the way Lambda's pollers do.

For every ``DynamoDB`` event source in ``template.yaml`` (see
:func:`local.cloudformation.stream_consumers`), a :class:`StreamPoller` reads each shard
of the table's stream in order (DescribeStream, GetShardIterator, GetRecords:
moto's server and DynamoDB Local both answer them), keeps the records its
``FilterCriteria`` match, hands them to the handler in Lambda's event shape in
batches of at most ``BatchSize`` records (after the batching window, or at once
with :meth:`StreamPoller.drain`), and on ``batchItemFailures`` delivers the
batch again from the first failed record, as Lambda does. Each consumer keeps
its own place in each shard, like an event source mapping.

With a ``TumblingWindowInSeconds``, events carry Lambda's window fields (``shardId``,
``window``, ``state``, ``isFinalInvokeForWindow``, ``isWindowTerminatedEarly``), the
state an answer returns goes to the next invocation of the window, a window that
saw records ends with a final invocation, an answer without ``state`` is a
failed invocation, and a state past 1 MB ends its window early (a final invocation
with ``isWindowTerminatedEarly``), as Lambda has it. Windows are aligned to multiples
of their width since the epoch. A batching window given in place of the template's (the
local run's 1 s) shrinks the tumbling windows too, to three batching windows (the
archive's ratio, 900 s to 300 s): the archive holds its hits until a window ends.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.cloudformation import StreamConsumer
from local.stream_records import lambda_record, matches

log = logging.getLogger("local.streams")
Handler = Callable[[dict[str, Any], Any], Any]
STATE_LIMIT = 1024 * 1024  # Lambda's tumbling-window state, per shard


class _Context:
    function_name = "local-stream-consumer"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local-stream-consumer"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class _Shard:
    """One consumer's place in one shard: the iterator and the records read but not added."""

    shard_id: str
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    first_seen: float = 0.0
    window_start: float | None = None  # the tumbling window being built, if any
    state: dict[str, Any] = field(default_factory=dict)  # ...and its state
    terminated: bool = False  # its state passed the limit: the window ends at once


class StreamPoller:
    """One consumer of a table's stream (an event source mapping)."""

    def __init__(
        self,
        consumer: StreamConsumer,
        handler: Handler,
        client: Any,
        stream_arn: str,
        window: float | None = None,
    ) -> None:
        self.consumer, self.handler, self.client = consumer, handler, client
        self.stream_arn = stream_arn
        self.window = consumer.batching_window if window is None else window
        self.tumbling = consumer.tumbling_window
        if window is not None and self.tumbling:
            self.tumbling = min(self.tumbling, max(1.0, 3 * window))
        self._shards: dict[str, _Shard] = {}
        self._described = 0.0  # when the stream's shards were last listed
        self._lock = threading.Lock()  # one batch at a time, like one shard's poller
        self.failures = 0  # batches a handler failed (raised or reported records)

    def _refresh_shards(self, every: float = 0.0) -> None:
        if self._shards and time.monotonic() - self._described < every:
            return  # shards change rarely (hours): no DescribeStream on every poll
        self._described = time.monotonic()
        description = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._shards:
                iterator = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self._shards[shard_id] = _Shard(shard_id, iterator)

    def _read(self, shard: _Shard) -> None:
        while shard.iterator:
            answer = self.client.get_records(ShardIterator=shard.iterator, Limit=1000)
            shard.iterator = answer.get("NextShardIterator")
            records = [
                lambda_record(record, self.stream_arn) for record in answer.get("Records", [])
            ]
            kept = [
                r
                for r in records
                if not self.consumer.filters
                or any(matches(pattern, r) for pattern in self.consumer.filters)
            ]
            if kept and not shard.pending:
                shard.first_seen = time.monotonic()  # the batching window starts
            shard.pending += kept
            if not records:
                return

    def poll(self, *, force: bool = False) -> int:
        """Reads every shard and delivers the batches that are due; returns records added."""
        with self._lock:
            self._refresh_shards(every=0.0 if force else 5.0)
            added = 0
            for shard in self._shards.values():
                self._read(shard)
                if shard.terminated:
                    self._end_window(shard, force=True)
                while shard.pending and (
                    force
                    or len(shard.pending) >= self.consumer.batch_size
                    or time.monotonic() - shard.first_seen >= self.window
                ):
                    done = self._deliver(shard)
                    added += done
                    if done == 0:
                        break  # failed: try again on the next poll
                if not shard.pending:
                    self._end_window(shard, force=force)
            return added

    def _event(self, shard: _Shard, batch: list[dict[str, Any]], final: bool) -> dict[str, Any]:
        event: dict[str, Any] = {"Records": batch}
        width = self.tumbling
        if width:
            if shard.window_start is None:
                shard.window_start = time.time() // width * width
            start = shard.window_start
            event.update(
                window={"start": _iso(start), "end": _iso(start + width)},
                state=shard.state,
                shardId=shard.shard_id,
                eventSourceARN=self.stream_arn,
                isFinalInvokeForWindow=final,
                isWindowTerminatedEarly=shard.terminated,
            )
        return event

    def _invoke(self, shard: _Shard, batch: list[dict[str, Any]], final: bool = False) -> Any:
        """The handler's answer, or raises if Lambda would count the invocation failed."""
        answer = self.handler(self._event(shard, batch, final), _Context())
        if self.tumbling:
            if not isinstance(answer, dict) or not isinstance(answer.get("state"), dict):
                raise ValueError("a tumbling-window answer without a state")
            shard.state = answer["state"]
            shard.terminated = len(json.dumps(shard.state).encode()) > STATE_LIMIT
        return answer

    def _end_window(self, shard: _Shard, force: bool) -> None:
        """A tumbling window that has ended: its final invocation (no records), once."""
        width = self.tumbling
        if not width or shard.window_start is None:
            return
        if not force and time.time() < shard.window_start + width:
            return
        try:
            self._invoke(shard, [], final=True)
        except Exception:
            log.exception("%s failed on a window's final invocation", self.consumer.function)
            self.failures += 1
            return
        shard.window_start, shard.state, shard.terminated = None, {}, False

    def _deliver(self, shard: _Shard) -> int:
        batch = shard.pending[: self.consumer.batch_size]
        try:
            answer = self._invoke(shard, batch)
        except Exception:
            log.exception("%s failed on a batch of %d records", self.consumer.function, len(batch))
            self.failures += 1
            return 0
        failed = {
            item.get("itemIdentifier")
            for item in ((answer or {}).get("batchItemFailures") or [])
            if self.consumer.report_failures
        }
        if failed:
            self.failures += 1
            # As Lambda: the batch is delivered again from the first failed record.
            first = next(
                (i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed),
                0,
            )
            del shard.pending[:first]
            return first
        del shard.pending[: len(batch)]
        # What is left waited already: it goes at the next poll, as Lambda invokes again
        # at once when a shard has more records than a batch takes.
        return len(batch)

    def drain(self, attempts: int = 20) -> None:
        """Delivers everything in the stream now, whatever the window; raises if a batch
        keeps failing (bounded, so a test never waits on a stuck stream)."""
        for _ in range(attempts):
            self.poll(force=True)
            with self._lock:
                if not any(shard.pending for shard in self._shards.values()):
                    return
        raise RuntimeError(
            f"{self.consumer.function}: batches still failing after {attempts} tries"
        )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class StreamPollers:
    """Every consumer of the template's streams, polled by one background thread
    (every 0.25 s, as Lambda polls a shard about four times a second)."""

    def __init__(self, pollers: list[StreamPoller], interval: float = 0.25) -> None:
        self.pollers = pollers
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> StreamPollers:
        self._thread = threading.Thread(target=self._run, name="stream-pollers", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for poller in self.pollers:
                try:
                    poller.poll()
                except Exception:  # a poll failing (DynamoDB busy) is tried again
                    log.exception("polling %s's stream failed", poller.consumer.function)

    def drain(self) -> None:
        for poller in self.pollers:
            poller.drain()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
