"""2,500 hits (MIXED_HITS=10000 for a longer soak) on a direct and a high-traffic site,
across local midnight and a month end, against moto's server with the stream pollers
running: every figure, page count and hour equals a brute-force model once the
aggregators have caught up (a hit stamped before midnight that arrives after the new
day opened counts on the new day).

Hits carry their own instant (X-Test-Clock) over 20 minutes around midnight of
June 30 in each site's zone, 8 at a time through the local API's handlers. Each
visitor's hits span under 30 minutes, so a visitor is exactly one visit per local
day (the daily salt makes it a new visitor after midnight).

Which hits of June 30 arrive after July 1 opened is chosen, not left to the race:
June 30's hits but the last LATE of each site first; then July 1's first 8 hits of
both sites together (racing to open the day; a high-traffic site's opens when the
aggregator adds them, drained then); then the rest, LATE included, all in flight
together. So the model knows exactly which hits move to the new day.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.figures import expected, figures
from tests.reliability.conftest import ANSWER_SECONDS, Harness

# 2,500 keeps every race of the test (both days on both sites, late hits, openers) in
# a quarter of the 10,000-hit run's time, which made it the suite's longest test by far.
HITS = int(os.environ.get("MIXED_HITS", "2500"))
BLOCK = HITS // 20  # a minute of clock time
VISITORS = 700
SITES = {"direct": ("Asia/Ho_Chi_Minh", "direct"), "busy": ("America/New_York", "buffered")}
SPAN = timedelta(minutes=20)
LATE = 40  # the last hits of June 30 of each site, sent once July 1 has opened


def instant(site: str, i: int) -> datetime:
    midnight = datetime(2025, 7, 1, tzinfo=ZoneInfo(SITES[site][0]))
    return midnight - SPAN / 2 + SPAN * i / HITS


@pytest.mark.slow
def test_thousands_of_hits_across_midnight_and_a_month_end_equal_the_model(
    local_api: Harness,
) -> None:
    for site, (timezone, mode) in SITES.items():
        local_api.register(site, timezone, mode=mode)
    plan = [
        (("direct", "busy")[i % 2], i, random.Random(i).randrange(VISITORS)) for i in range(HITS)
    ]
    # Arrival order is clock order but for reordering within blocks of a minute of clock
    # time: hits of both days are in flight together around midnight.
    for start in range(0, HITS, BLOCK):
        block = plan[start : start + BLOCK]
        random.Random(start).shuffle(block)
        plan[start : start + BLOCK] = block

    def send(hit: tuple[str, int, int]) -> tuple[str, int, int, dict[str, Any]]:
        # Through the local API's request handling (events, routing, the warm handler),
        # without a socket: moto's server is what this test exercises.
        site, i, visitor = hit
        headers = [
            ("X-Test-Clock", repr(instant(site, i).timestamp())),
            ("X-Forwarded-For", f"198.51.{visitor // 250}.{visitor % 250}"),
            (
                "User-Agent",
                f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{100 + visitor % 40}.0",
            ),
            ("Content-Type", "application/json"),
        ]
        body = json.dumps({"path": f"/p{visitor % 9}"}).encode()
        answer = local_api.api.handle("POST", f"/v1/sites/{site}/hits", headers, body, "127.0.0.1")
        assert answer.status == 200, answer.body
        return site, i, visitor, json.loads(answer.body)

    def day_of(site: str, i: int) -> date:
        return instant(site, i).astimezone(ZoneInfo(SITES[site][0])).date()

    july = date(2025, 7, 1)
    june = [hit for hit in plan if day_of(hit[0], hit[1]) < july]
    late = {hit for site in SITES for hit in sorted(h for h in june if h[0] == site)[-LATE:]}
    openers = [hit for hit in plan if day_of(hit[0], hit[1]) == july][:8]
    assert {site for site, _, _ in openers} == set(SITES)
    # The late hits where the plan has them: among July 1's, in flight together.
    before = set(june) - late
    rest = [hit for hit in plan if hit not in before and hit not in openers]
    first = [hit for hit in june if hit not in late]
    # Each site's first hit opens its first day before the crowd comes (a site's very
    # first day opened by racing hits is a known gap: see docs/aggregation.md).
    answers = [send(hit) for hit in first[:20]]
    with ThreadPoolExecutor(8) as pool:
        answers += list(pool.map(send, first[20:]))
        answers += list(pool.map(send, openers))
        # A high-traffic site's day opens when the aggregator adds its first hit: now.
        local_api.api.drain_streams()
        answers += list(pool.map(send, rest))
    local_api.api.drain_streams()  # the pollers ran all along; now the rest

    # The model: a hit counts on its local day, a late one on July 1; a visitor is one
    # visit a day (a new one after midnight), and a late hit of June 30 opens a visit (on
    # July 1) only if its visitor had no earlier hit on June 30.
    pageviews: dict[str, Counter[date]] = defaultdict(Counter)
    visitors: dict[str, dict[date, set[object]]] = defaultdict(lambda: defaultdict(set))
    pages: dict[str, Counter[str]] = defaultdict(Counter)
    hours: dict[str, Counter[str]] = defaultdict(Counter)
    for site, i, visitor, _ in answers:
        local = instant(site, i).astimezone(ZoneInfo(SITES[site][0]))
        pageviews[site][july if (site, i, visitor) in late else local.date()] += 1
        if (site, i, visitor) not in late:
            visitors[site][local.date()].add(visitor)
        pages[site][f"/p{visitor % 9}"] += 1
        hours[site][f"{local.hour:02d}"] += 1
    for site, _, visitor in late:
        if visitor not in visitors[site][july - timedelta(days=1)]:
            visitors[site][july].add(("june", visitor))  # June 30's salt: another visitor
    for site, (timezone, _) in SITES.items():
        after = {"X-Test-Clock": repr((instant(site, HITS) + timedelta(minutes=1)).timestamp())}
        visits = Counter({day: len(seen) for day, seen in visitors[site].items()})
        for count, model in (("pageviews", pageviews[site]), ("visits", visits)):
            local_api.register(site, timezone, count=count, mode=SITES[site][1])
            local_api.counter._sites.clear()
            shown = requests.get(
                f"{local_api.url}/v1/sites/{site}/stats", headers=after, timeout=ANSWER_SECONDS
            ).json()
            assert figures(shown) == expected(model, july), (site, count)
        reports = f"{local_api.url}/v1/sites/{site}"
        query = {"from": "2025-06-30", "to": "2025-07-01", "limit": "100"}
        got_pages = requests.get(f"{reports}/pages", params=query, timeout=ANSWER_SECONDS).json()
        assert {p["path"]: p["pageviews"] for p in got_pages["pages"]} == pages[site]
        got_hours = requests.get(
            f"{reports}/breakdown", params={**query, "dimension": "hour"}, timeout=ANSWER_SECONDS
        ).json()
        assert {r["value"]: r["pageviews"] for r in got_hours["rows"]} == hours[site]
    # Both days had hits on both sites: the race across midnight was run.
    assert all(len(counts) == 2 for counts in pageviews.values())
