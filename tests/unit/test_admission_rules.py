"""What a warm function keeps to admit new visitors of one address
(counters.counting.admission.AddressCap, its storage faked by a written-out model).

A warm function lets a few new visitors of an address through unchecked, then asks the
address's places of the current minute (one request), and asks no more in a minute it
found full; what it keeps per address is bounded. The places' storage itself is tested
on moto (tests/integration/test_service_rules.py, test_admission.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from counters.counting.admission import AddressCap

DAY = date(2025, 6, 15)
KEY = ("site", DAY, "address")
T0 = 1_749_963_600.0  # 2025-06-15 05:00:00 UTC, the start of a minute


class Places:
    """The model of an address's places: `per_minute` new visitors in each minute
    (epoch seconds // 60), per site, address and day; every request recorded."""

    def __init__(self) -> None:
        self.taken: dict[tuple[str, str, date, int], int] = {}
        self.asked: list[tuple[str, float, int, bool]] = []

    def admit_new(
        self, site: str, address: str, day: date, now: float, per_minute: int, opening: bool
    ) -> bool:
        self.asked.append((address, now, per_minute, opening))
        minute = (site, address, day, int(now) // 60)
        if self.taken.get(minute, 0) >= per_minute:
            return False
        self.taken[minute] = self.taken.get(minute, 0) + 1
        return True


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two unchecked new visitors per address, three places a minute."""
    from counters.settings import settings

    monkeypatch.setenv("UNCHECKED_VISITORS_PER_ADDRESS", "2")
    monkeypatch.setenv("NEW_VISITORS_PER_ADDRESS_MINUTE", "3")
    settings.cache_clear()
    yield
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def places() -> Places:
    return Places()


@pytest.fixture
def cap(places: Places, limits: None) -> AddressCap:
    visitors: Any = places
    return AddressCap(visitors)


def test_an_address_has_its_unchecked_new_visitors_per_site_and_day(cap: AddressCap) -> None:
    assert [cap.reserve(KEY) for _ in range(3)] == [True, True, False]
    for other in [("other", DAY, "address"), ("site", date(2025, 6, 16), "address")]:
        assert cap.reserve(other) is True
    assert cap.reserve(("site", DAY, "another")) is True


def test_a_released_unchecked_visitor_can_be_taken_again_once(cap: AddressCap) -> None:
    assert [cap.reserve(KEY) for _ in range(2)] == [True, True]
    cap.release(KEY)  # a returning visitor: no new item was made
    assert [cap.reserve(KEY) for _ in range(2)] == [True, False]
    for _ in range(2):
        cap.release(KEY)
    assert [cap.reserve(KEY) for _ in range(3)] == [True, True, False]


def test_a_release_after_the_counts_were_forgotten_gives_nothing_more(cap: AddressCap) -> None:
    """Between a hit's reserve and its release the counts may have been forgotten (another
    thread's reserve past 50,000 addresses): the address then has its unchecked visitors."""
    cap.release(KEY)
    assert [cap.reserve(KEY) for _ in range(3)] == [True, True, False]


def test_the_unchecked_counts_are_forgotten_past_50000_addresses(cap: AddressCap) -> None:
    """A warm function keeps at most about 50,000 addresses' counts (memory), then starts
    afresh: an address that had used its unchecked visitors has them again."""
    for _ in range(2):
        cap.reserve(KEY)
    for i in range(49_999):
        cap.reserve(("site", DAY, f"a{i}"))
    assert cap.reserve(KEY) is False  # 50,000 addresses kept
    cap.reserve(("site", DAY, "a49999"))  # the 50,001st
    assert cap.reserve(KEY) is True


def test_places_are_asked_per_minute_at_the_configured_rate(
    cap: AddressCap, places: Places
) -> None:
    answers = [cap.admit(KEY, T0 + s) for s in (0, 10, 20, 30, 59.9)]
    assert answers == [True, True, True, False, False]
    # The first ask of a minute opens its window; a minute found full is not asked again.
    assert places.asked == [
        ("address", T0, 3, True),
        ("address", T0 + 10, 3, False),
        ("address", T0 + 20, 3, False),
        ("address", T0 + 30, 3, False),
    ]
    places.asked.clear()
    assert cap.admit(KEY, T0 + 60) is True  # the next minute has places again
    assert places.asked == [("address", T0 + 60, 3, True)]


def test_a_full_minute_is_remembered_per_address(cap: AddressCap, places: Places) -> None:
    for _ in range(4):
        cap.admit(KEY, T0)
    places.asked.clear()
    assert cap.admit(("site", DAY, "another"), T0 + 1) is True
    assert cap.admit(("other", DAY, "address"), T0 + 2) is True
    assert [address for address, *_ in places.asked] == ["another", "address"]


def test_full_minutes_are_forgotten_past_10000_addresses(cap: AddressCap, places: Places) -> None:
    """A full minute is remembered for at most about 10,000 addresses (memory); one
    forgotten is asked again, and refused again."""

    def fill(address: str) -> None:
        places.taken[("site", address, DAY, int(T0) // 60)] = 3
        assert cap.admit(("site", DAY, address), T0) is False

    fill("address")
    for i in range(10_000):
        fill(f"a{i}")
    places.asked.clear()
    assert cap.admit(KEY, T0 + 1) is False
    assert places.asked == []  # 10,001 full addresses kept
    fill("a10000")
    places.asked.clear()
    assert cap.admit(KEY, T0 + 1) is False
    assert places.asked == [("address", T0 + 1, 3, True)]


def test_admissions_are_forgotten_past_10000_addresses(cap: AddressCap, places: Places) -> None:
    """Which addresses opened this minute is kept for at most about 10,000 of them; one
    forgotten opens again (one request more, and only once)."""
    cap.admit(KEY, T0)
    for i in range(9_999):
        cap.admit(("site", DAY, f"a{i}"), T0)
    cap.admit(("site", DAY, "a0"), T0 + 1)  # 10,000 kept
    cap.admit(KEY, T0 + 2)
    assert places.asked[-1] == ("address", T0 + 2, 3, False)
    cap.admit(("site", DAY, "a9999"), T0)
    cap.admit(("site", DAY, "a0"), T0 + 3)  # 10,001: all forgotten, then a0 kept
    cap.admit(KEY, T0 + 4)
    assert places.asked[-1] == ("address", T0 + 4, 3, True)
