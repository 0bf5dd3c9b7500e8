"""The buffered (high-traffic) mode: hits queued by the hit function, added in batches.

A site in mode "buffered" does not write its day item on every hit: one item
takes at most ~1,000 writes a second. The hit function still records the
visitor (a per-visitor item, never a hot key, and what decides whether the
hit is a new visit), then queues one message per counted hit. The aggregator
sums a batch per (site, day, online window) and adds each sum of up to 99
hits with one transaction that also marks each hit counted (see
`counters.storage`, hit markers), so the day item takes one write per 99 hits
instead of one per hit, and no hit is added twice however SQS redelivers it.
Hits that carry a path are then added to their page items the same way: one
transaction per path and up to 99 hits, with a page marker per hit.

Pure logic here, except `HitQueue`, the one place that sends to SQS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from counters.pages import MAX_PATH_BYTES
from counters.storage import Increment

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MESSAGE_VERSION = 1
_SITE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_HIT_ID = re.compile(r"^[0-9a-f]{32}$")


class PoisonedMessageError(ValueError):
    """A queued message that is not a buffered hit; it is reported, never counted."""


@dataclass(frozen=True)
class BufferedHit:
    """One counted hit, as the hit function queues it."""

    id: str  # random per hit: a message sent twice (SendMessage retried) counts once per batch
    site: str
    day: date  # the site's local date when the hit arrived
    visits: int  # 1 for a new visit, else 0
    window: int  # the online window (see counters.visitors)
    first_in_window: int
    new_since_previous: int
    path: str | None = None  # for per-page counts

    def encode(self) -> str:
        return json.dumps(
            {
                "v": MESSAGE_VERSION,
                "id": self.id,
                "site": self.site,
                "day": self.day.isoformat(),
                "visits": self.visits,
                "window": self.window,
                "fiw": self.first_in_window,
                "nsp": self.new_since_previous,
                "path": self.path,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, body: str) -> BufferedHit:
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or data.get("v") != MESSAGE_VERSION:
                raise PoisonedMessageError("not a buffered hit (version 1)")
            hit = cls(
                id=data["id"],
                site=data["site"],
                day=date.fromisoformat(data["day"]),
                visits=data["visits"],
                window=data["window"],
                first_in_window=data["fiw"],
                new_since_previous=data["nsp"],
                path=data.get("path"),
            )
        except (ValueError, KeyError, TypeError) as bad:
            raise PoisonedMessageError(f"not a buffered hit: {bad}") from bad
        flags = (hit.visits, hit.first_in_window, hit.new_since_previous)
        if (
            not isinstance(hit.id, str)
            or not _HIT_ID.match(hit.id)
            or not isinstance(hit.site, str)
            or not _SITE.match(hit.site)
            or any(type(flag) is not int or flag not in (0, 1) for flag in flags)
            or type(hit.window) is not int
            or not (hit.path is None or _is_page_key(hit.path))
        ):
            raise PoisonedMessageError(f"not a buffered hit: {body[:200]!r}")
        return hit


def _is_page_key(path: object) -> bool:
    """Whether a path can be a page item's key (else the aggregator would fail on it forever)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return False
    try:
        return len(path.encode()) <= MAX_PATH_BYTES
    except UnicodeEncodeError:  # a lone surrogate, which JSON allows
        return False


GroupKey = tuple[str, date, int]  # site, day, online window


@dataclass
class Group:
    """The hits of one batch that land on one day item, each once."""

    site: str
    day: date
    window: int
    hits: dict[str, BufferedHit] = field(default_factory=dict)

    def add(self, hit: BufferedHit) -> None:
        # The same hit delivered twice in one batch is kept once.
        self.hits.setdefault(hit.id, hit)

    def chunks(self, size: int) -> list[list[BufferedHit]]:
        """The hits in chunks of at most `size` (one transaction each)."""
        return _chunked(list(self.hits.values()), size)

    def page_chunks(self, size: int) -> list[tuple[str, list[BufferedHit]]]:
        """The hits that carry a path, per path, in chunks of at most `size`."""
        per_path: dict[str, list[BufferedHit]] = {}
        for hit in self.hits.values():
            if hit.path:
                per_path.setdefault(hit.path, []).append(hit)
        return [(path, chunk) for path, hits in per_path.items() for chunk in _chunked(hits, size)]


def _chunked(hits: list[BufferedHit], size: int) -> list[list[BufferedHit]]:
    return [hits[start : start + size] for start in range(0, len(hits), size)]


def increment_of(hits: Iterable[BufferedHit], window: int) -> Increment:
    """What a set of hits of one online window adds to their day item."""
    visits = pageviews = first_in_window = new_since_previous = 0
    for hit in hits:
        pageviews += 1
        visits += hit.visits
        first_in_window += hit.first_in_window
        new_since_previous += hit.new_since_previous
    return Increment(
        counts={"visits": visits, "pageviews": pageviews},
        window=window,
        first_in_window=first_in_window,
        new_since_previous=new_since_previous,
    )


def aggregate(hits: Iterable[BufferedHit]) -> dict[GroupKey, Group]:
    """Sums hits per (site, day, window); oldest day first, so rollover stays in order."""
    groups: dict[GroupKey, Group] = {}
    for hit in hits:
        key = (hit.site, hit.day, hit.window)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(site=hit.site, day=hit.day, window=hit.window)
        group.add(hit)
    return dict(sorted(groups.items(), key=lambda item: (item[0][1], item[0][2], item[0][0])))


class HitQueue:
    """Sends buffered hits to the queue; the SQS client is made on first use."""

    def __init__(self, queue_url: str, client: SQSClient | Any = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> SQSClient | Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "sqs",
                config=Config(
                    retries={"mode": "standard", "max_attempts": 3},
                    connect_timeout=1.0,
                    read_timeout=2.0,
                ),
            )
        return self._client

    def send(self, hit: BufferedHit) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=hit.encode())
