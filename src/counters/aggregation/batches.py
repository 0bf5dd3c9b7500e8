"""The aggregation path, pure part: hit notes, and what a stream batch adds to which item.

Every counted hit writes one item its answer needs anyway and sets on it a
*note*: a short JSON of what the hit was (day, hour, visit or not, online
window, path, breakdown facts). A direct site's note rides on its day item; a
high-traffic site's on the visitor item (its only write), or, for a hit with
no visitor item of its own (a bot, a capped address), on one of the site's
lane items. DynamoDB Streams carries each write's new and old image to the
aggregators (`counters.aggregation.aggregator`), which add, per stream batch:

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
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from counters.aggregation.images import visitor_note
from counters.aggregation.notes import BadNoteError, HitNote
from counters.counting.engagement import engagement_page
from counters.counting.figures import Metric
from counters.storage import Guard, Increment
from counters.storage.updates import SEQUENCE_DIGITS

# Reports: at most this many distinct values per dimension and day; the rest are "(other)".
OTHER = "(other)"
MAX_VALUES_PER_DAY = 500
MAX_PAGES_PER_DAY = 2000


@dataclass(frozen=True)
class NotedHit:
    """A hit as a stream record brings it: its site, note, and place in its shard."""

    site: str
    note: HitNote
    shard: str  # "s{hash of the shard id}" ("s" without one, see the module)
    sequence: int
    buffered: bool  # a high-traffic hit: its day counters are the aggregator's to add


_LANE_PK = re.compile(r"^LANE#([a-z0-9][a-z0-9-]{0,62})#[0-9]{1,4}$")
_VISITOR_PK = re.compile(r"^VISITOR#([a-z0-9][a-z0-9-]{0,62})#([A-Za-z0-9_-]{1,64})$")
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
    note_text = _new_note(new or {}, old or {})
    if note_text is None:
        return None  # no note, or another write (a seal) kept the last one
    note = HitNote.decode(note_text)
    pk = str(keys.get("pk", ""))
    site, kind = _source(pk, str(keys.get("sk", "")))
    buffered = kind != "day"
    if kind == "visitor":
        visitor = pk.rsplit("#", 1)[1]  # its visits' ids are keyed by it
        note, buffered = visitor_note(note, old or {}, new or {}, visitor)
    shard, sequence = _place(shard_id, sequence_number)
    return NotedHit(site, note, shard, sequence, buffered=buffered)


def _new_note(new: Mapping[str, Any], old: Mapping[str, Any]) -> str | None:
    """The note a write set: a hit's (`h`) or an event's (`he`, beside the visitor's last hit's
    note, which engagement reads its last page off); None if it set none."""
    for attr in ("h", "he"):
        text = new.get(attr)
        if isinstance(text, str) and old.get(attr) != text:
            return text
    return None


def _place(shard_id: str | None, sequence_number: str) -> tuple[str, int]:
    """A record's shard name and sequence number, checked."""
    # DynamoDB Streams' sequence numbers have 21 to 40 digits.
    digits = sequence_number.isascii() and sequence_number.isdigit()
    if not digits or len(sequence_number) > SEQUENCE_DIGITS:
        raise BadNoteError(f"not a sequence number: {sequence_number[:50]!r}")
    if shard_id is None:
        return "s", int(sequence_number)
    if not 0 < len(shard_id) <= _MAX_SHARD_ID:
        raise BadNoteError(f"not a shard id: {shard_id[:80]!r}")
    return shard_name(shard_id), int(sequence_number)


def _source(pk: str, sk: str) -> tuple[str, str]:
    """The site and kind ("day", "visitor", "lane") of an item that takes notes."""
    for kind, pattern in (("lane", _LANE_PK), ("visitor", _VISITOR_PK)):
        found = pattern.match(pk)
        if found:
            return found.group(1), kind
    day = _DAY_PK.match(pk)
    if day and _DAY_SK.match(sk):
        return day.group(1), "day"
    raise BadNoteError(f"a note on an item that takes none: {pk[:80]!r}")


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
    engagement = {"bounces": 0, "duration_ms": 0}
    for hit in hits:
        note = hit.note
        engagement["bounces"] += note.bounces
        if note.event:
            continue  # an event adds no visit, page view nor sighting: only its bounce
        counts["visits"] += note.visits
        counts["pageviews"] += note.pageviews
        a, b = windows.get(note.window, (0, 0))
        windows[note.window] = (a + note.first_in_window, b + note.new_since_previous)
        engagement["duration_ms"] += note.duration_ms
    return Increment(counts=counts, windows=windows, engagement=engagement)


