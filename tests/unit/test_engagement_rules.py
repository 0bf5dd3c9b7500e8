"""What one hit changes of its visit's figures (counters.counting.engagement, pure).

Expected values are literals: the rules of docs/counting.md ("Engagement"), one case each.
"""

from __future__ import annotations

from datetime import date

import pytest

from counters.aggregation.notes import BadNoteError, HitNote
from counters.counting.engagement import (
    Engagement,
    VisitState,
    current_visit,
    engage,
    engagement_page,
)

TIMEOUT = 1800.0
T0 = 1_750_000_000.0


def test_a_visitors_first_hit_begins_a_visit_a_bounce_entered_and_left_on_its_page() -> None:
    assert engage(None, T0, "/a", TIMEOUT) == Engagement(True, 1, 0, "/a", None, None, T0)


def test_a_second_page_ends_the_bounce_and_adds_its_gap_to_the_visits_entry_page() -> None:
    first = VisitState(seen=T0, prev=None, start=T0, entry="/a", last_page="/a")
    assert engage(first, T0 + 42.5, "/b", TIMEOUT) == Engagement(
        False, -1, 42_500, "/a", "/a", start=T0
    )


def test_a_third_page_adds_only_its_gap_and_moves_the_exit() -> None:
    second = VisitState(seen=T0 + 60, prev=T0, start=T0, entry="/a", last_page="/b")
    assert engage(second, T0 + 90, "/c", TIMEOUT) == Engagement(
        False, 0, 30_000, "/a", "/b", start=T0
    )


def test_a_gap_of_the_timeout_begins_a_new_visit() -> None:
    old = VisitState(seen=T0, prev=None, start=T0, entry="/a", last_page="/a")
    assert engage(old, T0 + TIMEOUT, "/c", TIMEOUT) == Engagement(
        True, 1, 0, "/c", None, start=T0 + TIMEOUT
    )
    # A second under the timeout: the same visit.
    assert not engage(old, T0 + TIMEOUT - 1, "/c", TIMEOUT).new_visit


def test_a_returning_visits_second_hit_knows_its_start_by_the_gap_and_stores_it() -> None:
    # The item still holds the morning visit's start and entry (the restart not stored yet):
    # the gap between its last two hits says the last began a visit.
    old = VisitState(seen=T0 + 7200, prev=T0, start=T0, entry="/morning", last_page="/c")
    assert current_visit(old, TIMEOUT) == (T0 + 7200, "/c")
    # ...and stores them for the visit's later hits (a returning bounce needs no write).
    assert engage(old, T0 + 7210, "/d", TIMEOUT) == Engagement(
        False, -1, 10_000, "/c", "/c", (T0 + 7200, "/c"), T0 + 7200
    )
    # Once stored, the third hit reads it off the item.
    stored = VisitState(seen=T0 + 7210, prev=T0 + 7200, start=T0 + 7200, entry="/c", last_page="/d")
    assert engage(stored, T0 + 7230, "/e", TIMEOUT) == Engagement(
        False, 0, 20_000, "/c", "/d", start=T0 + 7200
    )


def test_hits_without_a_path_have_no_page() -> None:
    assert engage(None, T0, None, TIMEOUT) == Engagement(True, 1, 0, None, None, None, T0)
    old = VisitState(seen=T0, prev=None, start=T0, entry=None, last_page=None)
    assert engage(old, T0 + 5, None, TIMEOUT) == Engagement(False, -1, 5000, None, None, start=T0)


def test_entry_and_exit_pages_keep_at_most_200_bytes_on_a_character_boundary() -> None:
    assert engagement_page("/" + "a" * 199) == "/" + "a" * 199
    assert engagement_page("/" + "a" * 300) == "/" + "a" * 199
    # "ệ" is 3 bytes: 66 of them after "/" make 199 bytes; a 67th would pass 200.
    assert engagement_page("/" + "ệ" * 100) == "/" + "ệ" * 66
    assert engagement_page(None) is None


def test_a_notes_engagement_fields_round_trip_and_bad_ones_are_refused() -> None:
    note = HitNote(
        token="abcdefgh1234",
        day=date(2025, 6, 15),
        hour=9,
        visits=0,
        pageviews=1,
        window=100,
        first_in_window=0,
        new_since_previous=0,
        path="/c",
        in_visit=True,
        bounces=-1,
        duration_ms=42_500,
        entry="/a",
        left="/b",
    )
    text = note.encode()
    assert '"c":1,"o":-1,"g":42500,"e":"/a","l":"/b"' in text
    assert HitNote.decode(text) == note
    for field, bad in (('"o":-1', '"o":2'), ('"g":42500', '"g":-5'), ('"e":"/a"', '"e":"a"')):
        with pytest.raises(BadNoteError):
            HitNote.decode(text.replace(field, bad))
