"""The aggregation path, pure part: hit notes, and what a stream batch adds to which item.

Every counted hit writes one item its answer needs anyway (a direct site's day
item; a high-traffic site's lane item) and sets on it a *note*: a short JSON
of what the hit was (day, hour, visit or not, online window, path, breakdown
facts). DynamoDB Streams carries each write's new and old image to the
aggregators (`counters.aggregator`), which add, per stream batch:

- page and breakdown counts (reports) of every hit;
- a high-traffic site's day counters (figures lag by the batching window).

A stream record is a hit when its new image holds a note whose token differs
from the old image's: writes that are not hits (sealing a day, undoing a
visitor) keep or drop the note and add nothing. Each item written by an
aggregator keeps the last sequence number it added per lane (`Guard`), so a
batch delivered again, whole or in part, adds nothing twice.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from counters.pages import MAX_PATH_BYTES
from counters.rollover import Metric
from counters.storage import Guard, Increment

NOTE_VERSION = 1
_SITE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
# Reports: at most this many distinct values per dimension and day; the rest are "(other)".
OTHER = "(other)"
MAX_VALUES_PER_DAY = 500
MAX_PAGES_PER_DAY = 2000
MAX_FACTS_CHARS = 400
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
    window: int  # online window (see counters.visitors)
    first_in_window: int
    new_since_previous: int
    path: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)  # dimension -> value

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
            )
        except (ValueError, KeyError, TypeError) as bad:
            raise BadNoteError(f"not a hit note: {bad}") from bad
        flags = (note.visits, note.pageviews, note.first_in_window, note.new_since_previous)
        if (
            not isinstance(note.token, str)
            or not _TOKEN.match(note.token)
            or type(note.hour) is not int
            or not 0 <= note.hour <= 23
            or any(type(flag) is not int or flag not in (0, 1) for flag in flags)
            or type(note.window) is not int
            or not (note.path is None or _is_page_key(note.path))
            or not isinstance(note.facts, dict)
            or not all(_is_value(k) and _is_value(v) for k, v in note.facts.items())
        ):
            raise BadNoteError(f"not a hit note: {text[:200]!r}")
        return note


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


@dataclass(frozen=True)
class NotedHit:
    """A hit as a stream record brings it: its site, note, and place in its lane."""

    site: str
    note: HitNote
    lane: str  # the item it rode on: "d{yyyy-mm-dd}" (a direct day item) or "l{n}" (a lane)
    sequence: int

    @property
    def buffered(self) -> bool:
        """A high-traffic hit: its day counters are the aggregator's to add."""
        return self.lane.startswith("l")


_LANE_PK = re.compile(r"^LANE#([a-z0-9][a-z0-9-]{0,62})#([0-9]{1,4})$")
_DAY_PK = re.compile(r"^SITE#([a-z0-9][a-z0-9-]{0,62})$")
_DAY_SK = re.compile(r"^DAY#([0-9]{4}-[0-9]{2}-[0-9]{2})$")


def noted_hit(
    keys: Mapping[str, Any],
    new: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    sequence_number: str,
) -> NotedHit | None:
    """The hit a stream record is, or None for a write that is no hit; `BadNoteError` if bad.

    Images and keys as Powertools' DynamoDBRecord deserialises them (plain values).
    """
    note_text = (new or {}).get("h")
    if not isinstance(note_text, str):
        return None
    if (old or {}).get("h") == note_text:
        return None  # another write (a seal) kept the last hit's note
    note = HitNote.decode(note_text)
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    lane_match, day_pk, day_sk = _LANE_PK.match(pk), _DAY_PK.match(pk), _DAY_SK.match(sk)
    if lane_match:
        site, lane = lane_match.group(1), f"l{lane_match.group(2)}"
    elif day_pk and day_sk:
        site, lane = day_pk.group(1), f"d{day_sk.group(1)}"
    else:
        raise BadNoteError(f"a note on an item that takes none: {pk[:80]!r}")
    if not sequence_number.isdigit() or len(sequence_number) > 38:
        raise BadNoteError(f"not a sequence number DynamoDB can compare: {sequence_number[:50]!r}")
    return NotedHit(site, note, lane, int(sequence_number))


def guard_of(hits: Iterable[NotedHit], tag: str = "") -> Guard:
    """The lanes a set of hits came by, each with its first and last sequence number.

    `tag` names the lanes apart where one item takes a lane's hits in several
    writes of one batch (a day item also takes the hits of a sealed day before it).
    """
    ranges: dict[str, tuple[int, int]] = {}
    for hit in hits:
        lane = hit.lane + tag
        first, last = ranges.get(lane, (hit.sequence, hit.sequence))
        ranges[lane] = (min(first, hit.sequence), max(last, hit.sequence))
    return Guard(ranges)


def after(hits: list[NotedHit], upto: Mapping[str, int], tag: str = "") -> list[NotedHit]:
    """The hits an item has not added yet, given how far it added each lane."""
    return [hit for hit in hits if hit.sequence > upto.get(hit.lane + tag, -1)]


def increment_of(hits: Iterable[NotedHit]) -> Increment:
    """What a set of high-traffic hits adds to their day item."""
    counts: dict[Metric, int] = {"visits": 0, "pageviews": 0}
    windows: dict[int, tuple[int, int]] = {}
    for hit in hits:
        note = hit.note
        counts["visits"] += note.visits
        counts["pageviews"] += note.pageviews
        a, b = windows.get(note.window, (0, 0))
        windows[note.window] = (a + note.first_in_window, b + note.new_since_previous)
    return Increment(counts=counts, windows=windows)


def by_day(hits: Iterable[NotedHit]) -> dict[tuple[str, date], list[NotedHit]]:
    """High-traffic hits per (site, day), oldest day first (rollover goes forward)."""
    groups: dict[tuple[str, date], list[NotedHit]] = {}
    for hit in hits:
        if hit.buffered and hit.note.pageviews:
            groups.setdefault((hit.site, hit.note.day), []).append(hit)
    return dict(sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])))


ReportKey = tuple[str, str, date]  # site, dimension, day


def report_values(note: HitNote) -> dict[str, str]:
    """The value of each report dimension one hit counts under."""
    values = dict(note.facts)
    if note.pageviews:
        values["hour"] = f"{note.hour:02d}"
        if note.path is not None:
            values["page"] = note.path
    return values


def by_report(hits: Iterable[NotedHit]) -> dict[ReportKey, dict[str, list[NotedHit]]]:
    """Hits per report item: (site, dimension, day) -> value -> hits."""
    groups: dict[ReportKey, dict[str, list[NotedHit]]] = {}
    for hit in hits:
        for dimension, value in report_values(hit.note).items():
            values = groups.setdefault((hit.site, dimension, hit.note.day), {})
            values.setdefault(value, []).append(hit)
    return groups


def totals(hits: Iterable[NotedHit]) -> tuple[int, int]:
    """(visits, page views) of some hits; a bot's note counts as one page view (a hit seen)."""
    visits = pageviews = 0
    for hit in hits:
        visits += hit.note.visits
        pageviews += hit.note.pageviews or 1
    return visits, pageviews


def value_cap(dimension: str) -> int:
    return MAX_PAGES_PER_DAY if dimension == "page" else MAX_VALUES_PER_DAY
