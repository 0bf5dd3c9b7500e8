"""Issue 19's rules, pure: an interactive event ends a bounce once per visit; a page goal
counts a visit once; what a note with either adds to the report items."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from counters.aggregation.batches import increment_of, report_parts
from counters.aggregation.notes import BadNoteError, HitNote
from counters.counting.conversions import first_reached, goal_mark, page_matches
from counters.counting.engagement import VisitState, engage, event_bounce
from tests.unit.test_batch_rules import NOTE, noted

T = 1_750_000_000.0  # a page view's time
TIMEOUT = 1800


def one_page(**kw: object) -> VisitState:
    return VisitState(seen=T, prev=None, start=T, entry="/a", last_page="/a", **kw)  # type: ignore[arg-type]


def test_the_first_interactive_event_of_a_one_page_visit_ends_its_bounce() -> None:
    assert event_bounce(one_page(), T, TIMEOUT) == -1
    # Not interactive (its write set no `ie`), or before any page view: nothing.
    assert event_bounce(one_page(), None, TIMEOUT) == 0
    assert event_bounce(None, 0.0, TIMEOUT) == 0


def test_a_bounce_ends_once_whatever_comes_first() -> None:
    # A second event: `ie` of the visit already set.
    assert event_bounce(one_page(interacted=T), T, TIMEOUT) == 0
    # A second page view after the event: not -1 again.
    assert engage(one_page(interacted=T), T + 60, "/b", TIMEOUT).bounces == 0
    # Without the event, the second page view ends the bounce...
    assert engage(one_page(), T + 60, "/b", TIMEOUT).bounces == -1
    # ...and an event after it finds a visit of two page views.
    two = VisitState(seen=T + 60, prev=T, start=T, entry="/a", last_page="/b")
    assert event_bounce(two, T + 60, TIMEOUT) == 0


def test_an_earlier_visits_event_leaves_a_later_visits_bounce() -> None:
    later = T + 3 * TIMEOUT
    returning = VisitState(seen=later, prev=T, start=T, entry="/a", last_page="/c", interacted=T)
    assert event_bounce(returning, later, TIMEOUT) == -1
    assert engage(returning, later + 60, "/d", TIMEOUT).bounces == -1


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/lien-he", "/lien-he", True),
        ("/lien-he", "/lien-he/mau", False),
        ("/dich-vu-cong/*", "/dich-vu-cong/nop", True),
        ("/dich-vu-cong/*", "/dich-vu-cong", False),
        ("/*/2025", "/tin-tuc/2025", True),
        ("/a.b", "/axb", False),  # nothing but `*` is special
        ("/a?", "/ab", False),
        ("/*", None, False),
    ],
)
def test_page_patterns(pattern: str, path: str | None, matches: bool) -> None:
    assert page_matches(pattern, path) is matches


def test_a_page_goal_counts_the_visit_on_its_first_matching_page_view_only() -> None:
    goals = ["G", "H"]
    assert first_reached(None, T, TIMEOUT, goals) == ("G", "H")  # a new visitor
    marked = one_page(marks={goal_mark("G"): T})
    assert first_reached(marked, T + 60, TIMEOUT, goals) == ("H",)
    # The mark of an earlier visit: a new visit reaches it again.
    assert first_reached(marked, T + TIMEOUT, TIMEOUT, goals) == ("G", "H")
    returning = VisitState(T + 3 * TIMEOUT, T, T, "/a", "/a", None, {goal_mark("G"): T})
    assert first_reached(returning, T + 3 * TIMEOUT + 60, TIMEOUT, goals) == ("G", "H")


def test_a_page_goal_adds_its_page_view_always_and_its_visit_once() -> None:
    note = replace(NOTE, facts={"goal#0": "G", "goal#1": "H"}, goal_visits=("H",))
    parts = report_parts(note)
    assert parts[("goal", "G")] == {"v": 0, "p": 1}
    assert parts[("goal", "H")] == {"v": 1, "p": 1}
    assert HitNote.decode(note.encode()) == note
    with pytest.raises(BadNoteError):
        HitNote.decode(note.encode().replace('"gv":["H"]', '"gv":[1]'))


def test_an_event_that_ended_a_bounce_adds_it_to_its_entry_page_and_day_only() -> None:
    event = HitNote(
        token="abcdefgh5678",
        day=date(2025, 6, 15),
        hour=9,
        visits=1,
        pageviews=0,
        window=5,
        first_in_window=0,
        new_since_previous=0,
        path="/b",
        facts={"event": "download"},
        event=True,
        bounces=-1,
        entry="/a",
    )
    assert report_parts(event)[("page", "/a")] == {"v": 0, "p": 0, "eb": -1}
    assert HitNote.decode(event.encode()) == event
    added = increment_of([replace(noted(1), note=event)])
    assert (dict(added.counts), dict(added.windows)) == ({"visits": 0, "pageviews": 0}, {})
    assert added.engagement == {"bounces": -1, "duration_ms": 0}
