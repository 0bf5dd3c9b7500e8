"""Engagement (bounces, visit duration, views per visit, entry and exit pages) against a
brute-force model of the same hits.

Random visitors (one address each) read 1 to 8 pages with gaps up to 45 minutes (so a
visitor may come back for a second visit the same day, or cross local midnight), around
the local midnights that end June (a month) and 2025 (a month and a year), on a direct
and a high-traffic site. The stream's real records are then fed to both aggregators in
batches per shard (each item's records in one shard, in order, as DynamoDB Streams
keeps them), shards interleaved at random, batches redelivered whole and in part. The
model below knows nothing of the code: it splits each visitor's hits of a local day
into visits by the 30-minute rule and reads every figure off the visits.
"""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from counters.counting.service import default_service
from tests.conftest import Api, Streams
from tests.integration.test_aggregation import DAYS, REPORTS, deliver, hit, records

SITES = {"direct": ("Asia/Ho_Chi_Minh", "direct"), "busy": ("America/New_York", "buffered")}
MIDNIGHTS = (datetime(2025, 7, 1), datetime(2026, 1, 1))  # local: a month end, a year end
LONG = "/tin-tuc/" + "a" * 300  # longer than an entry page keeps (200 bytes)
PATHS = ("/", "/tin-tuc", "/tin-tuc/1", "/lien-he", "/van-ban/2025", LONG)
VISITORS = 30  # per site and midnight
TIMEOUT_MS = 30 * 60 * 1000


@dataclass(frozen=True)
class Hit:
    site: str
    ip: str
    at: datetime  # UTC, whole milliseconds
    path: str


def plan(rng: random.Random) -> list[Hit]:
    hits = []
    for site, (zone, _) in SITES.items():
        for m, midnight in enumerate(MIDNIGHTS):
            local_midnight = midnight.replace(tzinfo=ZoneInfo(zone))
            for v in range(VISITORS):
                ip = f"198.51.{m * 100 + (site == 'busy') * 50 + v // 200}.{v % 200 + 1}"
                at = local_midnight + timedelta(milliseconds=rng.randrange(-90, 60) * 60_000)
                for _ in range(rng.randint(1, 2)):  # a visitor may come back
                    for _ in range(rng.randint(1, 8)):
                        hits.append(Hit(site, ip, at.astimezone(UTC), rng.choice(PATHS)))
                        at += timedelta(milliseconds=rng.randrange(1_000, 45 * 60_000))
                    at += timedelta(milliseconds=rng.randrange(0, 60 * 60_000))
    return sorted(hits, key=lambda h: h.at)


def cut(path: str) -> str:
    return path if len(path) <= 200 else path[:200]  # the model's paths are ASCII


@dataclass
class Day:
    visits: int = 0
    pageviews: int = 0
    bounces: int = 0
    duration_ms: int = 0


def model(
    hits: list[Hit],
) -> tuple[dict[tuple[str, date], Day], dict[tuple[str, date, str], list[int]]]:
    """Per (site, local day): the day's figures; per (site, day, page): [entries, entry
    bounces, entry duration ms, exits]. A visit counts on the local day it began; a visitor
    is not known across local days."""
    by_visitor: dict[tuple[str, str, date], list[Hit]] = defaultdict(list)
    for h in hits:
        day = h.at.astimezone(ZoneInfo(SITES[h.site][0])).date()
        by_visitor[(h.site, h.ip, day)].append(h)
    days: dict[tuple[str, date], Day] = defaultdict(Day)
    pages: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (site, _, day), seen in by_visitor.items():
        visits: list[list[Hit]] = []
        for h in seen:
            if not visits or (h.at - visits[-1][-1].at) >= timedelta(milliseconds=TIMEOUT_MS):
                visits.append([])
            visits[-1].append(h)
        for visit in visits:
            figures = days[(site, day)]
            duration = (visit[-1].at - visit[0].at) // timedelta(milliseconds=1)
            figures.visits += 1
            figures.pageviews += len(visit)
            figures.bounces += len(visit) == 1
            figures.duration_ms += duration
            entry = pages[(site, day, cut(visit[0].path))]
            entry[0] += 1
            entry[1] += len(visit) == 1
            entry[2] += duration
            pages[(site, day, cut(visit[-1].path))][3] += 1
    return days, pages


def shard_of(record: dict[str, Any]) -> str:
    """Records of one item stay in one shard, in order (DynamoDB Streams)."""
    pk = record["dynamodb"]["Keys"]["pk"]["S"]
    return f"shardId-00000001700000000000-{zlib.crc32(pk.encode()) % 3:08x}"


