"""The archive's stream consumer holds a window's hits in its state (issue 20's cost budget):
one object per window and site-day, early when the state grows, each hit once however the
window's invocations are retried. Through the handler, on moto's S3.

Expected values come from the traffic model (tests/integration/archive_model.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from counters.archive import window as window_module
from counters.archive.reader import ONCE, RAW
from counters.storage.archive_bucket import ArchiveBucket, archive_bucket
from local.streams import StreamPoller
from tests.conftest import Api, LambdaContext, Streams
from tests.integration import archive_model as model
from tests.integration.archive_model import SHARDS, Hit, Windows, event
from tests.integration.test_archive import ARCHIVE, archived, fresh_aws

NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


def portal(seed: int, count: int = 120) -> list[Hit]:
    """One site's hits of one day on one shard: a small portal's window."""
    made = model.hits(seed, count, days=1)
    return [hit for hit in made if hit.site == "direct" and hit.shard == SHARDS[0]]


def objects() -> list[str]:
    return sorted(archive_bucket().keys("site="))


def tokens(view: str) -> list[str]:
    return sorted(row["token"] for row in archived("direct", view))


def test_a_small_portals_window_of_several_batches_is_one_object_at_its_end() -> None:
    hits = portal(41)
    third = len(hits) // 3
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        for start in (0, third, 2 * third):  # three five-minute batches
            windows.deliver(SHARDS[0], hits[start : start + third])
            assert objects() == []  # held in the state, not written
        windows.deliver(SHARDS[0], hits[3 * third :])
        windows.end(SHARDS[0])
        assert len(objects()) == 1
        assert tokens(RAW) == sorted(hit.token for hit in hits)


def test_a_state_past_its_limit_writes_the_largest_site_early(monkeypatch: Any) -> None:
    monkeypatch.setattr(window_module, "STATE_LIMIT", 8_000)  # ~40 notes
    made = model.hits(42, 240, days=1)
    mine = [hit for hit in made if hit.shard == SHARDS[0]]
    quiet = [hit for hit in mine if hit.site == "busy"][:5]
    busy = [hit for hit in mine if hit.site == "direct"]
    assert len(busy) > 50
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        windows.deliver(SHARDS[0], quiet)
        windows.deliver(SHARDS[0], busy[:20])
        assert objects() == []
        windows.deliver(SHARDS[0], busy[20:])
        state = windows.states[SHARDS[0]]
        assert len(json.dumps(state, separators=(",", ":"))) <= 8_000
        # The busy site's hits written at once; the quiet one's still held.
        assert [key.split("/")[0] for key in objects()] == ["site=direct"]
        assert sorted(entry[0] for entry in state["hits"]) == ["busy"] * 5
        windows.end(SHARDS[0])
        assert tokens(ONCE) == tokens(RAW) == sorted(hit.token for hit in busy)
        assert len(archived("busy", RAW)) == 5


def test_a_retried_final_invocation_and_batches_delivered_again_leave_each_hit_once() -> None:
    hits = portal(43)
    first, second = hits[: len(hits) // 2], hits[len(hits) // 2 :]
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        windows.deliver(SHARDS[0], first)
        windows.deliver(SHARDS[0], first)  # delivered again in the same window: held once
        windows.deliver(SHARDS[0], second)
        assert objects() == []
        windows.invoke(SHARDS[0], [], final=True)  # wrote, then failed (a timeout)
        written = objects()
        windows.end(SHARDS[0])  # retried with the same state: the same objects
        assert objects() == written and len(written) == 1
        assert tokens(RAW) == sorted(hit.token for hit in hits)
        # The next window gets the second batch again, and part of the first.
        windows.deliver(SHARDS[0], second)
        windows.deliver(SHARDS[0], first[3:])
        windows.end(SHARDS[0])
        assert len(objects()) == 2
        assert len(tokens(RAW)) == len(hits) + len(second) + len(first) - 3
        assert tokens(ONCE) == sorted(hit.token for hit in hits)


def test_a_failed_write_fails_the_invocation_whole_and_its_retry_loses_nothing(
    monkeypatch: Any,
) -> None:
    hits = portal(44)
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        windows.deliver(SHARDS[0], hits)
        put = ArchiveBucket.put
        monkeypatch.setattr(ArchiveBucket, "put", lambda *args, **kwargs: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            windows.invoke(SHARDS[0], [], final=True)
        monkeypatch.setattr(ArchiveBucket, "put", put)
        windows.end(SHARDS[0])  # Lambda retries the final invocation with the same state
        assert tokens(ONCE) == tokens(RAW) == sorted(hit.token for hit in hits)


def test_a_window_terminated_early_writes_what_it_held() -> None:
    hits = portal(45)
    with fresh_aws():
        windows = Windows(ARCHIVE, LambdaContext())
        windows.deliver(SHARDS[0], hits[:10])
        assert objects() == []
        early = event(SHARDS[0], hits[10:], windows.states[SHARDS[0]], early=True)
        answer = ARCHIVE(early, LambdaContext())
        assert answer["state"] == {"v": 1, "hits": []}
        assert tokens(RAW) == sorted(hit.token for hit in hits)


def local_poller(streams: Streams) -> StreamPoller:
    """The local run's archive consumer, batching window 0 (its tumbling window: 1 s)."""
    template = streams.pollers["ArchiveFunction"]
    return StreamPoller(
        template.consumer, template.handler, template.client, template.stream_arn, window=0
    )


