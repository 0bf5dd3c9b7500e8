"""Visits as a whole: bounces, duration, entry and exit pages, as one delta per hit.

Pure logic (rules in docs/counting.md, "Engagement"). A hit's visitor write returns the
visitor item as it was (`VisitState`); from it and the hit, `engage` says what the hit
changes of its visit's figures. Deltas add up in any order, so a hit aggregated in a
later stream batch than the hit before it in its visit adds exactly what it would have
added in the same batch, and redelivery stays exactly-once per note.

A visit belongs to the local day it began: the visitor item, like the visitor id, is
per local day (its salt changes at midnight), so a visit ends at local midnight and the
visitor's next hit begins a visit of the new day (SPEC: a visitor cannot be followed
across days).
"""

from __future__ import annotations

from dataclasses import dataclass

from counters.counting.visits import PAGE_BYTES, VisitState, engagement_page

__all__ = [
    "PAGE_BYTES",
    "Engagement",
    "VisitState",
    "current_visit",
    "engage",
    "engagement_page",
    "ended_by_event",
    "event_bounce",
]


@dataclass(frozen=True)
class Engagement:
    """What one counted hit changes of its visit's figures."""

    new_visit: bool
    bounces: int  # +1 a visit begins (one page so far); -1 its second page; else 0
    duration_ms: int  # the time since the visit's previous hit (0 for a new visit)
    entry: str | None  # the page whose entry figures change: the visit's entry page
    left: str | None  # the page that stops being the visit's exit (its previous page)
    # A visit that began after an earlier one of the same visitor that day, at its second
    # hit: its start and entry page, to be stored on the visitor item (one more write; a
    # returning visit of one page needs none).
    restart: tuple[float, str | None] | None = None
    # The visit's start (epoch seconds): with the visitor id, its visit id (visits.visit_id).
    start: float | None = None


def current_visit(old: VisitState, timeout: float) -> tuple[float, str | None]:
    """The start and entry page of the visit the item's last hit belongs to.

    A visitor write keeps the stored start and entry (`if_not_exists`): right for the
    day's first visit. A later visit's first hit is known by its gap to the hit before
    (`prev`), so its second hit knows the visit's start and entry page and stores them
    (`Engagement.restart`: one more write) for the third and later hits.
    """
    if old.prev is None or old.seen - old.prev >= timeout:
        return old.seen, old.last_page
    return (old.start if old.start is not None else old.seen), old.entry


def engage(old: VisitState | None, now: float, path: str | None, timeout: float) -> Engagement:
    page = engagement_page(path)
    if old is None or now - old.seen >= timeout:
        return Engagement(True, 1, 0, page, None, start=now)
    start, entry = current_visit(old, timeout)
    # The visit had one page until now: no longer a bounce, unless an interactive event
    # ended it already (`ended_by_event`).
    bounces = -1 if start == old.seen and not ended_by_event(old, start) else 0
    duration_ms = max(0, round((now - old.seen) * 1000))
    # A returning visit's second hit: the item still holds an earlier visit's start.
    restart = (start, entry) if start != old.start else None
    return Engagement(False, bounces, duration_ms, entry, old.last_page, restart, start)


def ended_by_event(old: VisitState, start: float) -> bool:
    """Whether an interactive event followed a page view of the visit that began at
    `start` (`ie` holds the time of the page view the last one followed)."""
    return old.interacted is not None and old.interacted >= start


def event_bounce(old: VisitState | None, interacted: float | None, timeout: float) -> int:
    """What an event changes of its visit's bounces, from the visitor item before it
    (`old`) and its `ie` after it: -1 for the visit's first interactive event while the
    visit has one page view; else 0. A later page view of the visit sees `ie` and does not
    end the bounce again (`engage`), nor does a later event: exactly once per visit, in
    whatever order the writes of the one item come.
    """
    if old is None or interacted is None:
        return 0
    start, _ = current_visit(old, timeout)
    one_page = start == old.seen
    return -1 if one_page and interacted >= start and not ended_by_event(old, start) else 0
