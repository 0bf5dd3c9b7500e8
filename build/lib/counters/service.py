"""The counter's operations, free of HTTP and AWS event shapes.

`Counter` counts hits and reads figures for registered sites. It keeps each
site's settings for a few seconds per warm function, so that the steady-state
hit is a single DynamoDB request (see `counters.storage`).
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from functools import cache, partial
from typing import Any

from counters.buffer import BufferedHit, Group, HitQueue, increment_of
from counters.models import Baseline, HitStats, Site, SiteSettings, Stats
from counters.pages import normalise_path
from counters.periods import local_date
from counters.rollover import METRICS, Bases, DayRecord, figures_on
from counters.settings import settings
from counters.storage import (
    MAX_MARKERS,
    Batched,
    HitMarkers,
    Increment,
    OutcomeUnknownError,
    Sealed,
    Storage,
    TransactionConflictError,
)
from counters.visitors import (
    PageView,
    address_id,
    online,
    sighting,
    skip_reason,
    visitor_id,
    window,
)

# A hit follows at most this many sealed days or openings before giving up; in
# practice one or two (a hit that raced the day's first hit across midnight).
MAX_STEPS = 8
# Hit markers outlive the queue's retention (4 days), so any redelivery finds its marker.
MARKER_TTL_SECONDS = 5 * 24 * 3600
# Another aggregator's transaction on the same day item: retry a few times, then let SQS.
CONFLICT_RETRIES = 4


class UnknownSiteError(LookupError):
    pass


class ForbiddenOriginError(PermissionError):
    pass


class BaselineConflictError(ValueError):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


class Counter:
    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], datetime] = utc_now,
        queue: HitQueue | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.queue = queue
        self._sites: dict[str, tuple[float, Site | None]] = {}
        self._salts: dict[date, bytes] = {}
        # New visitors per (site, day, address) seen here, and addresses over their cap.
        self._new_visitors: dict[tuple[str, date, str], int] = {}
        self._tally_lock = threading.Lock()
        self._capped: set[tuple[str, date, str]] = set()
        # Buffered sites: the last aggregated day record, per site, and until when to keep it.
        self._aggregated: dict[str, tuple[float, DayRecord | None]] = {}

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

    def record_hit(self, site: Site, view: PageView) -> HitStats:
        """Counts a page view unless it must be skipped, and answers the figures.

        Requests: 1 to skip (a read), 2 to count (the visitor, then the day item);
        the first of a day or after a config change costs a few more, once, and so
        do new visitors from an address that brought many (see _admit_visitor).
        A buffered site's hit: the visitor, a queued message, and a read of the
        aggregated figures every few seconds per warm function.
        """
        if view.origin and site.allowed_origins and view.origin not in site.allowed_origins:
            raise ForbiddenOriginError(f"origin {view.origin!r} may not count hits on {site.id!r}")
        if skip_reason(view) is not None:
            return self.hit_stats_of(site, *self._latest(site), counted=False)
        instant = self.clock()
        now = instant.timestamp()
        day = local_date(site.timezone, instant)
        salt = self._salt(day)
        # The client's address matters only for new visitors and capped addresses (rare).
        address = address_id(salt, site.id, view.client_ip) if self._capped else None
        if address is not None and (site.id, day, address) in self._capped:
            return self._count_page_view_only(site, day, now, view)
        visitor = visitor_id(salt, site.id, view.client_ip, view.user_agent)
        token = secrets.token_urlsafe(12)
        last_seen = self.storage.see_visitor(site.id, visitor, day, now, token)
        if last_seen is None and not self._admit_visitor(
            site.id, address or address_id(salt, site.id, view.client_ip), day, now
        ):
            # A flood of new visitors from one address: keep no item for this one.
            self.storage.unsee_visitor(site.id, visitor, day, token, None)
            return self._count_page_view_only(site, day, now, view)
        seen = sighting(last_seen, now, site.visit_timeout_minutes * 60)
        increment = Increment(
            counts={"visits": int(seen.new_visit), "pageviews": 1},
            window=seen.window,
            first_in_window=seen.first_in_window,
            new_since_previous=seen.new_since_previous,
        )
        if site.mode == "buffered":
            return self._buffer(site, view, increment, day, now)
        try:
            record = self.count(site, increment, day)
        except OutcomeUnknownError:
            raise  # the hit may have counted: its visitor must stay seen
        except Exception:
            # Surely not counted: forget this sighting, so that the visitor's next hit
            # still opens the visit this one would have.
            self.storage.unsee_visitor(site.id, visitor, day, token, last_seen)
            raise
        return self._answer(site, record, increment, now, view)

    def _admit_visitor(self, site_id: str, address: str, day: date, now: float) -> bool:
        """Whether a client address may add one more visitor item today (bounds storage).

        Storage holds at most max_visitors_per_address + (warm instances x
        unchecked_visitors_per_address) visitor items per address and day.
        """
        key = (site_id, day, address)
        if len(self._new_visitors) > 50_000:
            self._new_visitors.clear()
        with self._tally_lock:  # the local server runs one Counter in many threads
            seen_here = self._new_visitors[key] = self._new_visitors.get(key, 0) + 1
        unchecked = settings().unchecked_visitors_per_address
        if seen_here <= unchecked:
            return True
        # The first check also adds what this instance admitted unchecked.
        added = seen_here if seen_here == unchecked + 1 else 1
        if (
            self.storage.count_address(site_id, address, day, now, added)
            <= settings().max_visitors_per_address
        ):
            return True
        if len(self._capped) > 10_000:
            self._capped.clear()
        self._capped.add(key)
        return False

    def _count_page_view_only(self, site: Site, day: date, now: float, view: PageView) -> HitStats:
        increment = Increment({"visits": 0, "pageviews": 1}, window=window(now))
        if site.mode == "buffered":
            return self._buffer(site, view, increment, day, now)
        return self._answer(site, self.count(site, increment, day), increment, now, view)

    def _answer(
        self, site: Site, record: DayRecord, increment: Increment, now: float, view: PageView
    ) -> HitStats:
        if view.path is not None:  # the hit's third request at most: one page item
            self.storage.add_page_view(site.id, record.day, normalise_path(view.path))
        # "counted": whether the figure this site shows went up (a repeat inside a visit adds a
        # page view but no visit).
        counted = increment.counts[site.count] > 0
        return self.hit_stats_of(site, record, record.day, now, counted)

    def _buffer(
        self, site: Site, view: PageView, increment: Increment, day: date, now: float
    ) -> HitStats:
        """Queues a counted hit; answers the last aggregated figures plus this hit."""
        if self.queue is None:
            raise RuntimeError("site mode is buffered but this function has no QUEUE_URL")
        assert increment.window is not None
        self.queue.send(
            BufferedHit(
                id=secrets.token_hex(16),
                site=site.id,
                day=day,
                visits=increment.counts["visits"],
                window=increment.window,
                first_in_window=increment.first_in_window,
                new_since_previous=increment.new_since_previous,
                path=normalise_path(view.path) if view.path is not None else None,
            )
        )
        figures = self._figures(site, self._aggregated_day(site, day), day, now)
        added = increment.counts[site.count]
        for name in ("today", "month", "year", "total"):
            figures[name] += added
        return HitStats.model_construct(**figures, counted=added > 0, buffered=True)

    def _aggregated_day(self, site: Site, day: date) -> DayRecord | None:
        now = time.monotonic()
        cached = self._aggregated.get(site.id)
        if cached and cached[0] > now:
            return cached[1]
        record = self.storage.latest_day(site.id, day)
        self._aggregated[site.id] = (now + settings().buffered_figures_cache_seconds, record)
        return record

    def count_batch(self, group: Group) -> int:
        """Adds a group of buffered hits, each at most once whatever the redeliveries.

        Returns how many hits were added to the day now (the others had been before).
        Steady state: one transaction per 99 hits (the day's ADD and the hit
        markers); the day's first batch also seals the previous day and opens
        this one with its bases, exactly as a direct hit does. Then one
        transaction per path and 99 hits for the page views, with their own
        markers: a failure there fails the group, and its redelivery adds to the
        day nothing twice. Page views go to the hits' own day (a direct hit's
        go to the day it was counted on: the same but for a hit racing midnight).
        """
        site = self.site(group.site)
        expires_at = int(self.clock().timestamp()) + MARKER_TTL_SECONDS

        def add_to_day(chunk: list[BufferedHit], marker: HitMarkers) -> Batched:
            result = self._count(site, increment_of(chunk, group.window), group.day, marker)
            assert isinstance(result, Batched)
            return result

        def add_to_page(path: str, chunk: list[BufferedHit], marker: HitMarkers) -> Batched:
            return self.storage.add_page_views_once(site.id, group.day, path, marker)

        added = sum(
            self._add_once(chunk, expires_at, add_to_day) for chunk in group.chunks(MAX_MARKERS)
        )
        for path, chunk in group.page_chunks(MAX_MARKERS):
            self._add_once(chunk, expires_at, partial(add_to_page, path))
        return added

    def _add_once(
        self,
        chunk: list[BufferedHit],
        expires_at: int,
        write: Callable[[list[BufferedHit], HitMarkers], Batched],
    ) -> int:
        """Writes a chunk of hits with their markers; returns how many were new."""
        conflicts = 0
        while chunk:
            try:
                result = write(chunk, HitMarkers(tuple(hit.id for hit in chunk), expires_at))
            except TransactionConflictError:
                conflicts += 1
                if conflicts > CONFLICT_RETRIES:
                    raise
                time.sleep(random.uniform(0.01, 0.05) * conflicts)
                continue
            if not result.already_counted:
                return len(chunk)
            # Delivered before: add the rest without them (nothing was written).
            chunk = [hit for hit in chunk if hit.id not in result.already_counted]
        return 0

    def count(self, site: Site, increment: Increment, day: date | None = None) -> DayRecord:
        """Adds to the site's day (today by default) and returns the day's record.

        Steady state: one request. The day's first hit also seals the previous
        active day and opens this one with its bases: two more, once a day.
        """
        result = self._count(site, increment, day or local_date(site.timezone, self.clock()))
        assert isinstance(result, DayRecord)
        return result

    def _count(
        self, site: Site, increment: Increment, day: date, marker: HitMarkers | None = None
    ) -> DayRecord | Batched:
        target = day
        for _ in range(MAX_STEPS):
            added = self.storage.add(site.id, target, increment, marker)
            if added is None:
                added = self._open(site.id, target, increment, marker)
            if not isinstance(added, Sealed):
                return added
            target = added.by  # that day is over and a later one has begun: count there
        raise RuntimeError(f"could not count a hit for {site.id} on {target}")

    def _open(
        self, site_id: str, day: date, increment: Increment, marker: HitMarkers | None = None
    ) -> DayRecord | Sealed | Batched:
        for _ in range(MAX_STEPS):
            previous = self.storage.last_day_before(site_id, day)
            if previous is not None:
                sealed = self.storage.seal(site_id, previous.day, by=day)
                if isinstance(sealed, Sealed):
                    if sealed.by > day:
                        return sealed
                    # An earlier day sealed it and may not be written yet (its opener
                    # may even have died): open that day ourselves, then look again.
                    self._open(site_id, sealed.by, Increment(dict.fromkeys(METRICS, 0)))
                    continue
                previous = sealed
            return self.storage.open_day(site_id, day, previous, increment, marker)
        raise RuntimeError(f"could not open {day} for {site_id}")

    def _salt(self, day: date) -> bytes:
        """The day's salt: random, shared by this function's instances, deleted within two days."""
        salt = self._salts.get(day)
        if salt is None:
            salt = self.storage.salt(day)
            if salt is None:
                fresh = secrets.token_bytes(32)
                # Kept until the date has ended everywhere (UTC-12), then deleted.
                expires = datetime.combine(day + timedelta(days=2), time_of_day(), UTC)
                if self.storage.create_salt(day, fresh, int(expires.timestamp())):
                    salt = fresh
                    self.storage.delete_salts_before(day - timedelta(days=2))
                else:
                    salt = self.storage.salt(day)
                    assert salt is not None
            self._salts = {
                day: salt,
                **{d: s for d, s in self._salts.items() if d >= day - timedelta(days=1)},
            }
        return salt

    def import_baseline(self, site: Site, baseline: Baseline) -> Stats:
        """Makes the figures on `baseline.date` exactly the imported ones.

        Hits that day add to them and later days follow on. Refused when a later
        day already has traffic, since that day's figures were built without it.
        """
        today = local_date(site.timezone, self.clock())
        if baseline.date > today:
            raise BaselineConflictError(f"{baseline.date} is after the site's today ({today})")
        latest = self.storage.latest_day(site.id, date.max, consistent=True)
        if latest is not None and latest.day > baseline.date:
            raise BaselineConflictError(
                f"the site has counted traffic on {latest.day}, after {baseline.date}; "
                "a baseline must be on or after the last day with traffic"
            )
        previous = self.storage.last_day_before(site.id, baseline.date)
        if previous is not None:
            # Late hits on an earlier day would otherwise be missing from the baseline day's bases.
            self.storage.seal(site.id, previous.day, by=baseline.date)
        bases = Bases(
            yesterday=baseline.yesterday,
            month=baseline.month - baseline.today,
            year=baseline.year - baseline.today,
            total=baseline.total - baseline.today,
        )
        record = self.storage.put_baseline(site.id, baseline.date, baseline.today, bases)
        return self.stats_of(site, record, baseline.date)

    # -- reading ---------------------------------------------------------------------

    def stats(self, site: Site) -> Stats:
        """The figures now, counting nothing: one request."""
        return self.stats_of(site, *self._latest(site))

    def _latest(self, site: Site) -> tuple[DayRecord | None, date, float]:
        """The newest day item on or before the site's today, today, and now."""
        instant = self.clock()
        today = local_date(site.timezone, instant)
        return self.storage.latest_day(site.id, today), today, instant.timestamp()

    def stats_of(
        self, site: Site, record: DayRecord | None, today: date, now: float | None = None
    ) -> Stats:
        return Stats.model_construct(**self._figures(site, record, today, now))

    def hit_stats_of(
        self, site: Site, record: DayRecord | None, today: date, now: float, counted: bool
    ) -> HitStats:
        return HitStats.model_construct(**self._figures(site, record, today, now), counted=counted)

    def _figures(
        self, site: Site, record: DayRecord | None, today: date, now: float | None
    ) -> dict[str, Any]:
        # Plain ints and strings computed here: no validation needed on the hit path.
        figures = figures_on(record, today, site.count)
        now = self.clock().timestamp() if now is None else now
        return {
            "site": site.id,
            "timezone": site.timezone,
            "date": today,
            "today": figures.today,
            "yesterday": figures.yesterday,
            "month": figures.month,
            "year": figures.year,
            "total": figures.total,
            "online": online(record.first_in_window, record.new_since_previous, now)
            if record
            else 0,
        }


@cache
def default_counter() -> Counter:
    """The counter of this function instance, on the configured table."""
    import boto3
    from botocore.config import Config

    config = settings()
    # Storage retries by itself, knowing which requests are safe to re-send.
    client = boto3.client(
        "dynamodb",
        config=Config(
            connect_timeout=config.dynamodb_connect_timeout,
            read_timeout=config.dynamodb_read_timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
    )
    queue = HitQueue(config.queue_url) if config.queue_url else None
    return Counter(Storage(client, config.table_name, config.dynamodb_max_attempts), queue=queue)
