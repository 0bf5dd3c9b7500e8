"""The archive's stream consumer holds a window's hits in its state (issue 20's cost budget):
one object per window and site-day, early when the state grows, each hit once however the
window's invocations are retried. Through the handler, on moto's S3.

Expected values come from the traffic model (tests/integration/archive_model.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from counters.archive import window as window_module
from counters.archive.reader import ONCE, RAW
from counters.storage.archive_bucket import ArchiveBucket, archive_bucket
from tests.conftest import LambdaContext
from tests.integration import archive_model as model
from tests.integration.archive_model import SHARDS, Hit, Windows, event
from tests.integration.test_archive import ARCHIVE, archived, fresh_aws


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
