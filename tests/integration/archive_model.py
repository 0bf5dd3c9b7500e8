"""A model of stream traffic for the archive's tests: random hits over several days, as
the stream records (day items of a direct site, visitor items of a high-traffic site)
and tumbling-window events Lambda would deliver, in batches per shard."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from counters.aggregation.notes import HitNote

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/CountersTable/stream/2026-03-01T00:00:00"
SHARDS = ("shardId-00000001772000000000-0000aaaa", "shardId-00000001772000000000-0000bbbb")
FIRST_DAY = date(2026, 3, 1)
PATHS = ("/", "/tin-tuc/a", "/tin-tuc/b", "/van-ban/1", "/lien-he")
SOURCES = ("(direct)", "Google", "Zalo", "Facebook")
BROWSERS = ("Chrome", "Firefox", "Safari")
DEVICES = ("desktop", "mobile")
TIMEOUT = 1800  # a high-traffic site's visit timeout, seconds


@dataclass
class Hit:
    """One hit as the model knows it: what its archive row must say."""

    site: str
    token: str
    day: date
    hour: int
    visit: int
    pageview: int
    path: str | None
    facts: dict[str, str]
    shard: str
    sequence: int
    record: dict[str, Any] = field(repr=False)


def _facts(rng: random.Random) -> dict[str, str]:
    facts = {
        "source": rng.choice(SOURCES),
        "browser": rng.choice(BROWSERS),
        "os": "Linux",
        "device": rng.choice(DEVICES),
        "country": rng.choice(("VN", "(unknown)")),
        "language": "vi",
    }
    if rng.random() < 0.2:
        facts["campaign"] = "spring"
    return facts


def _note(rng: random.Random, day: date, i: int, bot: bool, visit: int) -> HitNote:
    token = f"tok{i:06d}{rng.randrange(16**6):06x}"
    if bot:
        return HitNote(token, day, rng.randrange(24), 0, 0, 1, 0, 0, facts={"bot": "Googlebot"})
    return HitNote(
        token, day, rng.randrange(24), visit, 1, 1, 0, 0, path=rng.choice(PATHS), facts=_facts(rng)
    )


def _image(pk: str, sk: str, note: HitNote, seen: float | None) -> dict[str, Any]:
    image: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}, "h": {"S": note.encode()}}
    if seen is not None:
        image["seen"] = {"N": str(seen)}
    return image


def hits(seed: int, count: int, days: int = 4) -> list[Hit]:
    """`count` hits on sites `direct` (day items) and `busy` (visitor items), in stream order."""
    rng = random.Random(seed)
    sequences = dict.fromkeys(SHARDS, 10**20)
    made: list[Hit] = []
    for i in range(count):
        day = FIRST_DAY + timedelta(days=rng.randrange(days))
        shard, bot = rng.choice(SHARDS), rng.random() < 0.1
        sequences[shard] += rng.randrange(1, 1000)
        if rng.random() < 0.5:  # a direct site: the note says the visit
            site, visit = "direct", int(rng.random() < 0.4 and not bot)
            note = _note(rng, day, i, bot, visit)
            keys = {"pk": {"S": "SITE#direct"}, "sk": {"S": f"DAY#{day}"}}
            new, old = _image("SITE#direct", f"DAY#{day}", note, None), None
        else:  # a visitor item: the visit is read off the old and new `seen`
            site = "busy"
            before = rng.choice((None, 60.0, 3600.0))  # seconds since the last hit, or first
            visit = 0 if bot else int(before != 60.0)
            note = _note(rng, day, i, bot, 0)
            pk, sk, now = f"VISITOR#busy#visitor{i:06d}", str(day), 1772400000.0 + i
            if not bot:
                note = replace(note, visit_timeout=TIMEOUT)
            keys = {"pk": {"S": pk}, "sk": {"S": sk}}
            new = _image(pk, sk, note, now)
            old = None if before is None else {"seen": {"N": str(now - before)}, **keys}
            if bot:  # a bot's note rides on a lane item
                keys = {"pk": {"S": f"LANE#busy#{i % 128}"}, "sk": {"S": "NOTE"}}
                new, old = _image(f"LANE#busy#{i % 128}", "NOTE", note, None), None
        stream: dict[str, Any] = {
            "Keys": keys,
            "NewImage": new,
            "SequenceNumber": str(sequences[shard]),
            "SizeBytes": 300,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if old is not None:
            stream["OldImage"] = old
        record = {
            "eventID": f"event{i}",
            "eventName": "MODIFY",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": stream,
            "eventSourceARN": ARN,
        }
        made.append(
            Hit(site, note.token, day, note.hour, visit, note.pageviews, note.path,
                dict(note.facts), shard, sequences[shard], record)
        )  # fmt: skip
    return made


def batches(made: list[Hit], rng: random.Random) -> list[tuple[str, list[Hit]]]:
    """Each shard's hits cut into batches of 5 to 40 records, in stream order."""
    cut: list[tuple[str, list[Hit]]] = []
    for shard in SHARDS:
        mine = [hit for hit in made if hit.shard == shard]
        while mine:
            size = rng.randrange(5, 41)
            cut.append((shard, mine[:size]))
            mine = mine[size:]
    return cut


def event(
    shard: str,
    batch: list[Hit],
    state: dict[str, Any] | None = None,
    final: bool = False,
    early: bool = False,
) -> dict[str, Any]:
    """A tumbling-window event of one shard, as Lambda sends it."""
    return {
        "Records": [hit.record for hit in batch],
        "window": {"start": "2026-03-01T00:00:00Z", "end": "2026-03-01T00:15:00Z"},
        "state": state or {},
        "shardId": shard,
        "eventSourceARN": ARN,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": early,
    }


class Windows:
    """Lambda's side of a tumbling-window mapping: each shard's state passed from one
    invocation to the next, and a window ended by a final invocation (no records)."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], context: Any) -> None:
        self.handler, self.context = handler, context
        self.states: dict[str, dict[str, Any]] = {}

    def invoke(self, shard: str, batch: list[Hit], final: bool = False) -> dict[str, Any]:
        answer = self.handler(event(shard, batch, self.states.get(shard), final), self.context)
        assert answer["batchItemFailures"] == [], answer
        assert isinstance(answer["state"], dict), answer
        return dict(answer)

    def deliver(self, shard: str, batch: list[Hit]) -> None:
        self.states[shard] = self.invoke(shard, batch)["state"]

    def end(self, shard: str | None = None) -> None:
        """The final invocation of a shard's window (of every shard's, without one)."""
        for name in [shard] if shard else list(self.states):
            self.invoke(name, [], final=True)
            self.states.pop(name, None)
