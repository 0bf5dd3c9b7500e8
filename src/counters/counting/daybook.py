"""Adding to a site's days: the day item of a date, opened and sealed in order.

The first write of a day *opens* it: it finds the last active day (one Query),
*seals* it (a conditional update that returns its final counts and refuses any
later increment), and writes the new day's bases with `if_not_exists`, so racing
openers agree. A write that finds its day sealed goes to the day that sealed it:
nothing is lost from the bases. An opener that dies between sealing and opening
is finished by the next one. See `counters.counting.figures` for the arithmetic.

The site's first day has no day before it: its bases come from the history imported
before it (`counters.imported.carried`), read when it opens and again after (an import
storing rows meanwhile sets them anew; so does an import while it is the only day).
"""

from __future__ import annotations

from datetime import date

from counters.counting.figures import METRICS, Bases, DayRecord, Tally
from counters.imported.carried import carried_bases
from counters.models import Baseline
from counters.storage import AddedBefore, Guard, Increment, Sealed, Storage

# A write follows at most this many sealed days or openings before giving up; in
# practice one or two (a hit that raced the day's first hit across midnight).
MAX_STEPS = 8


class BaselineConflictError(ValueError):
    pass


class DayBook:
    def __init__(self, storage: Storage) -> None:
        self.days = storage.days
        self.imported = storage.imported

    def add(
        self,
        site: str,
        day: date,
        increment: Increment,
        note: str | None = None,
        guard: Guard | None = None,
    ) -> DayRecord | AddedBefore:
        """Adds to the site's day (or the later day that sealed it); returns that day's record.

        Steady state: one request. The day's first write also seals the previous
        active day and opens this one with its bases: two more, once a day. With a
        `guard`, `AddedBefore` says the day item has seen part of the batch.
        """
        target = day
        for _ in range(MAX_STEPS):
            added = self.days.add(site, target, increment, note, guard)
            if added is None:
                added = self._open(site, target, increment, note, guard)
            if not isinstance(added, Sealed):
                return added
            target = added.by  # that day is over and a later one has begun: count there
        raise RuntimeError(f"could not count a hit for {site} on {target}")

    def _open(
        self,
        site: str,
        day: date,
        increment: Increment,
        note: str | None = None,
        guard: Guard | None = None,
    ) -> DayRecord | Sealed | AddedBefore:
        for _ in range(MAX_STEPS):
            previous = self.days.last_before(site, day)
            if previous is not None:
                sealed = self.days.seal(site, previous.day, by=day)
                if isinstance(sealed, Sealed):
                    if sealed.by > day:
                        return sealed
                    # An earlier day sealed it and may not be written yet (its opener
                    # may even have died): open that day ourselves, then look again.
                    self._open(site, sealed.by, Increment(dict.fromkeys(METRICS, 0)))
                    continue
                previous = sealed
            else:
                # No day before this one: the site's first day. A later day may have opened
                # first (hits arriving out of order on a new site): count there instead.
                later = self.days.latest(site, date.max, consistent=True)
                if later is not None and later.day > day:
                    return Sealed(by=later.day)
                return self._open_first(site, day, increment, note, guard)
            return self.days.open(site, day, previous, increment, note, guard)
        raise RuntimeError(f"could not open {day} for {site}")

    def _open_first(
        self,
        site: str,
        day: date,
        increment: Increment,
        note: str | None = None,
        guard: Guard | None = None,
    ) -> DayRecord | Sealed | AddedBefore:
        """Opens the site's first day with the bases its imported history gives.

        Two Queries more, once in a site's life: the history, then again after opening, so
        that rows an import stored between the two count (the import itself only sees this
        day once it is written).
        """
        carried = carried_bases(self.imported.periods(site), day)
        opened = self.days.open(site, day, None, increment, note, guard, from_history=carried)
        if not isinstance(opened, DayRecord):
            return opened
        try:
            return self.carry_history(site, opened) or opened
        except Exception:
            # The hit has counted: nothing after its ADD may fail it (its visitor would be
            # un-seen, and its next hit counted as a new visit). The bases stay those read
            # first; the next import of history sets them again.
            return opened

    def carry_history(self, site: str, first: DayRecord) -> DayRecord | None:
        """Sets the first day's bases to what the imported history gives now, if they follow
        it (opened from history, and still the only day); the new record, or None."""
        if not first.from_history or first.sealed_by is not None:
            return None
        carried = carried_bases(self.imported.periods(site), first.day)
        if all(first.tally(metric).bases == carried[metric] for metric in METRICS):
            return None
        return self.days.rebase_first(site, first.day, carried)

    def history_record(self, site: str, today: date) -> DayRecord | None:
        """A site with no day item yet: `today` as its imported history makes it (one Query),
        or None with no history."""
        periods = self.imported.periods(site)
        if not periods:
            return None
        carried = carried_bases(periods, today)
        return DayRecord(day=today, tallies={m: Tally(bases=carried[m]) for m in METRICS})

    def import_baseline(self, site: str, baseline: Baseline, today: date) -> DayRecord:
        """Makes the figures on `baseline.date` exactly the imported ones.

        Hits that day add to them and later days follow on. Refused when a later
        day already has traffic, since that day's figures were built without it.
        """
        if baseline.date > today:
            raise BaselineConflictError(f"{baseline.date} is after the site's today ({today})")
        latest = self.days.latest(site, date.max, consistent=True)
        if latest is not None and latest.day > baseline.date:
            raise BaselineConflictError(
                f"the site has counted traffic on {latest.day}, after {baseline.date}; "
                "a baseline must be on or after the last day with traffic"
            )
        previous = self.days.last_before(site, baseline.date)
        if previous is not None:
            # Late hits on an earlier day would otherwise be missing from the baseline day's bases.
            self.days.seal(site, previous.day, by=baseline.date)
        bases = Bases(
            yesterday=baseline.yesterday,
            month=baseline.month - baseline.today,
            year=baseline.year - baseline.today,
            total=baseline.total - baseline.today,
        )
        return self.days.put_baseline(site, baseline.date, baseline.today, bases)