def by_day(hits: Iterable[NotedHit]) -> dict[tuple[str, date, bool], list[NotedHit]]:
    """High-traffic hits, and events that end a bounce, per (site, day, whether on a
    high-traffic site), oldest day first (rollover goes forward)."""
    groups: dict[tuple[str, date, bool], list[NotedHit]] = {}
    for hit in hits:
        if (hit.buffered and hit.note.pageviews) or (hit.note.event and hit.note.bounces):
            groups.setdefault((hit.site, hit.note.day, hit.buffered), []).append(hit)
    return dict(sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])))


ReportKey = tuple[str, str, date]  # site, dimension, day


def report_values(note: HitNote) -> list[tuple[str, str]]:
    """The report dimensions one hit counts under, each with its value (an event's
    properties are several values of one dimension: facts `property#0`, `property#1`...)."""
    values = [(dimension.partition("#")[0], value) for dimension, value in note.facts.items()]
    if note.pageviews:
        values.append(("hour", f"{note.hour:02d}"))
        if note.path is not None:
            values.append(("page", note.path))
    return values


def _visits_under(note: HitNote, dimension: str, value: str) -> int:
    """An event's visit (the first of its name in the visit) counts under its name and its
    goals only: a file or a property has no visits of its own. A page view's goal counts
    the visit it reached first (`goal_visits`), its other dimensions the visit it began."""
    if dimension == "goal" and not note.event:
        return int(value in note.goal_visits)
    return note.visits if not note.event or dimension in ("event", "goal") else 0


# What a hit adds to one report item: attribute -> amount (see counters.storage.keys).
Part = tuple[NotedHit, Mapping[str, int]]


def report_parts(note: HitNote) -> dict[tuple[str, str], dict[str, int]]:
    """What one hit adds to which report item: (dimension, value) -> attribute -> amount.

    Every item it counts under takes its visit and page view (a bot's note counts as one
    page view: a hit seen). A hit of a visit also moves its visit's exit page (`x`) from
    the page before it to its own, and changes its visit's entry page's entries (`ev`),
    bounces (`eb`) and duration (`ed`, ms): on the page items (see the note's fields).
    """
    parts = {
        (dimension, value): {"v": _visits_under(note, dimension, value), "p": note.pageviews or 1}
        for dimension, value in report_values(note)
    }
    if note.event and note.bounces and note.entry is not None:
        # An interactive event that ended its visit's bounce: its entry page's bounces.
        parts.setdefault(("page", note.entry), {"v": 0, "p": 0})["eb"] = note.bounces
    if note.in_visit:
        own = engagement_page(note.path)
        changes = (
            (own, {"x": 1}),
            (note.left, {"x": -1}),
            (note.entry, {"ev": note.visits, "eb": note.bounces, "ed": note.duration_ms}),
        )
        for page, change in changes:
            if page is not None:
                part = parts.setdefault(("page", page), {"v": 0, "p": 0})
                for attr, amount in change.items():
                    part[attr] = part.get(attr, 0) + amount
    return parts


def by_report(hits: Iterable[NotedHit]) -> dict[ReportKey, dict[str, list[Part]]]:
    """What hits add per report item: (site, dimension, day) -> value -> parts."""
    groups: dict[ReportKey, dict[str, list[Part]]] = {}
    for hit in hits:
        for (dimension, value), counts in report_parts(hit.note).items():
            values = groups.setdefault((hit.site, dimension, hit.note.day), {})
            values.setdefault(value, []).append((hit, counts))
    return groups


def totals(parts: Iterable[Part]) -> dict[str, int]:
    """What some parts add to their item, per attribute (visits and page views always)."""
    summed = {"v": 0, "p": 0}
    for _, counts in parts:
        for attr, amount in counts.items():
            summed[attr] = summed.get(attr, 0) + amount
    return summed


def value_cap(dimension: str) -> int:
    return MAX_PAGES_PER_DAY if dimension == "page" else MAX_VALUES_PER_DAY
