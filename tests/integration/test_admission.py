"""Admission behind one address, both sides: a flood from one address adds at most 20
new visitors a minute (after a warm function's 20 unchecked), and thousands of real
people behind a carrier NAT, spread over a day, all count (counters.counting.admission).

The defaults are the rule: 20 new visitors per address and minute, 20 unchecked per
warm function (the in-process API is one warm function)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import Api, table_dump

# 00:00 in Asia/Ho_Chi_Minh: a whole local day lies ahead.
MIDNIGHT = datetime(2025, 6, 14, 17, 0, tzinfo=UTC)
NAT = "171.224.0.7"  # one IPv4 of a mobile carrier's NAT


def hit(api: Api, at: datetime, ip: str, agent: str) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        return api.hit("portal", headers={"user-agent": f"Mozilla/5.0 {agent}"}, source_ip=ip)


def figures(api: Api, at: datetime) -> tuple[int, int]:
    """Today's visits and page views."""
    with time_machine.travel(at, tick=False):
        visits = api.stats("portal")["today"]
        api.register("portal", "Asia/Ho_Chi_Minh", count="pageviews")
        views = api.stats("portal")["today"]
        api.register("portal", "Asia/Ho_Chi_Minh")
    return visits, views


def kinds(api: Api) -> Counter[str]:
    from counters.counting.service import default_service

    dump = table_dump(default_service().storage.client)
    return Counter(item["pk"]["S"].split("#")[0] for item in dump)


@pytest.fixture
def portal(api: Api) -> Api:
    api.register("portal", "Asia/Ho_Chi_Minh")
    return api


def test_a_flood_of_user_agents_from_one_address_adds_20_a_minute(portal: Api) -> None:
    start = MIDNIGHT + timedelta(hours=10)
    # Five minutes, 60 hits a minute, each with a User-Agent never seen before.
    answers = [
        hit(portal, start + timedelta(minutes=m, seconds=s), NAT, f"Flood/{m}.{s}")
        for m in range(5)
        for s in range(60)
    ]
    # 20 unchecked, then 20 a minute: 120 visits of 300 page views.
    assert sum(a["counted"] for a in answers) == 20 + 5 * 20
    assert [sum(a["counted"] for a in answers[m * 60 : m * 60 + 60]) for m in range(5)] == [
        40, 20, 20, 20, 20
    ]  # fmt: skip
    assert figures(portal, start + timedelta(minutes=5)) == (120, 300)
    # Storage: a visitor item per admitted visitor, one address item; the refused none.
    stored = kinds(portal)
    assert stored["VISITOR"] == 120 and stored["ADDRESS"] == 1, stored


def test_a_refused_minute_ends_and_returning_visitors_still_count(portal: Api) -> None:
    start = MIDNIGHT + timedelta(hours=10)
    # A returning visitor behind the NAT, first seen before the flood.
    assert hit(portal, start, NAT, "Resident")["counted"] is True
    flood = [
        hit(portal, start + timedelta(minutes=40, seconds=s / 2), NAT, f"F/{s}") for s in range(80)
    ]
    assert sum(a["counted"] for a in flood) == 19 + 20  # 19 unchecked left, then 20
    # In the flooded minute: a new visitor is refused (a page view), the resident's new
    # visit (40 minutes after its last hit) counts.
    assert (
        hit(portal, start + timedelta(minutes=40, seconds=50), NAT, "Newcomer")["counted"] is False
    )
    assert (
        hit(portal, start + timedelta(minutes=40, seconds=55), NAT, "Resident")["counted"] is True
    )
    # The next minute admits new visitors again.
    assert hit(portal, start + timedelta(minutes=41), NAT, "Newcomer")["counted"] is True
    assert figures(portal, start + timedelta(minutes=42)) == (1 + 39 + 1 + 1, 1 + 80 + 3)


def test_ipv6_shares_one_cap_per_56(portal: Api) -> None:
    at = MIDNIGHT + timedelta(hours=9)
    # One home's /56: each hit from another of its 256 /64s, with another User-Agent.
    home = [
        hit(portal, at + timedelta(seconds=i / 2), f"2001:db8:1:{i:x}::1", f"Home/{i}")
        for i in range(100)
    ]
    assert sum(a["counted"] for a in home) == 20 + 20
    # The next /56 is another address, with places of its own.
    assert hit(portal, at + timedelta(seconds=55), "2001:db8:1:100::1", "Next")["counted"] is True


def day_of_a_carrier_nat(visitors: int, seed: int) -> list[float]:
    """Arrival seconds after midnight of a day's visitors behind one address: Poisson,
    hourly rates of a portal's day (quiet at night, peaks mid-morning and evening)."""
    profile = [0.25, 0.15, 0.1, 0.1, 0.15, 0.35, 0.7, 1.1, 1.5, 1.7, 1.7, 1.5]
    profile += [1.2, 1.1, 1.4, 1.5, 1.4, 1.2, 1.0, 1.2, 1.5, 1.6, 1.2, 0.7]
    draw = random.Random(seed)
    hours = draw.choices(range(24), weights=profile, k=visitors)
    return sorted(hour * 3600 + draw.uniform(0, 3600) for hour in hours)


ARRIVALS = day_of_a_carrier_nat(5000, seed=84)
PEAK = 575 * 60  # its busiest minute, 09:35 (15 new visitors)


def test_the_day_of_5000_visitors_behind_one_address_has_15_at_its_busiest() -> None:
    per_minute = Counter(int(s // 60) for s in ARRIVALS)
    assert len(ARRIVALS) == 5000 and per_minute[575] == max(per_minute.values()) == 15


@pytest.mark.slow
def test_5000_real_visitors_behind_one_address_over_a_day_are_all_admitted(portal: Api) -> None:
    """Every one of the day's new visitors is admitted (the rule on its real storage;
    the whole day through the hit path takes minutes on moto: its peak is below)."""
    from counters.counting.admission import AddressCap
    from counters.counting.service import default_service

    storage = default_service().storage
    cap = AddressCap(storage.visitors)
    key = ("portal", date(2025, 6, 15), "carrier-nat")
    stamp = MIDNIGHT.timestamp()
    refused = [s for s in ARRIVALS if not (cap.reserve(key) or cap.admit(key, stamp + s))]
    assert refused == []
    stored = table_dump(storage.client)
    assert [
        int(item["visitors"]["N"]) for item in stored if item["pk"]["S"].startswith("ADDRESS")
    ] == [5000 - 20]  # all but the unchecked ones took a place


def test_the_busiest_half_hour_behind_one_address_all_counts(portal: Api) -> None:
    """The half hour around that day's busiest minute, through the hit path: every new
    visitor counts a visit, and has its visitor item."""
    around = [s for s in ARRIVALS if PEAK - 900 <= s < PEAK + 900]
    assert len(around) == 170
    answers = [
        hit(portal, MIDNIGHT + timedelta(seconds=s), NAT, f"Phone/{i}")
        for i, s in enumerate(around)
    ]
    assert all(a["counted"] for a in answers)
    assert figures(portal, MIDNIGHT + timedelta(seconds=PEAK + 900)) == (170, 170)
    stored = kinds(portal)
    assert stored["VISITOR"] == 170 and stored["ADDRESS"] == 1, stored
