"""Event notes: what they encode, what decoding refuses, and the first event of a name in
a visit as the visitor item's images tell it (pure: no AWS)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from counters.aggregation.batches import noted_hit, report_parts
from counters.aggregation.notes import BadNoteError, HitNote
from counters.events.slots import event_slot

EVENT = HitNote(
    token="abcdefgh1234",
    day=date(2025, 6, 15),
    hour=10,
    visits=0,
    pageviews=0,
    window=5833188,
    first_in_window=0,
    new_since_previous=0,
    path="/van-ban",
    facts={"event": "download", "download": "/a.pdf", "goal#0": "Tải"},
    event=True,
    visit_timeout=1800,
)
VISITOR = {"pk": "VISITOR#news#Yk3vQ0x7cA9rT2mL5nB8dw", "sk": "2025-06-15"}
SLOT, TAG = event_slot("download")


def test_an_event_note_round_trips_and_says_it_is_one() -> None:
    text = EVENT.encode()
    assert json.loads(text)["ev"] == 1
    assert HitNote.decode(text) == EVENT
    assert "ev" not in json.loads(replace(EVENT, event=False, pageviews=1).encode())


@pytest.mark.parametrize("flag", [2, "1", 1.0, True, None])
def test_an_event_flag_other_than_1_is_no_note(flag: object) -> None:
    data = json.loads(EVENT.encode())
    data["ev"] = flag
    if flag is True:  # JSON's true is Python's True: an int 1, taken as the flag
        assert HitNote.decode(json.dumps(data)).event
        return
    with pytest.raises(BadNoteError):
        HitNote.decode(json.dumps(data))


def test_an_event_is_never_a_page_view() -> None:
    data = json.loads(EVENT.encode())
    data["p"] = 1
    with pytest.raises(BadNoteError):
        HitNote.decode(json.dumps(data))


def record(old: dict[str, object] | None) -> HitNote:
    new = {**(old or {}), "he": EVENT.encode()}
    hit = noted_hit(VISITOR, new, old, "1100000000017454423030", "shardId-0001-aaaa")
    assert hit is not None
    return hit.note


def test_the_first_event_of_its_name_in_the_visit_counts_the_visit() -> None:
    t = Decimal("1749956645.120")
    assert record(None).visits == 0  # no page view today: in no visit
    visit = {"seen": t, "prev": Decimal(0), "vs": t}
    assert record(visit).visits == 1  # a visit, no event of the name yet
    again = {**visit, f"ev{SLOT}": TAG, f"es{SLOT}": t}
    assert record(again).visits == 0  # again in the same visit
    later_page = {**again, "seen": t + 600, "prev": t}
    assert record(later_page).visits == 0  # the same visit, a page later
    other = {**again, f"ev{SLOT}": "00000000"}
    assert record(other).visits == 1  # another name held the slot
    # A returning visit (over 30 minutes after the last): its first page view leaves the
    # item's start (`vs`) at the earlier visit's until its second hit; the event is still
    # the first of its name in the new visit.
    returning = {**again, "seen": t + 3600, "prev": t}
    assert record(returning).visits == 1
    second_page = {**again, "seen": t + 3700, "prev": t + 3600, "vs": t + 3600}
    assert record(second_page).visits == 1
    done = {**second_page, f"es{SLOT}": t + 3600}
    assert record(done).visits == 0


def test_an_events_visit_counts_under_its_name_and_goals_only() -> None:
    old = {"seen": Decimal("1749956645.120"), "prev": Decimal(0)}
    hit = noted_hit(VISITOR, {**old, "he": EVENT.encode()}, old, "1100000000017454423030", "s-1")
    assert hit is not None and hit.note.visits == 1
    parts = report_parts(hit.note)
    assert parts[("event", "download")] == {"v": 1, "p": 1}
    assert parts[("goal", "Tải")] == {"v": 1, "p": 1}
    assert parts[("download", "/a.pdf")] == {"v": 0, "p": 1}
    assert ("page", "/van-ban") not in parts  # an event is no page view
