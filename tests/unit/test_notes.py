"""Hit notes and the stream records that carry them (pure: no AWS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from counters.aggregation.batches import noted_hit, shard_name
from counters.aggregation.notes import BadNoteError, HitNote
from counters.storage.updates import mark

NOTE = HitNote(
    token="abcdefgh1234",
    day=date(2025, 6, 15),
    hour=10,
    visits=0,
    pageviews=1,
    window=5833188,
    first_in_window=0,
    new_since_previous=0,
    path="/tin-tuc/a",
    facts={"browser": "Firefox"},
    visit_timeout=1800,
)
T0 = 1749956645.12  # 2025-06-15 03:04:05 UTC
VISITOR = {"pk": "VISITOR#news#Yk3vQ0x7cA9rT2mL5nB8dw", "sk": "2025-06-15"}


def visitor_record(old_seen: float | None, new_seen: float, token: str = "newtoken12") -> Any:
    new = {"seen": Decimal(f"{new_seen:.3f}"), "h": replace(NOTE, token=token).encode()}
    old = None if old_seen is None else {"seen": Decimal(f"{old_seen:.3f}"), "h": NOTE.encode()}
    return noted_hit(VISITOR, new, old, "1100000000017454423030", "shardId-0001-aaaa")


def test_a_note_decodes_to_what_was_encoded() -> None:
    assert HitNote.decode(NOTE.encode()) == NOTE
    bare = replace(NOTE, path=None, facts={}, visit_timeout=None)
    assert HitNote.decode(bare.encode()) == bare


@pytest.mark.parametrize(
    "change",
    [
        {"hour": 24},
        {"visits": True},
        {"pageviews": 2},
        {"token": "short"},
        {"path": "no-slash"},
        {"visit_timeout": 1800.5},
        {"visit_timeout": "1800"},
        {"facts": {"browser": 7}},
        {"window": "5833188"},
        {"visit_id": "short"},
        {"visit_id": "sixteen+chars/no"},
        {"visit_id": 1234567890123456},
    ],
)
def test_a_note_this_code_would_not_write_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(BadNoteError):
        HitNote.decode(replace(NOTE, **change).encode())


def test_a_notes_visit_id_reads_back_and_a_note_written_before_it_decodes() -> None:
    linked = replace(NOTE, visit_id="Zm9vYmFyYmF6cXV4")
    assert '"vi":"Zm9vYmFyYmF6cXV4"' in linked.encode()
    assert HitNote.decode(linked.encode()) == linked
    older = '{"n":1,"t":"abcdefgh1234","d":"2025-06-15","h":10,"v":0,"p":1,"w":5,"a":0,"b":0}'
    assert HitNote.decode(older).visit_id is None


def _visit_id(visitor: str, start_ms: int) -> str:
    """The model: 12 bytes of HMAC-SHA256 keyed by the visitor id, of the start in ms."""
    digest = hmac.new(visitor.encode(), str(start_ms).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def test_a_high_traffic_hits_visit_id_is_its_visits_start_keyed_by_the_visitor_id() -> None:
    visitor = VISITOR["pk"].rsplit("#", 1)[1]
    first = visitor_record(None, T0)
    again = visitor_record(T0, T0 + 60)  # the item's visit began at T0 (`seen`, no `prev`)
    late = visitor_record(T0, T0 + 1800)  # a new visit
    assert first is not None and again is not None and late is not None
    start = round(T0 * 1000)
    assert first.note.visit_id == again.note.visit_id == _visit_id(visitor, start)
    assert late.note.visit_id == _visit_id(visitor, start + 1_800_000)
    other = dict(VISITOR, pk="VISITOR#news#Zk3vQ0x7cA9rT2mL5nB8dw")
    new = {"seen": Decimal(f"{T0:.3f}"), "h": NOTE.encode()}
    someone = noted_hit(other, new, None, "1100000000017454423030", "shardId-0001-aaaa")
    assert someone is not None and someone.note.visit_id not in (None, first.note.visit_id)


def test_a_visitor_notes_flags_are_read_off_its_old_and_new_seen() -> None:
    first = visitor_record(None, T0)
    assert first is not None and first.buffered and first.site == "news"
    assert (first.note.visits, first.note.first_in_window, first.note.new_since_previous) == (
        1,
        1,
        1,
    )
    again = visitor_record(T0, T0 + 60)  # a minute later: same visit
    assert again is not None and again.note.visits == 0
    late = visitor_record(T0, T0 + 1800)  # exactly the timeout: a new visit
    assert late is not None and late.note.visits == 1
    same_ms = visitor_record(T0, T0)
    assert same_ms is not None and same_ms.note.visits == 0


def test_a_write_that_kept_the_note_is_no_hit() -> None:
    same = {"seen": Decimal("1"), "h": NOTE.encode()}
    assert noted_hit(VISITOR, same, same, "1", "shard") is None
    assert noted_hit(VISITOR, {"seen": Decimal("1")}, same, "1", "shard") is None


def test_shards_name_the_lane_and_records_without_one_share_one() -> None:
    hit = visitor_record(None, T0)
    assert hit is not None and hit.shard == shard_name("shardId-0001-aaaa")
    assert shard_name("shardId-0001-aaaa") != shard_name("shardId-0001-aaab")
    assert len(shard_name("x" * 65)) == 13
    unnamed = noted_hit(VISITOR, {"seen": Decimal(T0), "h": NOTE.encode()}, None, "12")
    assert unnamed is not None and unnamed.shard == "s" and unnamed.sequence == 12


@pytest.mark.parametrize(
    ("keys", "sequence", "shard"),
    [
        ({"pk": "SALT", "sk": "2025-06-15"}, "1", "shard"),
        ({"pk": "SITE#news", "sk": "CONFIG"}, "1", "shard"),
        (VISITOR, "12a", "shard"),
        (VISITOR, "1" * 41, "shard"),  # DynamoDB Streams': 21 to 40 digits
        (VISITOR, "１２", "shard"),  # digits, but not ASCII ones
        (VISITOR, "", "shard"),
        (VISITOR, "1", "s" * 66),
    ],
)
def test_records_that_cannot_be_placed_are_bad(keys: Any, sequence: str, shard: str) -> None:
    with pytest.raises(BadNoteError):
        noted_hit(keys, {"seen": Decimal(T0), "h": NOTE.encode()}, None, sequence, shard)


@pytest.mark.parametrize("sequence", ["9" * 40, "1" + "0" * 39, "000000000000000000001"])
def test_sequence_numbers_of_up_to_40_digits_are_placed_exactly(sequence: str) -> None:
    hit = noted_hit(VISITOR, {"seen": Decimal(T0), "h": NOTE.encode()}, None, sequence, "shard")
    assert hit is not None and hit.sequence == int(sequence)


def test_marks_order_as_their_sequence_numbers_do() -> None:
    # DynamoDB compares the string marks byte by byte: zero-padded, that is numeric order.
    sequences = [1, 9, 10, 10**20, 10**38 - 1, 10**38, 10**40 - 1]
    assert sorted(sequences, key=mark) == sequences
    assert all(len(mark(sequence)) == 40 for sequence in sequences)


def test_a_visitor_note_without_its_timeout_or_sighting_is_bad() -> None:
    plain = replace(NOTE, visit_timeout=None).encode()
    with pytest.raises(BadNoteError):
        noted_hit(VISITOR, {"seen": Decimal(T0), "h": plain}, None, "1", "shard")
    with pytest.raises(BadNoteError):
        noted_hit(VISITOR, {"h": NOTE.encode()}, None, "1", "shard")
