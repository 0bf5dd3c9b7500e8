"""Guarded, additive UpdateExpressions: what day and report items share.

An `Increment` is what one write adds to a day item; a `Guard` makes an
aggregator's write conditional on its stream records being new to the item
(see `counters.aggregation.batches`); `UpdateExpression` builds the SET / ADD / REMOVE
text with its values and names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from counters.counting.figures import Metric
from counters.storage.keys import watermark_attr
from counters.storage.table import Item, n

# Attribute prefix of each metric on a day item.
METRIC_ATTR: dict[Metric, str] = {"visits": "v", "pageviews": "p"}
# ...and of the engagement figures (no bases: read over ranges only, see counters.reports).
ENGAGEMENT_ATTR: dict[str, str] = {"bounces": "bn", "duration_ms": "du"}
# A stream record's sequence number has up to 40 digits (DynamoDB Streams' API), more
# than a DynamoDB number holds exactly (38): a mark is a string of 40 digits, zero-padded,
# so that DynamoDB's order of strings is the numbers' order.
SEQUENCE_DIGITS = 40

# Online tallies older than the window before the current one are dropped as hits
# come in, so that a day item stays well under 1 KB (one write unit per hit).
STALE_WINDOWS = (2, 3, 4)


@dataclass(frozen=True)
class Increment:
    """What one write adds to a day item: counts, and online tallies per 5-minute window.

    `windows` maps a window to (first_in_window, new_since_previous) (see counters.counting.visits).
    """

    counts: Mapping[Metric, int]
    windows: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    # Engagement: the day's bounces (`bn`) and visit duration in ms (`du`), as deltas.
    engagement: Mapping[str, int] = field(default_factory=dict)

    @property
    def latest_window(self) -> int | None:
        return max(self.windows) if self.windows else None


@dataclass(frozen=True)
class Guard:
    """A stream batch's contribution to an item: added only if the item has not seen it.

    Stream records of one shard arrive in order (see `counters.aggregation.batches`). An item
    written by an aggregator keeps, per shard, the last sequence number it added
    (`w_{shard}`); `ranges` maps each shard of the batch to its (first, last) sequence
    numbers, and the write is refused if any shard's first is not new.
    """

    ranges: Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class AddedBefore:
    """A guarded write refused: how far the item had added each shard (the caller resends the rest)."""

    upto: Mapping[str, int]


def mark(sequence: int) -> str:
    """A sequence number as a mark stores it."""
    return f"{sequence:0{SEQUENCE_DIGITS}d}"


def _sequence(attr: Mapping[str, str]) -> int:
    return int(attr["S"])


def watermarks(item: Item) -> dict[str, int]:
    """How far an item has added each shard."""
    return {
        name.removeprefix("w_"): _sequence(value)
        for name, value in item.items()
        if name.startswith("w_")
    }


def added_before(guard: Guard, old: Item) -> AddedBefore | None:
    """What a refused guarded write's old item says it had added, if the guard is why."""
    upto = {}
    for shard, (first, _) in guard.ranges.items():
        attr = old.get(watermark_attr(shard))
        if attr is not None and _sequence(attr) >= first:
            upto[shard] = _sequence(attr)
    return AddedBefore(upto) if upto else None


def _window_tallies(increment: Increment) -> list[tuple[str, int]]:
    """The online tallies an increment adds to: (attribute, amount)."""
    return [
        (attr, amount)
        for w, (first_in_window, new_since_previous) in increment.windows.items()
        for attr, amount in ((f"oa{w}", first_in_window), (f"ob{w}", new_since_previous))
    ]


class UpdateExpression:
    """Builds one UpdateExpression: SET ..., ADD ..., REMOVE ..."""

    def __init__(self) -> None:
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.removes: list[str] = []
        self.values: Item = {}
        self.names: dict[str, str] = {}

    def value(self, value: Any) -> str:
        name = f":v{len(self.values)}"
        self.values[name] = n(value) if isinstance(value, int) else {"S": value}
        return name

    def set_if_absent(self, attr: str, value: int, plus: int = 0) -> None:
        initial = f"if_not_exists({attr}, {self.value(value)})"
        self.sets.append(
            f"{attr} = {initial} + {self.value(plus)}" if plus else f"{attr} = {initial}"
        )

    def increment(self, increment: Increment, carried: frozenset[str] = frozenset()) -> None:
        for metric, amount in increment.counts.items():
            if amount:
                self.adds.append(f"{METRIC_ATTR[metric]} {self.value(amount)}")
        # Engagement even when it adds 0 (a batch whose bounce deltas cancel out): a day item
        # without `bn` reads as a day counted before engagement existed (unknown, not 0).
        for attr, amount in increment.engagement.items():
            self.adds.append(f"{ENGAGEMENT_ATTR[attr]} {self.value(amount)}")
        touched = set(carried)
        for attr, amount in _window_tallies(increment):
            touched.add(attr)
            if amount and attr not in carried:
                self.adds.append(f"{attr} {self.value(amount)}")
        self._drop_stale_windows(increment.latest_window, touched)

    def _drop_stale_windows(self, latest: int | None, touched: set[str]) -> None:
        if latest is None:
            return
        stale = [f"{kind}{latest - age}" for age in STALE_WINDOWS for kind in ("oa", "ob")]
        self.removes += [attr for attr in stale if attr not in touched]

    def guard(self, guard: Guard) -> str:
        conditions = []
        for index, (shard, (first, last)) in enumerate(sorted(guard.ranges.items())):
            name = f"#w{index}"
            self.names[name] = watermark_attr(shard)
            self.sets.append(f"{name} = {self.value(mark(last))}")
            conditions.append(
                f"(attribute_not_exists({name}) OR {name} < {self.value(mark(first))})"
            )
        return " AND ".join(conditions)

    def text(self) -> str:
        clauses = [("SET", self.sets), ("ADD", self.adds), ("REMOVE", self.removes)]
        return " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses if parts)

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {"UpdateExpression": self.text()}
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        return request
