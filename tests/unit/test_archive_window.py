"""The archive's tumbling-window buffer (counters.archive.window): what it holds in the
state, and which groups of hits it gives to be written, when."""

from __future__ import annotations

import json
from datetime import date

import pytest

from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote
from counters.archive.window import StateError, WindowBuffer

DAY = date(2026, 3, 1)
SEQ = 10**30  # 31 digits: more than a double holds exactly


def hit(site: str, i: int, day: date = DAY, shard: str = "s0123456789ab") -> NotedHit:
    note = HitNote(f"token{i:07d}", day, 9, 1, 1, 5, 1, 1, path="/tin-tuc/a", facts={"os": "iOS"})
    return NotedHit(site, note, shard, SEQ + i, buffered=False)


def test_a_note_with_every_field_comes_back_from_the_state_as_it_went_in() -> None:
    note = HitNote(
        "abcdefgh1234", DAY, 23, 1, 1, 7, 1, 0, path="/van-ban/1",
        facts={"source": "Zalo", "property#0": "signup / plan: pro", "goal#0": "trial"},
        visit_timeout=1800, in_visit=True, bounces=-1, duration_ms=86_399_999,
        entry="/", left="/tin-tuc/a",
    )  # fmt: skip
    event = HitNote("event0001234", DAY, 0, 1, 0, 0, 0, 0, facts={"event": "signup"}, event=True)
    held = [NotedHit("laichau", note, "s0123456789ab", SEQ + 1, buffered=True)]
    held.append(NotedHit("laichau", event, "s0123456789ab", SEQ + 2, buffered=False))
    buffer = WindowBuffer()
    buffer.add(held)
    state = json.loads(json.dumps(buffer.state()))  # as Lambda passes it on: JSON
    (group,) = WindowBuffer.from_state(state).due(window_ends=True)
    # `buffered` is the aggregators' business, not the archive's: held hits drop it.
    assert group == [NotedHit("laichau", note, "s0123456789ab", SEQ + 1, buffered=False), held[1]]
    assert state["hits"][0][2] == "1" + "0" * 29 + "1"  # the sequence number as a string


def test_a_window_writes_nothing_until_it_ends_then_one_object_per_site_and_day() -> None:
    buffer = WindowBuffer()
    for start in (0, 40, 80):  # three five-minute batches of a small portal
        buffer = WindowBuffer.from_state(buffer.state())
        buffer.add(hit("laichau", i) for i in range(start, start + 38))
        buffer.add([hit("other", 1000 + start), hit("laichau", 2000 + start, day=date(2026, 3, 2))])
        assert buffer.due(window_ends=False) == []
    groups = WindowBuffer.from_state(buffer.state()).due(window_ends=True)
    assert [(g[0].site, g[0].note.day, len(g)) for g in groups] == [
        ("laichau", DAY, 114),
        ("laichau", date(2026, 3, 2), 3),
        ("other", DAY, 3),
    ]
    assert [h.sequence for h in groups[0]] == sorted(h.sequence for h in groups[0])


def test_a_hit_delivered_again_in_the_window_is_held_once() -> None:
    buffer = WindowBuffer()
    buffer.add(hit("laichau", i) for i in range(10))
    buffer.add(hit("laichau", i) for i in range(5, 15))
    assert len(WindowBuffer.from_state(buffer.state())) == 15


def test_past_the_limit_the_largest_groups_are_written_and_the_rest_stays_held() -> None:
    buffer = WindowBuffer(limit=20_000)
    buffer.add(hit("quiet", i) for i in range(5))
    buffer.add(hit("busy", i) for i in range(100, 250))  # ~180 bytes each: over 20,000
    assert buffer.size > 20_000
    due = buffer.due(window_ends=False)
    assert [(g[0].site, len(g)) for g in due] == [("busy", 150)]
    assert len(buffer) == 5 and len(json.dumps(buffer.state())) <= 20_000
    assert buffer.due(window_ends=False) == []  # under the limit now: nothing more


def test_the_size_it_counts_is_never_under_the_states_json() -> None:
    buffer = WindowBuffer()
    buffer.add(hit("laichau", i) for i in range(300))
    text = json.dumps(buffer.state(), separators=(",", ":"), ensure_ascii=False)
    assert len(text.encode()) <= buffer.size <= len(text.encode()) + 100


@pytest.mark.parametrize(
    "state",
    [
        {"v": 2, "hits": []},
        {"hits": [["laichau", "s", "1"]]},
        {"v": 1, "hits": [["x", "s", "1", {}]]},
    ],
)
def test_a_state_it_did_not_write_is_refused_not_dropped(state: dict) -> None:
    with pytest.raises(StateError):
        WindowBuffer.from_state(state)
