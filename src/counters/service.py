"""The counter's operations, free of HTTP and AWS event shapes.

`Counter` counts hits and reads figures for registered sites. It keeps each
site's settings for a few seconds per warm function, so that the steady-state
hit is a single DynamoDB request (see `counters.storage`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache

from counters.models import Site, SiteSettings, Stats
from counters.periods import local_date
from counters.rollover import METRICS, DayRecord, Metric, figures_on, opening_bases
from counters.settings import settings
from counters.storage import Sealed, Storage

# A hit follows at most this many sealed days or openings before giving up; in
# practice one or two (a hit that raced the day's first hit across midnight).
MAX_STEPS = 8


class UnknownSiteError(LookupError):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


class Counter:
    def __init__(self, storage: Storage, clock: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.clock = clock
        self._sites: dict[str, tuple[float, Site | None]] = {}

    # -- sites -------------------------------------------------------------------

    def site(self, site_id: str) -> Site:
        """A registered site's settings, cached briefly; `UnknownSiteError` if none."""
        now = time.monotonic()
        cached = self._sites.get(site_id)
        if cached and cached[0] > now:
            found = cached[1]
        else:
            found = self.storage.get_site(site_id)
            ttl = settings().site_cache_seconds if found else settings().unknown_site_cache_seconds
            self._sites[site_id] = (now + ttl, found)
        if found is None:
            raise UnknownSiteError(f"site {site_id!r} is not registered")
        return found

    def save_site(self, site_id: str, site_settings: SiteSettings) -> Site:
        site = Site(id=site_id, **site_settings.model_dump())
        self.storage.put_site(site)
        self._sites.pop(site_id, None)
        return site

    # -- counting ------------------------------------------------------------------

    def count(self, site: Site, counts: Mapping[Metric, int], day: date | None = None) -> DayRecord:
        """Adds `counts` to the site's day (today by default) and returns the day's record.

        Steady state: one request. The day's first hit also seals the previous
        active day and opens this one with its bases: three more, once a day.
        """
        target = day or local_date(site.timezone, self.clock())
        for _ in range(MAX_STEPS):
            added = self.storage.add(site.id, target, counts)
            if added is None:
                added = self._open(site.id, target, counts)
            if isinstance(added, DayRecord):
                return added
            target = added.by  # that day is over and a later one has begun: count there
        raise RuntimeError(f"could not count a hit for {site.id} on {target}")

    def _open(self, site_id: str, day: date, counts: Mapping[Metric, int]) -> DayRecord | Sealed:
        for _ in range(MAX_STEPS):
            previous = self.storage.last_day_before(site_id, day)
            if previous is not None:
                sealed = self.storage.seal(site_id, previous.day, by=day)
                if isinstance(sealed, Sealed):
                    if sealed.by > day:
                        return sealed
                    # An earlier day sealed it and may not be written yet (its opener
                    # may even have died): open that day ourselves, then look again.
                    self._open(site_id, sealed.by, dict.fromkeys(METRICS, 0))
                    continue
                previous = sealed
            bases = {metric: opening_bases(previous, day, metric) for metric in METRICS}
            return self.storage.open_day(site_id, day, bases, counts)
        raise RuntimeError(f"could not open {day} for {site_id}")

    # -- reading ---------------------------------------------------------------------

    def stats(self, site: Site) -> Stats:
        """The figures now, counting nothing: one request."""
        today = local_date(site.timezone, self.clock())
        return self.stats_of(site, self.storage.latest_day(site.id, today), today)

    def stats_of(self, site: Site, record: DayRecord | None, today: date) -> Stats:
        figures = figures_on(record, today, site.count)
        return Stats(
            site=site.id,
            timezone=site.timezone,
            date=today,
            today=figures.today,
            yesterday=figures.yesterday,
            month=figures.month,
            year=figures.year,
            total=figures.total,
            online=0,
        )


@cache
def default_counter() -> Counter:
    """The counter of this function instance, on the configured table."""
    import boto3
    from botocore.config import Config

    config = settings()
    client = boto3.client(
        "dynamodb",
        config=Config(
            retries={"mode": "standard", "max_attempts": config.dynamodb_max_attempts},
            connect_timeout=config.dynamodb_connect_timeout,
            read_timeout=config.dynamodb_read_timeout,
        ),
    )
    return Counter(Storage(client, config.table_name))
