"""Closed days' report items copied into month rollups, once a day (the nightly job).

The report aggregator writes only day items; reads of long ranges want month rollups
(`counters.storage.rollup_items`). The nightly job, after its rebuild of the day before
yesterday, copies each site's days up to that day (`close`): every dimension's items of
a day, then the watermark moves to it. A copy holds absolute figures, so a run cut short
and run again writes the same; a day is read from the rollups only once the watermark
says it is copied whole. Then, with the time the run has left, it copies up to
`BACKFILL_DAYS` older days of each site (days before the first copy, aggregated before
rollups existed), moving the watermark's first day back after each, until the site has
no day item (no traffic) before it (`backfill_older`); `backfill` copies down to a
given day (operators, `visit-counter rollup`), a request at a time.

A rebuild rewrites a day's items; `recopy` then copies the day again if the rollups
hold it, removing the values the rebuilt day no longer has.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from counters.archive.schema import FACTS, MANY_FACTS
from counters.storage import Storage
from counters.storage.rollup_items import Watermark

# Every dimension a hit's note can be counted under (counters.aggregation.batches.report_values).
REPORT_DIMENSIONS = (*FACTS, *MANY_FACTS, "hour", "page")
# Days copied forward in one run at most (a site whose nightly runs were missed catches up).
CATCH_UP_DAYS = 31
# Days before the first copied day backfilled in one run at most.
BACKFILL_DAYS = 31

ONE_DAY = timedelta(days=1)


class Rollups:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def copy_days(self, site: str, first: date, last: date, *, clean: bool = False) -> int:
        """Every dimension's report items of `first` to `last` into the rollups (one Query
        a month and dimension, one write per item); `clean`: also remove copies of values
        a day no longer has (a rebuilt day). How many items were copied."""
        copied = 0
        for dimension in REPORT_DIMENSIONS:
            rows = list(self.storage.reports.rows(site, dimension, first, last))
            for row in rows:
                self.storage.rollups.copy(site, dimension, row)
            copied += len(rows)
            if clean:
                self._clean(site, dimension, first, last, {(r.day, r.value) for r in rows})
        return copied

    def _clean(
        self, site: str, dimension: str, first: date, last: date, kept: set[tuple[date, str]]
    ) -> None:
        day = first
        while day <= last:
            for value in self.storage.rollups.copied_values(site, dimension, day):
                if (day, value) not in kept:
                    self.storage.rollups.remove(site, dimension, day, value)
            day += ONE_DAY

    def close(self, site: str, day: date) -> Watermark:
        """The nightly copy: the days after the watermark up to `day` (a closed day)."""
        rollups = self.storage.rollups
        mark = rollups.watermark(site)
        if mark is None:
            return self._start(site, day)
        if mark.through < day:
            last = min(day, mark.through + timedelta(days=CATCH_UP_DAYS))
            self.copy_days(site, mark.through + ONE_DAY, last)
            mark = Watermark(mark.first, last, mark.backfilled)
            rollups.set_watermark(site, mark)
        return mark

    def backfill_older(self, site: str, more: Callable[[], bool]) -> Watermark | None:
        """The nightly backfill: up to BACKFILL_DAYS days before the watermark's first day,
        newest first, moving it back after each, while `more()` (the run's time left: a
        big site's days take minutes) and until the site has no day item before it."""
        rollups = self.storage.rollups
        mark = rollups.watermark(site)
        for _ in range(BACKFILL_DAYS):
            if mark is None or mark.backfilled or not more():
                break
            day = mark.first - ONE_DAY
            self.copy_days(site, day, day)
            # No day item before it: the site's traffic began after (gaps do not stop it).
            done = not self.storage.days.any_before(site, day)
            mark = Watermark(day, mark.through, backfilled=done)
            rollups.set_watermark(site, mark)
        return mark

    def backfill(self, site: str, first: date, today: date) -> Watermark:
        """Copies up to BACKFILL_DAYS days before the watermark's first day, not before
        `first`, and moves it back (operators: days aggregated before rollups existed; a
        site never rolled up first gets the day before yesterday, as the nightly job would)."""
        rollups = self.storage.rollups
        mark = rollups.watermark(site) or self._start(site, today - timedelta(days=2))
        if first >= mark.first:
            return mark
        start = max(first, mark.first - timedelta(days=BACKFILL_DAYS))
        self.copy_days(site, start, mark.first - ONE_DAY)
        mark = Watermark(start, mark.through, mark.backfilled)
        rollups.set_watermark(site, mark)
        return mark

    def _start(self, site: str, day: date) -> Watermark:
        """A site's first copied day: `day`, a closed one."""
        self.copy_days(site, day, day)
        mark = Watermark(day, day)
        self.storage.rollups.set_watermark(site, mark)
        return mark

    def recopy(self, site: str, day: date) -> bool:
        """Copies a rebuilt day again if the rollups hold it; whether they do."""
        mark = self.storage.rollups.watermark(site)
        if mark is None or mark.days(day, day) is None:
            return False
        self.copy_days(site, day, day, clean=True)
        return True
