"""Abuse: refreshing adds one visit; a flood from one address cannot grow storage without bound
(its new visitors are capped per minute, counters.counting.admission)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests

from tests.reliability.conftest import ANSWER_SECONDS, DEFAULT_INSTANT, Harness

_sessions = threading.local()


def in_parallel(calls: list[Callable[[], dict]]) -> list[dict]:
    """Runs the calls on 8 threads (one keep-alive session each), answers in call order."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda call: call(), calls))


def hit(harness: Harness, ip: str, agent: str, second: float) -> dict:
    if not hasattr(_sessions, "session"):
        _sessions.session = requests.Session()
    session = _sessions.session
    headers = {
        "X-Forwarded-For": ip,
        "User-Agent": agent,
        "X-Test-Clock": repr((DEFAULT_INSTANT + timedelta(seconds=second)).timestamp()),
    }
    answer = session.post(
        f"{harness.url}/v1/sites/portal/hits", headers=headers, timeout=ANSWER_SECONDS
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_refreshing_a_page_300_times_is_one_visit(local_api: Harness) -> None:
    local_api.register("portal")
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0"
    # A refresh every 10 s for 50 minutes (a few in flight at once): never 30 minutes
    # apart, so one visit, though the visit lasts longer than the timeout.
    answers = in_parallel(
        [lambda i=i: hit(local_api, "203.0.113.50", agent, 10 * i) for i in range(300)]
    )
    assert sum(a["counted"] for a in answers) == 1
    assert answers[-1]["today"] == 1 and answers[-1]["total"] == 1
    local_api.register("portal", count="pageviews")
    stats = requests.get(f"{local_api.url}/v1/sites/portal/stats", timeout=10).json()
    assert stats["today"] == 300


@pytest.fixture
def small_caps(visitor_caps: Any) -> None:
    visitor_caps(50, 10)  # 50 new visitors per address and minute, after 10 unchecked


def test_a_flood_of_user_agents_from_one_address_is_bounded(
    local_api: Harness, small_caps: None
) -> None:
    local_api.register("portal")
    flood = 150  # well over each address's 10 + 50
    # Honest visitors elsewhere, then one address rotating its User-Agent on every hit
    # (all within one minute: 05:00:10 to 05:00:50, then 05:01:00 to 05:01:40).
    for v in range(5):
        hit(local_api, f"198.51.100.{v}", "Mozilla/5.0 Firefox/128.0", v)
    answers = in_parallel(
        [
            lambda i=i: hit(local_api, "203.0.113.66", f"Mozilla/5.0 Flood/{i}", 10 + i / 10)
            for i in range(flood)
        ]
        # A /56 is one address: rotating through its /64s does not escape the cap.
        + [
            lambda i=i: hit(
                local_api, f"2001:db8:1:{i % 256:x}::{i:x}", f"Mozilla/5.0 V6/{i}", 60 + i / 10
            )
            for i in range(flood)
        ]
    )
    dump = local_api.dump()
    kinds = Counter(item["pk"]["S"].split("#")[0] for item in dump)
    # Each address: its unchecked visitors (one warm instance here), then its cap.
    assert kinds["VISITOR"] == 5 + 2 * (10 + 50), kinds
    assert kinds["ADDRESS"] == 2, kinds
    assert len(dump) <= 5 + 2 * (10 + 50) + 2 + 5, kinds
    # Page views are all counted; visits stop at the cap.
    local_api.register("portal", count="pageviews")
    stats = requests.get(f"{local_api.url}/v1/sites/portal/stats", timeout=10).json()
    assert stats["today"] == 5 + 2 * flood
    local_api.register("portal", count="visits")
    stats = requests.get(f"{local_api.url}/v1/sites/portal/stats", timeout=10).json()
    assert stats["today"] == 5 + 2 * (10 + 50)
    assert sum(a["counted"] for a in answers) == 2 * (10 + 50)


def test_many_visitors_behind_one_address_below_the_cap_all_count(
    local_api: Harness, small_caps: None
) -> None:
    local_api.register("portal")
    # An office behind one NAT address: 60 new visitors in one minute (10 + 50 admitted).
    in_parallel(
        [lambda i=i: hit(local_api, "203.0.113.80", f"Mozilla/5.0 Desk/{i}", i) for i in range(60)]
    )
    stats = requests.get(f"{local_api.url}/v1/sites/portal/stats", timeout=10).json()
    assert stats["today"] == 60
