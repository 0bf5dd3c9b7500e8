"""Goals and bounces with events against a brute-force model of the same requests.

Random visitors (one address each) view pages and send events (downloads, outbound
clicks, custom events, interactive or not; some reaching goals, some not) around a
local midnight, on a direct and a high-traffic site with event and page goals. The
stream's real records are fed to the aggregators in batches per shard, shards
interleaved at random, batches redelivered whole, in part, and late (after later
batches of their shard); the archive takes them too, and each day rebuilt from it must
give the same goal rows. The model below knows nothing of the code: it splits each
visitor's page views of a local day into visits by the 30-minute rule, gives an event
to the visit of the visitor's last page view that day (none before it: no visit), and
reads every figure off the visits.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from counters.archive.reader import ArchiveReader
from counters.archive.rebuild import Rebuilder
from counters.counting.service import default_service
from counters.storage.archive_bucket import archive_bucket
from tests.conftest import Api, Streams
from tests.integration.test_aggregation import DAYS, FIREFOX, REPORTS, deliver, records
from tests.integration.test_engagement import shard_of

SITES = {"direct": ("Asia/Ho_Chi_Minh", "direct"), "busy": ("America/New_York", "buffered")}
MIDNIGHT = datetime(2025, 7, 1)  # local
ARCHIVE = "handlers.archive.lambda_handler"
GOALS = [
    {"name": "Tải văn bản", "event": "download"},
    {"name": "Đăng ký", "event": "dang-ky"},
    {"name": "Dịch vụ công", "page": "/dich-vu-cong/*"},
    {"name": "Mọi dịch vụ", "page": "/dich-vu*"},  # overlaps the one above
    {"name": "Liên hệ", "page": "/lien-he"},
]
PATHS = ("/", "/tin-tuc/1", "/lien-he", "/lien-he/mau", "/dich-vu-cong/nop", "/dich-vu", "/x")
# name -> interactive: downloads and outbound clicks always are; a custom one as sent.
EVENTS = ("download", "outbound", "dang-ky", "cuon-trang")
VISITORS = 24  # per site
TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class Action:
    site: str
    ip: str
    at: datetime  # UTC, whole milliseconds
    path: str | None = None  # a page view
    event: str | None = None  # or an event
    interactive: bool = True  # as sent (a download or outbound click ends a bounce anyway)

    @property
    def ends_bounce(self) -> bool:
        return self.event is not None and (self.interactive or self.event in EVENTS[:2])


def plan(rng: random.Random) -> list[Action]:
    actions = []
    for site, (zone, _) in SITES.items():
        midnight = MIDNIGHT.replace(tzinfo=ZoneInfo(zone))
        for v in range(VISITORS):
            ip = f"198.51.{(site == 'busy') * 50}.{v + 1}"
            at = midnight + timedelta(milliseconds=rng.randrange(-60, 40) * 60_000)
            for _ in range(rng.randint(1, 6)):
                if rng.random() < 0.6:
                    actions.append(Action(site, ip, at.astimezone(UTC), path=rng.choice(PATHS)))
                else:
                    name = rng.choice(EVENTS)
                    interactive = rng.random() < 0.5
                    actions.append(Action(site, ip, at.astimezone(UTC), None, name, interactive))
                # Mostly within a visit, sometimes long enough to end it.
                gap = rng.choice((rng.randrange(1, 300), rng.randrange(1_500, 2_700)))
                at += timedelta(milliseconds=gap * 1000 + rng.randrange(1000))
    return sorted(actions, key=lambda a: a.at)


def send(api: Api, action: Action) -> None:
    with time_machine.travel(action.at, tick=False):
        if action.path is not None:
            api.hit(
                action.site,
                headers={"user-agent": FIREFOX},
                source_ip=action.ip,
                body={"path": action.path},
            )
            return
        body: dict[str, Any] = {"name": action.event, "path": "/tin-tuc/1"}
        if action.event in ("download", "outbound"):
            body["url"] = f"https://{'a' if action.event == 'outbound' else 'b'}.gov.vn/f.pdf"
        if not action.interactive:
            body["interactive"] = False
        status, answer = api.call(
            "POST",
            f"/v1/sites/{action.site}/events",
            body,
            headers={"user-agent": FIREFOX},
            source_ip=action.ip,
        )
        assert (status, answer) == (200, {"counted": True})


@dataclass
class Visit:
    entry: str
    pages: list[str] = field(default_factory=list)
    last_view: datetime | None = None
    events: list[Action] = field(default_factory=list)

    @property
    def bounce(self) -> bool:
        return len(self.pages) == 1 and not any(e.ends_bounce for e in self.events)


def matches(pattern: str, path: str) -> bool:
    if "*" not in pattern:
        return path == pattern
    head = pattern.rstrip("*")  # the goals above end with their only "*"
    return path.startswith(head)


@dataclass
class Model:
    visits: dict[tuple[str, date], list[Visit]]
    # (site, day, goal) -> [conversions, events]
    goals: dict[tuple[str, date, str], list[int]]


def model(actions: list[Action]) -> Model:
    days: dict[tuple[str, date], list[Visit]] = defaultdict(list)
    goals: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0])
    current: dict[tuple[str, str, date], Visit] = {}
    for a in actions:
        day = a.at.astimezone(ZoneInfo(SITES[a.site][0])).date()
        key = (a.site, a.ip, day)
        visit = current.get(key)
        if a.path is not None:
            assert visit is None or visit.last_view is not None
            if visit is None or a.at - visit.last_view >= TIMEOUT:  # type: ignore[operator]
                visit = current[key] = Visit(entry=a.path)
                days[(a.site, day)].append(visit)
            visit.pages.append(a.path)
            visit.last_view = a.at
            for goal in GOALS:
                if "page" in goal and matches(goal["page"], a.path):
                    goals[(a.site, day, goal["name"])][1] += 1
        else:
            for goal in GOALS:
                if goal.get("event") == a.event:
                    goals[(a.site, day, goal["name"])][1] += 1
            if visit is not None:
                visit.events.append(a)
    for (site, day), visits in days.items():
        for visit in visits:
            for goal in GOALS:
                reached = (
                    any(matches(goal["page"], p) for p in visit.pages)
                    if "page" in goal
                    else any(e.event == goal["event"] for e in visit.events)
                )
                goals[(site, day, goal["name"])][0] += reached
    return Model(days, goals)


def feed(handler: str, batch: list[dict[str, Any]], rng: random.Random) -> None:
    """Each shard's records in order, in batches of random size, shards interleaved at
    random; a batch is sometimes delivered again whole, in part, or after later ones."""
    final = handler == ARCHIVE  # each batch a window of its own: written, nothing held
    queues: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in batch:
        queues[shard_of(record)].append(record)
    late: list[tuple[str, list[dict[str, Any]]]] = []
    while queues:
        shard = rng.choice(sorted(queues))
        size = rng.randint(1, 30)
        chunk, queues[shard] = queues[shard][:size], queues[shard][size:]
        assert deliver(handler, chunk, shard, final) == []
        if rng.random() < 0.3:
            assert deliver(handler, chunk, shard, final) == []  # whole again
        if rng.random() < 0.3 and len(chunk) > 2:
            start = rng.randrange(len(chunk) - 1)
            part = chunk[start : rng.randrange(start + 1, len(chunk))]
            assert deliver(handler, part, shard, final) == []
        if rng.random() < 0.3:
            late.append((shard, chunk))
        if not queues[shard]:
            del queues[shard]
    for shard, chunk in late:  # again, after later batches of its shard
        assert deliver(handler, chunk, shard, final) == []


def goal_rows(api: Api, site: str, day: date) -> dict[str, tuple[int, int]]:
    with time_machine.travel(datetime(2025, 7, 10, tzinfo=UTC), tick=False):
        status, answer = api.call(
            "GET", f"/v1/sites/{site}/goals", query={"from": str(day), "to": str(day)}
        )
    assert status == 200, answer
    return {g["name"]: (g["conversions"], g["events"]) for g in answer["goals"]}


@pytest.mark.parametrize("seed", [1])
def test_goals_and_bounces_with_events_equal_a_brute_force_model(
    api: Api, streams: Streams, seed: int
) -> None:
    rng = random.Random(seed)
    for site, (zone, mode) in SITES.items():
        api.register(site, zone, mode=mode, goals=GOALS)
    actions = plan(rng)
    for action in actions:
        send(api, action)
    feed(DAYS, records(streams, "DayAggregateFunction"), rng)
    feed(REPORTS, records(streams, "ReportAggregateFunction"), rng)
    expected = model(actions)
    visits = [v for vs in expected.visits.values() for v in vs]
    # The plan reaches what it must: bounces events ended, visits with no goal.
    assert any(len(v.pages) == 1 and not v.bounce for v in visits)
    assert any(len(v.pages) == 1 and v.bounce and v.events for v in visits)
    days = (MIDNIGHT.date() - timedelta(days=1), MIDNIGHT.date())

    storage = default_service().storage
    for site in SITES:
        bounces = {}
        for day in days:
            in_day = expected.visits.get((site, day), [])
            assert goal_rows(api, site, day) == {
                goal["name"]: tuple(expected.goals.get((site, day, goal["name"]), [0, 0]))
                for goal in GOALS
            }, (site, day)
            # Entry pages: entries and entry bounces, exactly per day.
            entries: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for visit in in_day:
                entries[visit.entry][0] += 1
                entries[visit.entry][1] += visit.bounce
            found = {
                row.value: [row.entries, row.entry_bounces]
                for row in storage.reports.rows(site, "page", day, day)
                if (row.entries, row.entry_bounces) != (0, 0)
            }
            assert found == dict(entries), (site, day)
            bounces[day] = sum(visit.bounce for visit in in_day)
        stored = {r.day: r.bounces for r in storage.days.records(site, *days)}
        # A high-traffic hit aggregated after the next day opened counts on that day, as its
        # visit does: such a site's bounces are exact over both days; a direct site's, per day.
        if site == "direct":
            assert stored == bounces
        assert sum(b or 0 for b in stored.values()) == sum(bounces.values())

    # The archive holds the same notes: each day rebuilt from it gives the same goal rows.
    feed(ARCHIVE, records(streams, "ArchiveFunction"), rng)
    before = {(s, d): goal_rows(api, s, d) for s in SITES for d in days}
    rebuilder = Rebuilder(storage, ArchiveReader(archive_bucket()))
    for site in SITES:
        for day in days:
            rebuilder.rebuild(site, day)
    assert {(s, d): goal_rows(api, s, d) for s in SITES for d in days} == before
