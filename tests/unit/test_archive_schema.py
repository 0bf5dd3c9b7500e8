"""The archive's row of a hit note (counters.archive.schema): what each column holds, and
that every note field is archived or left out on purpose."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote
from counters.archive.schema import COLUMN_NAMES, FACTS, columns_of
from counters.archive.writer import object_key

# Note fields that are no column, and why. A new note field must be added to COLUMNS or
# here: this test fails until someone decides (the archive holds nothing by accident).
LEFT_OUT = {
    "day": "the `date` partition of the object's key",
    "window": "the online window: the day counters' business",
    "first_in_window": "the same",
    "new_since_previous": "the same",
    "visit_timeout": "read to set the visit flag, which is archived",
    "facts": "one column per fact (FACTS), a list column per fact a note has several of",
}
ARCHIVED = {"token": "token", "hour": "hour", "visits": "visit", "pageviews": "pageview"}
ARCHIVED["path"] = "path"
ARCHIVED.update(in_visit="in_visit", bounces="bounces", duration_ms="duration_ms")
ARCHIVED.update(entry="entry_page", left="left_page", event="is_event")
ARCHIVED.update(goal_visits="goal_visits", visit_id="visit_id")


def test_every_note_field_is_a_column_or_left_out_on_purpose() -> None:
    assert {field.name for field in fields(HitNote)} == set(ARCHIVED) | set(LEFT_OUT)
    assert set(ARCHIVED.values()) | set(FACTS) <= set(COLUMN_NAMES)
    assert FACTS == (
        "source", "campaign", "browser", "os", "device", "country", "language", "bot",
        "event", "download", "outbound",
    )  # fmt: skip
    assert {"properties", "goals"} <= set(COLUMN_NAMES)


def test_a_row_holds_the_notes_values_and_its_place_in_the_stream() -> None:
    note = HitNote(
        token="abcdefgh1234",
        day=date(2026, 3, 1),
        hour=21,
        visits=1,
        pageviews=1,
        window=5,
        first_in_window=1,
        new_since_previous=1,
        path="/van-ban/1",
        facts={"source": "Zalo", "device": "mobile"},
        in_visit=True,
        bounces=-1,
        duration_ms=61_000,
        entry="/",
        left="/tin-tuc",
        visit_id="Zm9vYmFyYmF6cXV4",
    )
    bot = HitNote("botbotbot123", date(2026, 3, 1), 3, 0, 0, 5, 0, 0, facts={"bot": "Googlebot"})
    hits = [NotedHit("laichau", note, "s0123456789ab", 42, False),
            NotedHit("laichau", bot, "s0123456789ab", 10**39, True)]  # fmt: skip
    rows = [
        dict(zip(COLUMN_NAMES, values, strict=True))
        for values in zip(*columns_of(hits), strict=True)
    ]
    assert rows[0] == {
        "hour": 21, "visit": 1, "pageview": 1, "path": "/van-ban/1", "in_visit": 1,
        "bounces": -1, "duration_ms": 61_000, "entry_page": "/", "left_page": "/tin-tuc",
        "visit_id": "Zm9vYmFyYmF6cXV4", "source": "Zalo",
        "campaign": None, "browser": None, "os": None, "device": "mobile", "country": None,
        "language": None, "bot": None, "event": None, "download": None, "outbound": None,
        "is_event": 0, "properties": [], "goals": [], "goal_visits": [],
        "token": "abcdefgh1234", "shard": "s0123456789ab",
        "seq": "0" * 38 + "42",
    }  # fmt: skip
    assert rows[1]["bot"] == "Googlebot" and rows[1]["pageview"] == 0 and rows[1]["path"] is None
    assert rows[1]["visit_id"] is None  # a bot's note: no visit
    assert rows[1]["seq"] == "1" + "0" * 39  # 40 digits: string order is stream order


def test_an_object_is_named_by_its_partition_shard_and_records() -> None:
    note = HitNote("abcdefgh1234", date(2026, 3, 1), 9, 1, 1, 5, 1, 1)
    hits = [NotedHit("laichau", note, "s0123456789ab", seq, False) for seq in (70, 12, 31)]
    # The digest: sha256 of "12,31,70", its first 8 hex digits.
    assert object_key("laichau", date(2026, 3, 1), hits) == (
        "site=laichau/date=2026-03-01/s0123456789ab-" + f"{12:040d}-{70:040d}-c713ab64.parquet"
    )
    # Other hits between the same first and last (a window's, with a gap): another key.
    assert object_key("laichau", date(2026, 3, 1), [hits[0], hits[1]]) != object_key(
        "laichau", date(2026, 3, 1), hits
    )
