"""The counter's operations, free of HTTP and AWS event shapes.

`CounterService` counts hits and reads figures for registered sites. It keeps
each site's settings for a few seconds per warm function, so that the
steady-state hit is two DynamoDB requests: the visitor, then the day item
(whose one ADD yields all five figures and carries the hit's note to the
aggregators). A high-traffic ("buffered") site's hit writes only the visitor,
with its note; the day aggregator adds it to the day item within seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache, partial

from counters.aggregation.notes import HitNote, bot_note, counted_note, with_visit
from counters.counting.admission import AddressCap
from counters.counting.admission import Key as AddressKey
from counters.counting.conversions import first_reached, goal_mark, goal_names
from counters.counting.daybook import BaselineConflictError, DayBook
from counters.counting.engagement import VisitState, engage
from counters.counting.figures import DayRecord, figures_answer
from counters.counting.periods import local_date
from counters.counting.salts import DailySalts
from counters.counting.visits import (
    PageView,
    address_id,
    sighting,
    skip_reason,
    visit_id,
    visitor_id,
    window,
)
from counters.models import Baseline, HitStats, Site, SiteSettings, Stats
from counters.settings import settings
from counters.storage import Increment, OutcomeUnknownError, Storage
from counters.storage.client import dynamodb_client
from counters.storage.visitor_items import NotFound

__all__ = [
    "BaselineConflictError",
    "CounterService",
    "ForbiddenOriginError",
    "UnknownSiteError",
    "default_service",
]


class UnknownSiteError(LookupError):
    pass


class ForbiddenOriginError(PermissionError):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


class CounterService:
    def __init__(self, storage: Storage, clock: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.clock = clock
        self.daybook = DayBook(storage)
        self.salts = DailySalts(storage.salts)
        self.address_cap = AddressCap(storage.visitors)
        self._sites: dict[str, tuple[float, Site | None]] = {}
        # High-traffic sites: the last aggregated day record, per site and day, and until when
        # to keep it (another day, as a clock moved by a test or at midnight, reads anew).
        self._aggregated: dict[str, tuple[float, date, DayRecord | None]] = {}
        # ...and the lane of the last hit: lanes are taken in turn from a random one.
        self._lane = secrets.randbelow(settings().lanes_per_site)

    # -- sites -------------------------------------------------------------------

    def site(self, site_id: str) -> Site:
        """A registered site's settings, cached briefly; `UnknownSiteError` if none."""
        now = time.monotonic()
        cached = self._sites.get(site_id)
        if cached and cached[0] > now:
            found = cached[1]
        else:
            found = self.storage.sites.get(site_id)
            ttl = settings().site_cache_seconds if found else settings().unknown_site_cache_seconds
            self._sites[site_id] = (now + ttl, found)
        if found is None:
            raise UnknownSiteError(f"site {site_id!r} is not registered")
        return found

    def save_site(self, site_id: str, site_settings: SiteSettings) -> Site:
        site = Site(id=site_id, **site_settings.model_dump())
        self.storage.sites.put(site)
        self._sites.pop(site_id, None)
        return site

    # -- counting ------------------------------------------------------------------

    def record_hit(self, site: Site, view: PageView) -> HitStats:
        """Counts a page view unless it must be skipped, and answers the figures.

        Requests: 2 to count (the visitor, then the day item); 1 for a high-traffic
        site (the visitor, with the hit's note) plus a read of the aggregated figures
        every few seconds per warm function; 1 to skip. The first hit of a day or
        after a settings change costs a few more, once, and so do new visitors from
        an address that brought many today (see `counters.counting.admission`).
        """
        if view.origin and site.allowed_origins and view.origin not in site.allowed_origins:
            raise ForbiddenOriginError(f"origin {view.origin!r} may not count hits on {site.id!r}")
        instant = self.clock()
        reason = skip_reason(view)
        if reason == "bot":
            return self._bot_seen(site, view, instant)
        if reason is not None:
            return self._skipped(site, instant)
        return self._count(site, view, instant)

    def _count(self, site: Site, view: PageView, instant: datetime) -> HitStats:
        # Milliseconds, as the visitor item stores them: the aggregator reads a
        # high-traffic hit's flags off the stored `seen`, and must find the same.
        now = round(instant.timestamp(), 3)
        note = counted_note(site, view, instant)
        salt = self.salts.of(note.day)
        key = (site.id, note.day, address_id(salt, site.id, view.client_ip))
        buffered = site.mode == "buffered"
        # A high-traffic hit reads first: after its one write nothing may fail.
        aggregated = self._aggregated_day(site, note.day) if buffered else None
        visitor = visitor_id(salt, site.id, view.client_ip, view.user_agent)
        old = self._see(key, visitor, note, now, note.encode() if buffered else None)
        if isinstance(old, NotFound):
            # A new visitor in a minute its address is full: no item for this one.
            return self._count_page_view_only(site, note, now)
        timeout = site.visit_timeout_minutes * 60
        seen = sighting(old.seen if old else None, now, timeout)
        visit = engage(old, now, note.path, timeout)
        increment = Increment(
            counts={"visits": int(seen.new_visit), "pageviews": 1},
            windows={seen.window: (seen.first_in_window, seen.new_since_previous)},
            engagement={"bounces": visit.bounces, "duration_ms": visit.duration_ms},
        )
        if buffered:
            self.storage.visitors.restart(site.id, visitor, note.day, visit.restart)
            return self._buffered_answer(site, aggregated, note.day, increment, now)
        reached = first_reached(old, now, timeout, goal_names(note.facts))
        note = with_visit(note, seen, visit, reached, visit_id(visitor, visit.start or now))
        try:
            record = self.daybook.add(site.id, note.day, increment, note.encode())
        except OutcomeUnknownError:
            raise  # the hit may have counted: its visitor must stay seen
        except Exception:
            # Surely not counted: forget this sighting, so that the visitor's next hit
            # still opens the visit this one would have.
            self.storage.visitors.unsee(site.id, visitor, note.day, note.token, old)
            raise
        assert isinstance(record, DayRecord)
        # A returning visit's second hit: its start, for its later hits (one more write).
        self.storage.visitors.restart(site.id, visitor, note.day, visit.restart)
        return self._answer(site, record, increment, now)

    def _see(
        self, key: AddressKey, visitor: str, note: HitNote, now: float, noted: str | None
    ) -> VisitState | None | NotFound:
        """Writes the visitor's sighting (with the note, if any); when it was last seen.

        `NOT_FOUND` when it is new and its address may bring no more new visitors this minute.
        """
        site_id, day = key[0], key[1]
        unchecked = self.address_cap.reserve(key)
        marks = [goal_mark(name) for name in goal_names(note.facts)]  # its page goals
        see = partial(self.storage.visitors.see, site_id, visitor, day, now, note.token)
        old = see(must_exist=not unchecked, note=noted, path=note.path, marks=marks)
        if isinstance(old, NotFound):
            if not self.address_cap.admit(key, now):
                return old
            old = see(note=noted, path=note.path, marks=marks)
            assert not isinstance(old, NotFound)
        elif unchecked and old is not None:
            self.address_cap.release(key)  # a returning visitor: no new item was made
        return old

    def _count_page_view_only(self, site: Site, note: HitNote, now: float) -> HitStats:
        """A refused new visitor's hit: a page view, no visit, and no visitor item of its own."""
        note = replace(note, visit_timeout=None)  # its flags are its own: no visit
        increment = Increment({"visits": 0, "pageviews": 1}, windows={note.window: (0, 0)})
        if site.mode == "buffered":
            return self._buffer(site, note, increment, now)
        record = self.daybook.add(site.id, note.day, increment, note.encode())
        assert isinstance(record, DayRecord)
        return self._answer(site, record, increment, now)

    def _answer(self, site: Site, record: DayRecord, increment: Increment, now: float) -> HitStats:
        # "counted": whether the figure this site shows went up (a repeat inside a visit adds a
        # page view but no visit).
        counted = increment.counts[site.count] > 0
        return self.hit_stats_of(site, record, record.day, now, counted)

    def _skipped(self, site: Site, instant: datetime) -> HitStats:
        """A hit not counted: the figures, in one request."""
        return self.hit_stats_of(site, *self._latest(site, instant), counted=False)

    def _bot_seen(self, site: Site, view: PageView, instant: datetime) -> HitStats:
        """A bot's hit: never in the figures, but its family is reported (one request).

        Its note rides on the day item (a write that adds nothing and answers the
        figures), or on a lane of a high-traffic site. A day not opened yet (its
        first hit is a bot's) is read instead, and that bot goes unreported.
        """
        now = instant.timestamp()
        note = bot_note(site, view.user_agent, instant)
        day = note.day
        if site.mode == "buffered":
            return self._buffer(site, note, Increment({"visits": 0, "pageviews": 0}), now)
        seen = self.storage.days.add(site.id, day, Increment({}), note.encode())
        if isinstance(seen, DayRecord):
            return self.hit_stats_of(site, seen, day, now, counted=False)
        return self._skipped(site, instant)

    def _buffer(self, site: Site, note: HitNote, increment: Increment, now: float) -> HitStats:
        """A high-traffic hit with no visitor item of its own (a bot, a capped address): its
        note on one of the site's lanes (the aggregator adds it to the day within seconds)."""
        aggregated = self._aggregated_day(site, note.day)
        self._lane = (self._lane + 1) % settings().lanes_per_site
        self.storage.lanes.put_note(site.id, self._lane, note.encode())
        return self._buffered_answer(site, aggregated, note.day, increment, now)

    def _buffered_answer(
        self,
        site: Site,
        aggregated: DayRecord | None,
        day: date,
        increment: Increment,
        now: float,
    ) -> HitStats:
        """The last aggregated figures plus this hit (and its visitor, if new to "online")."""
        figures = figures_answer(site, aggregated, day, now)
        added = increment.counts.get(site.count, 0)
        for name in ("today", "month", "year", "total"):
            figures[name] += added
        # Not seen in this window or the one before: in no aggregated "online" yet.
        figures["online"] += increment.windows.get(window(now), (0, 0))[1]
        return HitStats.model_construct(**figures, counted=added > 0, buffered=True)

    def _aggregated_day(self, site: Site, day: date) -> DayRecord | None:
        now = time.monotonic()
        cached = self._aggregated.get(site.id)
        if cached and cached[0] > now and cached[1] == day:
            return cached[2]
        record = self.latest_record(site, day)
        expires = now + settings().buffered_figures_cache_seconds
        self._aggregated[site.id] = (expires, day, record)
        return record

    def import_baseline(self, site: Site, baseline: Baseline) -> Stats:
        """Makes the figures on `baseline.date` exactly the imported ones (see DayBook)."""
        today = local_date(site.timezone, self.clock())
        record = self.daybook.import_baseline(site.id, baseline, today)
        return self.stats_of(site, record, baseline.date)

    # -- reading ---------------------------------------------------------------------

    def stats(self, site: Site) -> Stats:
        """The figures now, counting nothing: one request."""
        return self.stats_of(site, *self._latest(site, self.clock()))

    def _latest(self, site: Site, instant: datetime) -> tuple[DayRecord | None, date, float]:
        """The newest day item on or before the site's today, today, and now."""
        today = local_date(site.timezone, instant)
        return self.latest_record(site, today), today, instant.timestamp()

    def latest_record(self, site: Site, today: date) -> DayRecord | None:
        """The newest day item on or before `today`: one Query. A site with none yet reads
        its imported history instead (one more), so that its figures agree with its series."""
        record = self.storage.days.latest(site.id, today)
        return record if record is not None else self.daybook.history_record(site.id, today)

    def stats_of(
        self, site: Site, record: DayRecord | None, today: date, now: float | None = None
    ) -> Stats:
        now = self.clock().timestamp() if now is None else now
        return Stats.model_construct(**figures_answer(site, record, today, now))

    def hit_stats_of(
        self, site: Site, record: DayRecord | None, today: date, now: float, counted: bool
    ) -> HitStats:
        return HitStats.model_construct(**figures_answer(site, record, today, now), counted=counted)


@cache
def default_service() -> CounterService:
    """The counter service of this function instance, on the configured table."""
    config = settings()
    return CounterService(
        Storage(dynamodb_client(), config.table_name, config.dynamodb_max_attempts)
    )
