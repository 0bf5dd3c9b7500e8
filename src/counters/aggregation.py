"""The aggregation path, pure part: hit notes, and what a stream batch adds to which item.

Every counted hit writes one item its answer needs anyway and sets on it a
*note*: a short JSON of what the hit was (day, hour, visit or not, online
window, path, breakdown facts). A direct site's note rides on its day item; a
high-traffic site's on the visitor item (its only write), or, for a hit with
no visitor item of its own (a bot, a capped address), on one of the site's
lane items. DynamoDB Streams carries each write's new and old image to the
aggregators (`counters.aggregator`), which add, per stream batch:

- page and breakdown counts (reports) of every hit;
- a high-traffic site's day counters (figures lag by the batching window).

A stream record is a hit when its new image holds a note whose token differs
from the old image's: writes that are not hits (sealing a day, undoing a
visitor) keep or drop the note and add nothing. A note on a visitor item
leaves its visit and online flags to the aggregator, which reads them off the
old and new `seen` (so the write needs no answer first).

Exactly once: one shard's records arrive in order, and Lambda's tumbling-window
events name the shard, and each item an aggregator writes keeps the last
sequence number it added per shard (`Guard`): a batch
delivered again, whole or in part, adds nothing twice. An event without a shard
id (one written by hand, or a mapping without a tumbling window) is taken as
from one unnamed shard: exact only while the stream has one shard.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from counters.pages import MAX_PATH_BYTES
from counters.rollover import Metric
from counters.storage import Guard, Increment
from counters.visitors import sighting

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
    # On a visitor item: the site's visit timeout, and the flags are the aggregator's to read
    # off the visitor's old and new `seen` (see `flags_from_sighting`).
    visit_timeout: int | None = None

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
            or not (note.visit_timeout is None or type(note.visit_timeout) is int)
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
    """A hit as a stream record brings it: its site, note, and place in its shard."""

    site: str
    note: HitNote
    shard: str  # "s{hash of the shard id}" ("s" without one, see the module)
    sequence: int
    buffered: bool  # a high-traffic hit: its day counters are the aggregator's to add


_LANE_PK = re.compile(r"^LANE#([a-z0-9][a-z0-9-]{0,62})#[0-9]{1,4}$")
_VISITOR_PK = re.compile(r"^VISITOR#([a-z0-9][a-z0-9-]{0,62})#[A-Za-z0-9_-]{1,64}$")
_DAY_PK = re.compile(r"^SITE#([a-z0-9][a-z0-9-]{0,62})$")
_DAY_SK = re.compile(r"^DAY#[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MAX_SHARD_ID = 65  # Lambda's and DynamoDB's shard ids are 28 to 65 characters


def shard_name(shard_id: str) -> str:
    """A shard's short name: every item an aggregator writes keeps a mark per shard."""
    return "s" + hashlib.sha256(shard_id.encode()).hexdigest()[:12]


def noted_hit(
    keys: Mapping[str, Any],
    new: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    sequence_number: str,
    shard_id: str | None = None,
) -> NotedHit | None:
    """The hit a stream record is, or None for a write that is no hit; `BadNoteError` if bad.

    Images and keys as Powertools' DynamoDBRecord deserialises them (plain values);
    `shard_id` as a tumbling-window event names it.
    """
    note_text = (new or {}).get("h")
    if not isinstance(note_text, str):
        return None
    if (old or {}).get("h") == note_text:
        return None  # another write (a seal) kept the last hit's note
    note = HitNote.decode(note_text)
    pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
    lane_match, visitor_match = _LANE_PK.match(pk), _VISITOR_PK.match(pk)
    day_pk, day_sk = _DAY_PK.match(pk), _DAY_SK.match(sk)
    if lane_match:
        site, buffered = lane_match.group(1), True
    elif visitor_match:
        site, buffered = visitor_match.group(1), True
        note = flags_from_sighting(note, (old or {}).get("seen"), (new or {}).get("seen"))
    elif day_pk and day_sk:
        site, buffered = day_pk.group(1), False
    else:
        raise BadNoteError(f"a note on an item that takes none: {pk[:80]!r}")
    if not sequence_number.isdigit() or len(sequence_number) > 38:
        raise BadNoteError(f"not a sequence number DynamoDB can compare: {sequence_number[:50]!r}")
    if shard_id is not None and not 0 < len(shard_id) <= _MAX_SHARD_ID:
        raise BadNoteError(f"not a shard id: {shard_id[:80]!r}")
    shard = shard_name(shard_id) if shard_id else "s"
    return NotedHit(site, note, shard, int(sequence_number), buffered)


def flags_from_sighting(note: HitNote, old_seen: Any, new_seen: Any) -> HitNote:
    """A visitor item's note with its visit and online flags, read off the write's images.

    One visitor's writes are in order in the stream, and each record's old image is
    exactly the write before it: the same flags the hit's own answer computed.
    """
    if note.visit_timeout is None or not _is_instant(new_seen):
        raise BadNoteError("a visitor's note without its visit timeout or sighting")
    last_seen = float(old_seen) if _is_instant(old_seen) else None
    seen = sighting(last_seen, float(new_seen), note.visit_timeout)
    return replace(
        note,
        visits=int(seen.new_visit) if note.pageviews else 0,
        window=seen.window,
        first_in_window=seen.first_in_window,
        new_since_previous=seen.new_since_previous,
    )


def _is_instant(value: Any) -> bool:
    try:
        return value is not None and 0 < float(value) < 1e11
    except (TypeError, ValueError):
        return False


def guard_of(hits: Iterable[NotedHit], tag: str = "") -> Guard:
    """The shards a set of hits came by, each with its first and last sequence number.

    `tag` names the shards apart where one item takes a shard's hits in several
    writes of one batch (a day item also takes the hits of a sealed day before it).
    """
    ranges: dict[str, tuple[int, int]] = {}
    for hit in hits:
        shard = hit.shard + tag
        first, last = ranges.get(shard, (hit.sequence, hit.sequence))
        ranges[shard] = (min(first, hit.sequence), max(last, hit.sequence))
    return Guard(ranges)


def after(hits: list[NotedHit], upto: Mapping[str, int], tag: str = "") -> list[NotedHit]:
    """The hits an item has not added yet, given how far it added each shard."""
    return [hit for hit in hits if hit.sequence > upto.get(hit.shard + tag, -1)]


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
