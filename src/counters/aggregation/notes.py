"""Hit notes: what one hit was, as a short JSON that rides on an item the hit writes.

The stream carries a note to the aggregators (see `counters.aggregation.batches`). A note
holds a random token, the site's local day and hour, the visit and online flags,
the normalised path and the breakdown categories; never a raw User-Agent, address
or URL. Since version 1 also (engagement, see `counters.counting.engagement`; absent
when 0 or none): `c` 1 for a hit of a visit (not a bot's, nor a page view with no
visitor item), `o` the bounce delta (-1, 0, +1), `g` milliseconds since the visit's
previous hit, `e` the visit's entry page (whose entry figures this hit changes), `l` the
page that stops being the visit's exit (its previous page; this hit's page becomes it).
A high-traffic hit's note leaves them, like its visit flags, to the aggregator, which
reads them off the visitor item's old image. `vi`: the visit's id (counters.counting.visits;
absent before visit ids, and for no visit; a high-traffic hit's and every event's are the
aggregator's). `HitNote.decode` takes only what this code writes: a record whose note is
anything else is skipped, never counted, never retried forever.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from counters.counting.conversions import page_goal_facts
from counters.counting.periods import zone
from counters.counting.visits import window
from counters.reports.breakdowns import bot_family, dimension_values, facts_of, site_hosts
from counters.reports.pages import MAX_PATH_BYTES, normalise_path

if TYPE_CHECKING:
    from datetime import datetime

    from counters.counting.engagement import Engagement
    from counters.counting.visits import PageView, Sighting

from counters.models import MAX_GOALS, Site

NOTE_VERSION = 1
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
_VISIT_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")
MAX_VALUE_BYTES = 300  # a report item's sort key holds the value (1,024 bytes at most)


class BadNoteError(ValueError):
    """A stream record whose note is not one this code wrote; skipped, never counted."""


@dataclass(frozen=True)
class HitNote:
    """What one hit was, as far as reports and buffered counters need to know."""

    token: str  # unique per hit
    day: date  # the site's local date it counts on
    hour: int  # local hour, 0-23
    visits: int  # 1 for the first hit of a visit
    pageviews: int  # 1 for a counted hit; 0 for a bot's note
    window: int  # online window (see counters.counting.visits)
    first_in_window: int
    new_since_previous: int
    path: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)  # dimension -> value
    # On a visitor item: the site's visit timeout, and the flags are the aggregator's to read
    # off the visitor's old and new `seen` (see `flags_from_sighting`).
    visit_timeout: int | None = None
    # Engagement deltas (see the module): bounce delta, duration, entry and left pages.
    in_visit: bool = False  # a hit of a visit: its page becomes the visit's exit page
    bounces: int = 0
    duration_ms: int = 0
    entry: str | None = None
    left: str | None = None
    # An event (a download, an outbound link, a custom event; see counters.events): never a
    # page view; its facts are its event dimensions, and `visits` is 1 for the first event of
    # its name in the visit (read off the visitor item's images, see `first_in_visit`).
    event: bool = False
    # A page view's page goals (facts `goal#i`) that its visit reached first with it: their
    # conversions (see counters.counting.conversions). An event's goals use `visits`.
    goal_visits: tuple[str, ...] = ()
    visit_id: str | None = None  # its visit's (see the module); None: no visit, or older

    def encode(self) -> str:
        data: dict[str, Any] = {
            "n": NOTE_VERSION,
            "t": self.token,
            "d": self.day.isoformat(),
            "h": self.hour,
            "v": self.visits,
            "p": self.pageviews,
            "w": self.window,
            "a": self.first_in_window,
            "b": self.new_since_previous,
        }
        if self.path is not None:
            data["u"] = self.path
        if self.facts:
            data["f"] = dict(self.facts)
        if self.visit_timeout is not None:
            data["x"] = self.visit_timeout
        engagement = {
            "c": int(self.in_visit),
            "o": self.bounces,
            "g": self.duration_ms,
            "e": self.entry,
            "l": self.left,
        }
        data.update((name, value) for name, value in engagement.items() if value)
        if self.event:
            data["ev"] = 1
        if self.goal_visits:
            data["gv"] = list(self.goal_visits)
        if self.visit_id is not None:
            data["vi"] = self.visit_id
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> HitNote:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("n") != NOTE_VERSION:
                raise BadNoteError("not a hit note (version 1)")
            note = cls(
                token=data["t"],
                day=date.fromisoformat(data["d"]),
                hour=data["h"],
                visits=data["v"],
                pageviews=data["p"],
                window=data["w"],
                first_in_window=data["a"],
                new_since_previous=data["b"],
                path=data.get("u"),
                facts=data.get("f") or {},
                visit_timeout=data.get("x"),
                in_visit=data.get("c", 0) == 1,
                bounces=data.get("o", 0),
                duration_ms=data.get("g", 0),
                entry=data.get("e"),
                left=data.get("l"),
                event=data.get("ev", 0),
                goal_visits=tuple(_listed(data.get("gv"))),
                visit_id=data.get("vi"),
            )
        except (ValueError, KeyError, TypeError) as bad:
            raise BadNoteError(f"not a hit note: {bad}") from bad
        if not _is_well_formed(note):
            raise BadNoteError(f"not a hit note: {text[:200]!r}")
        return note


def _is_well_formed(note: HitNote) -> bool:
    """Whether a decoded note holds only what this code writes (JSON allows much more)."""
    flags = (note.visits, note.pageviews, note.first_in_window, note.new_since_previous)
    checks = (
        isinstance(note.token, str) and bool(_TOKEN.match(note.token)),
        _is_int(note.hour) and 0 <= note.hour <= 23,
        all(_is_int(flag) and flag in (0, 1) for flag in flags),
        _is_int(note.window),
        note.path is None or _is_page_key(note.path),
        note.visit_timeout is None or _is_int(note.visit_timeout),
        _is_visit_id(note.visit_id),
        _is_engagement(note),
        _is_event_flag(note),
        _are_goals(note.goal_visits),
        isinstance(note.facts, dict)
        and all(_is_value(k) and _is_value(v) for k, v in note.facts.items()),
    )
    return all(checks)


def _is_visit_id(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(_VISIT_ID.match(value)))


def _are_goals(names: tuple[str, ...]) -> bool:
    return len(names) <= MAX_GOALS and all(map(_is_value, names))


def _listed(value: object) -> list[Any]:
    if value is None or isinstance(value, list):
        return value or []
    raise ValueError("not a list")


def _is_event_flag(note: HitNote) -> bool:
    """`ev` is absent or 1 (JSON's; a bool is an int too), and an event is no page view."""
    return (
        note.event in (0, 1) and isinstance(note.event, int) and not (note.event and note.pageviews)
    )


def _is_engagement(note: HitNote) -> bool:
    """Whether a note's engagement deltas are ones `engage` makes (within a day)."""
    pages = (note.entry, note.left)
    return (
        _is_int(note.bounces)
        and note.bounces in (-1, 0, 1)
        and _is_int(note.duration_ms)
        and 0 <= note.duration_ms < 86_400_000
        and all(page is None or _is_page_key(page) for page in pages)
    )


def _is_int(value: object) -> bool:
    return type(value) is int  # not bool, not float


def _is_value(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        return len(value.encode()) <= MAX_VALUE_BYTES
    except UnicodeEncodeError:  # a lone surrogate, which JSON allows
        return False


def _is_page_key(path: object) -> bool:
    """Whether a path can be a report item's key (else the aggregator would fail on it forever)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return False
    try:
        return len(path.encode()) <= MAX_PATH_BYTES
    except UnicodeEncodeError:  # a lone surrogate, which JSON allows
        return False


def counted_note(site: Site, view: PageView, instant: datetime) -> HitNote:
    """A counted hit's note, its visit and online flags not known yet."""
    local = instant.astimezone(zone(site.timezone))
    facts = facts_of(
        user_agent=view.user_agent,
        referrer=view.referrer,
        utm=view.utm,
        client_ip=view.client_ip,
        accept_language=view.accept_language,
        viewer_country=view.viewer_country,
        site_hosts=site_hosts(site.allowed_origins, view.origin),
    )
    values = dimension_values(facts, local.hour)
    del values["hour"]  # every counted hit has one: the aggregator adds it (and the page)
    path = normalise_path(view.path) if view.path is not None else None
    pages = [(goal.name, goal.page) for goal in site.goals if goal.page is not None]
    values.update(page_goal_facts(pages, path))
    return HitNote(
        token=secrets.token_urlsafe(12),
        day=local.date(),  # local_date(), without converting the instant again
        hour=local.hour,
        visits=0,
        pageviews=1,
        window=window(instant.timestamp()),
        first_in_window=0,
        new_since_previous=0,
        path=path,
        facts=values,
        # On a high-traffic site's visitor item, the aggregator reads the flags off it.
        visit_timeout=site.visit_timeout_minutes * 60 if site.mode == "buffered" else None,
    )


def with_visit(
    note: HitNote,
    seen: Sighting,
    visit: Engagement,
    goal_visits: tuple[str, ...] = (),
    visit_id: str | None = None,
) -> HitNote:
    """A counted note with its visit and online flags, its engagement deltas, the
    page goals its visit reached first with it and its visit's id."""
    return replace(
        note,
        visits=int(seen.new_visit) if note.pageviews else 0,
        window=seen.window,
        first_in_window=seen.first_in_window,
        new_since_previous=seen.new_since_previous,
        in_visit=True,
        bounces=visit.bounces,
        duration_ms=visit.duration_ms,
        entry=visit.entry,
        left=visit.left,
        goal_visits=goal_visits,
        visit_id=visit_id,
    )


def bot_note(site: Site, user_agent: str, instant: datetime) -> HitNote:
    """A bot's note: no page view, no visit; only its family, for the `bot` breakdown."""
    local = instant.astimezone(zone(site.timezone))
    return HitNote(
        token=secrets.token_urlsafe(12),
        day=local.date(),
        hour=local.hour,
        visits=0,
        pageviews=0,
        window=window(instant.timestamp()),
        first_in_window=0,
        new_since_previous=0,
        facts={"bot": bot_family(user_agent)},
    )