def feed(handler: str, batch: list[dict[str, Any]], rng: random.Random) -> None:
    """Each shard's records in order, in batches of random size, shards interleaved at
    random; a batch is sometimes delivered again whole, or a part of it again."""
    shards: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in batch:
        shards[shard_of(record)].append(record)
    queues = {shard: list(kept) for shard, kept in shards.items()}
    while queues:
        shard = rng.choice(sorted(queues))
        size = rng.randint(1, 40)
        chunk, queues[shard] = queues[shard][:size], queues[shard][size:]
        assert deliver(handler, chunk, shard) == []
        if rng.random() < 0.3:
            assert deliver(handler, chunk, shard) == []  # whole again
        if rng.random() < 0.3 and len(chunk) > 2:
            start = rng.randrange(len(chunk) - 1)
            assert (
                deliver(handler, chunk[start : rng.randrange(start + 1, len(chunk))], shard) == []
            )
        if not queues[shard]:
            del queues[shard]


def summary(api: Api, site: str, first: date, last: date) -> dict[str, Any]:
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        status, answer = api.call(
            "GET", f"/v1/sites/{site}/summary", query={"from": str(first), "to": str(last)}
        )
    assert status == 200, answer
    return answer["current"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("seed", [1])
def test_every_engagement_figure_equals_a_brute_force_model_of_the_same_hits(
    api: Api, streams: Streams, seed: int
) -> None:
    rng = random.Random(seed)
    for site, (zone, mode) in SITES.items():
        api.register(site, zone, mode=mode)
    hits = plan(rng)
    for h in hits:
        hit(api, h.site, h.at, ip=h.ip, body={"path": h.path})
    feed(DAYS, records(streams, "DayAggregateFunction"), rng)
    feed(REPORTS, records(streams, "ReportAggregateFunction"), rng)
    days, pages = model(hits)
    assert any(figures.bounces < figures.visits for figures in days.values())

    storage = default_service().storage
    for site in SITES:
        # A high-traffic hit aggregated after a later day opened counts on that day, as its
        # visit does (shards far apart in time here): such a site's figures are exact summed
        # over the whole test; a direct site's, per day (its hits arrive in clock order).
        spans = [(m.date() - timedelta(days=1), m.date()) for m in MIDNIGHTS]
        if site == "busy":
            spans = [(spans[0][0], spans[-1][1])]
        for first, last in spans:
            check_days(api, site, first, last, days)
        for midnight in MIDNIGHTS:
            for day in (midnight.date() - timedelta(days=1), midnight.date()):
                # Entry and exit pages per day, exactly (report items count on the note's day).
                found = {
                    row.value: [row.entries, row.entry_bounces, row.entry_duration_ms, row.exits]
                    for row in storage.reports.rows(site, "page", day, day)
                    if (row.entries, row.entry_bounces, row.entry_duration_ms, row.exits)
                    != (0, 0, 0, 0)
                }
                assert found == {
                    page: figures
                    for (s, d, page), figures in pages.items()
                    if (s, d) == (site, day) and figures != [0, 0, 0, 0]
                }, (site, day)


def check_days(
    api: Api, site: str, first: date, last: date, days: dict[tuple[str, date], Day]
) -> None:
    """The day items from `first` to `last` (each, for a direct site) and the summary."""
    stored = default_service().storage.days.records(site, first, last)
    expected = [
        days[(site, day)]
        for day in sorted({d for s, d in days if s == site})
        if first <= day <= last
    ]
    totals = Day(*(sum(getattr(d, name) for d in expected) for name in vars(Day())))
    found = [
        Day(r.tally("visits").count, r.tally("pageviews").count, r.bounces or 0, r.duration_ms or 0)
        for r in stored
    ]
    if site == "direct":
        assert found == expected, site
    assert Day(*(sum(getattr(d, name) for d in found) for name in vars(Day()))) == totals, site
    assert summary(api, site, first, last) == {
        "visits": totals.visits,
        "pageviews": totals.pageviews,
        "views_per_visit": round(totals.pageviews / totals.visits, 4),
        "bounce_rate": round(totals.bounces / totals.visits, 4),
        "visit_duration": pytest.approx(totals.duration_ms / 1000 / totals.visits, abs=1e-4),
    }


def test_a_site_switched_to_high_traffic_mid_visit_moves_the_exit_page_by_page(
    api: Api, streams: Streams
) -> None:
    """A direct hit keeps its page on the visitor item (`lp`), a high-traffic hit in its
    note: after the switch, the page before is the note's, not the last direct hit's."""
    zone = "Asia/Ho_Chi_Minh"
    api.register("switch", zone)
    at = datetime(2025, 6, 15, 5, tzinfo=UTC)
    hit(api, "switch", at, ip="198.51.100.1", body={"path": "/a"})
    api.register("switch", zone, mode="buffered")
    hit(api, "switch", at + timedelta(seconds=60), ip="198.51.100.1", body={"path": "/b"})
    hit(api, "switch", at + timedelta(seconds=90), ip="198.51.100.1", body={"path": "/c"})
    streams.drain()
    rows = default_service().storage.reports.rows("switch", "page", at.date(), at.date())
    # One visit: entered on /a, 90 s, not a bounce; its exit is /c only.
    assert {r.value: (r.entries, r.entry_bounces, r.entry_duration_ms, r.exits) for r in rows} == {
        "/a": (1, 0, 90_000, 0),
        "/b": (0, 0, 0, 0),
        "/c": (0, 0, 0, 1),
    }