def test_the_local_run_holds_the_archives_hits_until_its_window_ends(
    api: Api, streams: Streams
) -> None:
    api.register("laichau")
    poller = local_poller(streams)
    assert poller.tumbling == 1.0 and poller.consumer.tumbling_window == 900
    with time_machine.travel(NOON, tick=False):  # the window's clock stands still
        for i in range(3):
            api.hit("laichau", body={"path": f"/{i}"}, source_ip=f"203.0.113.{i + 1}")
        assert poller.poll() == 3
        assert poller.poll() == 0  # the window is not over: nothing written yet
        assert objects() == []
        (shard,) = poller._shards.values()
        assert len(shard.state["hits"]) == 3
    with time_machine.travel(NOON + timedelta(seconds=2), tick=False):
        poller.poll()  # the final invocation
    assert len(objects()) == 1 and poller.failures == 0
    assert len(archived("laichau", ONCE, NOON.date(), NOON.date())) == 3


def test_the_local_run_ends_a_window_early_when_its_state_passes_1_mb(
    api: Api, streams: Streams
) -> None:
    api.register("laichau")
    poller = local_poller(streams)
    events: list[dict[str, Any]] = []

    def bloated(event: dict[str, Any], context: Any) -> Any:
        events.append(event)
        return {"batchItemFailures": [], "state": {"pad": "x" * 1_100_000}}

    poller.handler = bloated
    with time_machine.travel(NOON, tick=False):
        api.hit("laichau", body={"path": "/a"}, source_ip="203.0.113.1")
        poller.poll()  # the batch: its answer's state is too big
        poller.poll()  # so the window ends at once, though its time is not over
    assert [(len(e["Records"]), e["isFinalInvokeForWindow"]) for e in events] == [
        (1, False),
        (0, True),
    ]
    assert [e["isWindowTerminatedEarly"] for e in events] == [False, True]


def test_a_replayed_batch_an_event_of_no_window_is_written_at_once() -> None:
    hits = portal(46)
    replay = {"Records": [hit.record for hit in hits], "shardId": SHARDS[0]}  # operations.md
    with fresh_aws():
        answer = ARCHIVE(replay, LambdaContext())
        assert answer["state"] == {"v": 1, "hits": []}
        assert tokens(RAW) == sorted(hit.token for hit in hits)
