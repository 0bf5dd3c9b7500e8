"""A shard's hits held across a tumbling window, so that the archive writes one object per
window and (site, local date) instead of one per batch.

S3 bills each PUT, and a small portal's five-minute batch holds a few dozen hits. Lambda
passes a tumbling window's `state` from one invocation of a shard to the next (1 MB at
most; past that it ends the window early) and ends the window with a final invocation,
retried with the same state until it succeeds while the shard waits. So the archive
keeps the batch's hits in the state, and writes them:

- at the window's end (the final invocation, or a window terminated early): all of them;
- when the state would pass `STATE_LIMIT` (well under Lambda's 1 MB: the event's other
  fields and JSON's overhead in Lambda's own encoding): the largest (site, date) groups
  until the rest fits, so a busy site's notes never push a quiet one's out early.

Which hits are written when depends on the state and the batch only, so an invocation
retried with the same state and batch writes the same objects under the same keys (an
overwrite). A hit already held is not held twice (a batch delivered again in the same
window); one delivered again after its object was written lands in a second object, and
readers keep one row per token (`counters.archive.reader`).

The state holds each hit as `[site, shard, sequence, note]`: the note's own JSON object
(`HitNote.encode`, a few hundred bytes; no visitor key, as notes hold none) and the
sequence number as a string (40 digits: more than a JSON number keeps exactly in most
decoders).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from counters.aggregation.batches import NotedHit
from counters.aggregation.notes import HitNote

STATE_VERSION = 1
STATE_LIMIT = 700_000  # bytes of the state's JSON (Lambda's limit: 1 MB a shard)
_OVERHEAD = 64  # the state's own keys and brackets


class StateError(ValueError):
    """A window state this code did not write (it never drops one: the shard waits)."""


@dataclass
class _Held:
    """A held hit: its entry as the state holds it, and the hit, decoded only to be written
    (a state is read on every invocation; its notes are decoded once, at the window's end)."""

    entry: list[Any]
    size: int  # bytes of the entry in the state's JSON, with its comma
    site: str
    day: str  # the note's local date, ISO: it orders as the date does
    shard: str
    sequence: int
    hit: NotedHit | None = None

    def decoded(self) -> NotedHit:
        if self.hit is None:
            self.hit = _hit(self.entry)
        return self.hit


def _measured(entry: list[Any], hit: NotedHit | None = None) -> _Held:
    text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
    site, shard, sequence, note = entry
    return _Held(entry, len(text.encode()) + 1, site, note["d"], shard, int(sequence), hit)


def _held(hit: NotedHit) -> _Held:
    return _measured([hit.site, hit.shard, str(hit.sequence), json.loads(hit.note.encode())], hit)


def _read(entry: Any) -> _Held:
    """A state's entry, its shape checked (its note is checked when it is decoded)."""
    try:
        site, shard, sequence, note = entry
        day = note["d"]
        date.fromisoformat(day)
    except (TypeError, ValueError, KeyError) as bad:
        raise StateError(f"not a held hit: {str(entry)[:200]}") from bad
    texts = (site, shard, sequence, day)
    if not all(isinstance(text, str) for text in texts) or not sequence.isdigit():
        raise StateError(f"not a held hit: {str(entry)[:200]}")
    return _measured(entry)


def _hit(entry: list[Any]) -> NotedHit:
    site, shard, sequence, note = entry
    try:
        text = json.dumps(note, separators=(",", ":"), ensure_ascii=False)
        return NotedHit(site, HitNote.decode(text), shard, int(sequence), buffered=False)
    except ValueError as bad:  # BadNoteError is a ValueError
        raise StateError(f"not a held hit: {str(entry)[:200]}") from bad


class WindowBuffer:
    """The hits a shard's window holds, and which of them are due to be written."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = STATE_LIMIT if limit is None else limit
        self._held: dict[tuple[str, int], _Held] = {}

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None, limit: int | None = None) -> WindowBuffer:
        """The buffer a window's state holds (an empty state: a window's first invocation)."""
        buffer = cls(limit)
        if not state:
            return buffer
        if state.get("v") != STATE_VERSION or not isinstance(state.get("hits"), list):
            raise StateError(f"not an archive window state: {str(state)[:200]}")
        for entry in state["hits"]:
            held = _read(entry)
            buffer._held.setdefault((held.shard, held.sequence), held)
        return buffer

    def add(self, hits: Iterable[NotedHit]) -> None:
        for hit in hits:
            self._held.setdefault((hit.shard, hit.sequence), _held(hit))

    def __len__(self) -> int:
        return len(self._held)

    @property
    def size(self) -> int:
        """Bytes of the state's JSON, about (each entry measured as it is written)."""
        return _OVERHEAD + sum(held.size for held in self._held.values())

    def due(self, window_ends: bool) -> list[list[NotedHit]]:
        """The groups (one object each) to write now, taken out of the buffer: every group
        when the window ends, else the largest until what is left fits the limit."""
        groups = self._groups()
        if window_ends:
            chosen = sorted(groups)
        else:
            chosen, size = [], self.size
            largest = sorted(groups, key=lambda key: (-sum(h.size for h in groups[key]), key))
            for key in largest:
                if size <= self.limit:
                    break
                chosen.append(key)
                size -= sum(held.size for held in groups[key])
        due = [[held.decoded() for held in groups[key]] for key in chosen]
        for key in chosen:
            for held in groups[key]:
                del self._held[(held.shard, held.sequence)]
        return due

    def _groups(self) -> dict[tuple[str, str, str], list[_Held]]:
        """Held hits per (site, local date, shard), each in stream order."""
        groups: dict[tuple[str, str, str], list[_Held]] = {}
        for _, held in sorted(self._held.items()):
            groups.setdefault((held.site, held.day, held.shard), []).append(held)
        return groups

    def state(self) -> dict[str, Any]:
        """The window's state for Lambda to pass on: the held hits in stream order."""
        entries = [held.entry for _, held in sorted(self._held.items())]
        return {"v": STATE_VERSION, "hits": entries}
