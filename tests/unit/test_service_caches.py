"""What a warm hit service keeps, and for how long (counters.counting.service, storage faked).

A site's settings are read once per 30 s (an unknown site's absence once per 5 s), a
high-traffic site's aggregated figures once per 2 s and day: the budgets of the product
contract rest on these. The monotonic clock is the service module's, set by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from counters.counting import service as service_module
from counters.counting.figures import DayRecord
from counters.counting.service import CounterService, UnknownSiteError
from counters.models import Site, SiteSettings

NEWS = Site(id="news", timezone="UTC")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """Fake storage parts that count their reads."""

    def __init__(self) -> None:
        self.sites: dict[str, Site] = {"news": NEWS}
        self.site_reads: list[str] = []
        self.day_reads: list[tuple[str, date]] = []

    def get(self, site_id: str) -> Site | None:
        self.site_reads.append(site_id)
        return self.sites.get(site_id)

    def put(self, site: Site) -> None:
        self.sites[site.id] = site

    def latest(self, site_id: str, day: date) -> DayRecord:
        self.day_reads.append((site_id, day))
        return DayRecord(day=day)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(service_module.time, "monotonic", clock)
    return clock


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    from counters.settings import settings

    # The template's values, whatever the environment says (`make mutation` sets another).
    for name, seconds in [("SITE", "30"), ("UNKNOWN_SITE", "5"), ("BUFFERED_FIGURES", "2")]:
        monkeypatch.setenv(f"{name}_CACHE_SECONDS", seconds)
    settings.cache_clear()
    yield Reads()
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def service(reads: Reads) -> CounterService:
    storage: Any = SimpleNamespace(
        sites=reads, days=reads, salts=None, visitors=None, imported=None
    )
    return CounterService(storage, clock=lambda: datetime(2025, 6, 15, tzinfo=UTC))


def test_a_sites_settings_are_read_once_per_30_seconds(
    service: CounterService, reads: Reads, clock: Clock
) -> None:
    assert service.site("news") == NEWS
    clock.now += 29.9
    assert service.site("news") == NEWS
    assert reads.site_reads == ["news"]
    clock.now += 0.1  # 30 s after the read: read again
    service.site("news")
    assert reads.site_reads == ["news", "news"]


def test_an_unknown_site_is_remembered_for_5_seconds(
    service: CounterService, reads: Reads, clock: Clock
) -> None:
    for _ in range(2):
        with pytest.raises(UnknownSiteError, match="^site 'nobody' is not registered$"):
            service.site("nobody")
    assert reads.site_reads == ["nobody"]
    clock.now += 5
    reads.sites["nobody"] = Site(id="nobody", timezone="UTC")
    assert service.site("nobody").id == "nobody"
    assert reads.site_reads == ["nobody", "nobody"]


def test_saving_a_site_forgets_its_cached_settings(
    service: CounterService, reads: Reads, clock: Clock
) -> None:
    service.site("news")
    saved = service.save_site("news", SiteSettings(timezone="Asia/Ho_Chi_Minh"))
    assert saved == Site(id="news", timezone="Asia/Ho_Chi_Minh")
    assert service.site("news").timezone == "Asia/Ho_Chi_Minh"
    assert reads.site_reads == ["news", "news"]


def test_a_high_traffic_sites_figures_are_read_once_per_2_seconds_and_day(
    service: CounterService, reads: Reads, clock: Clock
) -> None:
    day, next_day = date(2025, 6, 15), date(2025, 6, 16)
    assert service._aggregated_day(NEWS, day) == DayRecord(day=day)
    clock.now += 1.9
    service._aggregated_day(NEWS, day)
    assert reads.day_reads == [("news", day)]
    service._aggregated_day(NEWS, next_day)  # another day: read anew
    clock.now += 1.9
    service._aggregated_day(NEWS, next_day)
    clock.now += 0.1  # 2 s after the last read
    service._aggregated_day(NEWS, next_day)
    assert reads.day_reads == [("news", day), ("news", next_day), ("news", next_day)]
