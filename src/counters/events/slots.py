"""Where a visitor item remembers the event names of its visit: 8 slots.

An event's one write also marks its name's slot on the visitor item (`ev{slot}`: the
name's tag; `es{slot}`: the visit it was in, a copy of the item's `vs`, the visit's
start). The aggregator reads the old image: an event is the first of its name in its
visit unless its slot already holds its tag *and* the current visit. Slots, not one
attribute per name, so that no client can grow the item (and so the WRU of every later
hit of that visitor) with many names; two names sharing a slot in one visit may each
count that visit again (8 slots: names of one site's tracker rarely collide, and the
slot is chosen by a hash, not by the client).
"""

from __future__ import annotations

import hashlib

EVENT_SLOTS = 8


def event_slot(name: str) -> tuple[int, str]:
    """The slot of an event name, and the tag its slot holds for it."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return int(digest[:8], 16) % EVENT_SLOTS, digest[8:16]
