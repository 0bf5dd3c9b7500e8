"""The aggregation path: what a stream record's visitor item images say of its hit.

One visitor's writes are in order in the stream, and each record's old image is exactly
the item before the write: the aggregator reads off it what the hit's own answer would
have said (a high-traffic hit's visit, online and engagement flags; an event's visit and
bounce; a page view's page goals reached first in its visit). Pure, on plain values as
Powertools deserialises the images.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from counters.aggregation.notes import BadNoteError, HitNote, with_visit
from counters.counting.conversions import first_reached, goal_names, marks_of
from counters.counting.engagement import (
    VisitState,
    current_visit,
    engage,
    engagement_page,
    event_bounce,
)
from counters.counting.visits import sighting, visit_id
from counters.events.slots import event_slot
from counters.storage.visitor_items import note_page


def visitor_note(
    note: HitNote, old: Mapping[str, Any], new: Mapping[str, Any], visitor: str = ""
) -> tuple[HitNote, bool]:
    """A note on a visitor item (of `visitor`, the item key's id), with what the images say
    of it; and whether the day aggregator adds it like a high-traffic hit. An event's bounce
    goes where its visit's page views went: a direct site's (no `h` on the item) to its own
    day's item."""
    if note.event:
        return event_in_visit(note, old, new, visitor), isinstance(old.get("h"), str)
    return flags_from_sighting(note, old, new.get("seen"), visitor), True


def event_in_visit(
    note: HitNote, old: Mapping[str, Any], new: Mapping[str, Any], visitor: str = ""
) -> HitNote:
    """An event's note with what it changes of its visit, read off the visitor item's
    images: whether it is the first of its name in the visit (`visits`), and, for the
    visit's first interactive event while the visit has one page view, the end of its
    bounce (`bounces` -1 for the day and for the visit's `entry` page); and its visit's id
    (the visit of the visitor's last page view, as `first_in_visit` says)."""
    state = _visit_state(old)
    if state is None or note.visit_timeout is None:
        return replace(note, visits=0)
    bounces = event_bounce(state, _instant(new.get("ie")), note.visit_timeout)
    start, entry = current_visit(state, note.visit_timeout)
    visits = int(first_in_visit(note, old))
    return replace(
        note,
        visits=visits,
        bounces=bounces,
        entry=entry if bounces else None,
        visit_id=visit_id(visitor, start) if visitor else None,
    )


def first_in_visit(note: HitNote, old: Mapping[str, Any]) -> bool:
    """Whether an event is the first of its name in its visit, read off the visitor item
    before the event's write (see `counters.events.slots`). An event is of the visit of
    the visitor's last page view (none without one); its name's slot holds the time of
    that page view at the name's last event: an earlier visit's, or another name's tag."""
    state = _visit_state(old)
    if state is None or note.visit_timeout is None:
        return False
    start, _ = current_visit(state, note.visit_timeout)
    slot, tag = event_slot(note.facts.get("event", ""))
    last = _instant(old.get(f"es{slot}"))
    return not (old.get(f"ev{slot}") == tag and last is not None and last >= start)


def flags_from_sighting(
    note: HitNote, old: Mapping[str, Any], new_seen: Any, visitor: str = ""
) -> HitNote:
    """A visitor item's note with its visit and online flags and its engagement deltas,
    read off the write's images.

    One visitor's writes are in order in the stream, and each record's old image is
    exactly the item before the write: the same flags and deltas the hit's own answer
    computed (see counters.counting.engagement).
    """
    if note.visit_timeout is None or not _is_instant(new_seen):
        raise BadNoteError("a visitor's note without its visit timeout or sighting")
    state = _visit_state(old)
    now = float(new_seen)
    seen = sighting(state.seen if state else None, now, note.visit_timeout)
    visit = engage(state, now, note.path, note.visit_timeout)
    reached = first_reached(state, now, note.visit_timeout, goal_names(note.facts))
    visit_of = visit_id(visitor, visit.start or now) if visitor else None
    return with_visit(note, seen, visit, reached, visit_of)


def _visit_state(old: Mapping[str, Any]) -> VisitState | None:
    """A visitor item's old image (plain values) as the visitor write would answer it."""
    if not _is_instant(old.get("seen")):
        return None
    last_page = old.get("lp")
    if not isinstance(last_page, str) and isinstance(old.get("h"), str):
        last_page = note_page(old["h"])
    return VisitState(
        seen=float(old["seen"]),
        prev=_instant(old.get("prev")),
        start=_instant(old.get("vs")),
        entry=_page(old.get("ve")),
        last_page=_page(last_page),
        interacted=_instant(old.get("ie")),
        marks=marks_of(old),
    )


def _instant(value: Any) -> float | None:
    return float(value) if _is_instant(value) else None


def _page(value: Any) -> str | None:
    return engagement_page(value) if isinstance(value, str) and value.startswith("/") else None


def _is_instant(value: Any) -> bool:
    try:
        return value is not None and 0 < float(value) < 1e11
    except (TypeError, ValueError):
        return False
