"""Importing a previous counter's history: rows in, checked, stored once per period.

Parsing, NukeViet's table, the checks and the roll-up are pure
(`counters.imported.rows`, `counters.imported.nukeviet`, `counters.imported.checks`); storage
is `counters.storage.imported_items`. An import reads the site's first day item and
its earlier imports (two Queries), then writes only the periods that are new or
changed, 25 to a request, and for NukeViet the baseline: nothing is stored
unless every row passes.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from counters.counting.figures import METRICS, Bases, DayRecord, Tally
from counters.counting.periods import local_date
from counters.counting.service import CounterService
from counters.imported.carried import carried_bases
from counters.imported.checks import HistoryConflictError, check_import
from counters.imported.nukeviet import convert
from counters.imported.rows import (
    HistoryRowsError,
    ImportedPeriod,
    periods_from_rows,
    rows_from_csv,
    rows_from_json,
)
from counters.models import Baseline, HistoryImported, Site, Stats

Format = Literal["periods", "nukeviet"]


def import_history(
    counter: CounterService,
    site: Site,
    text: str,
    *,
    is_csv: bool,
    format: Format = "periods",
    dump_date: date | None = None,
) -> HistoryImported:
    """Imports the rows; HistoryRowsError (422) or HistoryConflictError (409) storing nothing."""
    rows = rows_from_csv(text) if is_csv else rows_from_json(text)
    today = local_date(site.timezone, counter.clock())
    store = counter.storage.imported
    first = store.first_day(site.id)
    anchor = first
    baseline: Baseline | None = None
    if format == "nukeviet":
        new, baseline, anchor = _read_dump(counter, site, rows, dump_date, today, first)
    else:
        new = periods_from_rows(rows)
    stored = {period.key: period for period in store.periods(site.id)}
    # Without a baseline, the site's only day (if any) takes its bases from the rows.
    follows = baseline is None and first is not None and _follows_history(first)
    merged = check_import(new, stored.values(), today, anchor, agree=not follows)
    changed = [period for _, period in new if stored.get(period.key) != period]
    figures: Stats | None = None
    if baseline is None:
        written = _store_rows(counter, site.id, first, merged, changed)
    else:
        written = store.put(site.id, changed)
        figures, baseline_written = _import_dump_baseline(counter, site, first, baseline)
        written += baseline_written
    return HistoryImported(
        site=site.id,
        periods=len(new),
        written=written,
        unchanged=len(new) - len(changed),
        baseline=figures,
    )


def _read_dump(
    counter: CounterService,
    site: Site,
    rows: list[dict[str, Any]],
    dump_date: date | None,
    today: date,
    first: DayRecord | None,
) -> tuple[list[tuple[str, ImportedPeriod]], Baseline, DayRecord | None]:
    """A dump's periods, its baseline, and the day item they must agree with."""
    new, baseline = _convert_dump(counter, site, rows, dump_date, today)
    if first is None or first.day >= baseline.date:
        return new, baseline, baseline_record(baseline)
    return new, baseline, first


def _follows_history(first: DayRecord) -> bool:
    return first.from_history and first.sealed_by is None


def _store_rows(
    counter: CounterService,
    site_id: str,
    first: DayRecord | None,
    merged: list[ImportedPeriod],
    changed: list[ImportedPeriod],
) -> int:
    """Stores rows imported without a baseline, which the site's only day (if any) follows:
    the items written."""
    written = 0
    if first is not None and _follows_history(first):
        # The figures first: if storing the rows fails, importing them again stores them.
        written += _carry_into(counter, site_id, first, merged)
    written += counter.storage.imported.put(site_id, changed)
    if first is None:
        written += _carry_into_opened(counter, site_id)
    return written


def _carry_into(
    counter: CounterService, site_id: str, first: DayRecord, periods: list[ImportedPeriod]
) -> int:
    """Sets the first day's bases to what the merged history gives: the items written."""
    carried = carried_bases(periods, first.day)
    if all(first.tally(metric).bases == carried[metric] for metric in METRICS):
        return 0
    if counter.storage.days.rebase_first(site_id, first.day, carried) is None:
        raise HistoryConflictError(
            f"the figures of {first.day} changed during the import (a new day began, or a "
            "baseline was imported): import again"
        )
    return 1


def _carry_into_opened(counter: CounterService, site_id: str) -> int:
    """The site's first hit may have opened its first day during the import, from the rows
    stored before: its bases follow the rows now stored (a Query, and a write if needed)."""
    first = counter.storage.imported.first_day(site_id)
    if first is None:
        return 0
    return 1 if counter.daybook.carry_history(site_id, first) is not None else 0


def _convert_dump(
    counter: CounterService,
    site: Site,
    rows: list[dict[str, Any]],
    dump_date: date | None,
    today: date,
) -> tuple[list[tuple[str, ImportedPeriod]], Baseline]:
    """A NukeViet dump's history and baseline, if no counted day is after the dump's date."""
    if dump_date is None:
        raise HistoryRowsError([("date", "the dump's date is required with format=nukeviet")])
    if dump_date > today:
        raise HistoryRowsError([("date", f"{dump_date} is after the site's today ({today})")])
    new, baseline = convert(rows, dump_date, site.timezone)
    latest = counter.storage.days.latest(site.id, date.max, consistent=True)
    if latest is not None and latest.day > dump_date:
        raise HistoryConflictError(
            f"the site has counted traffic on {latest.day}, after the dump's date {dump_date}"
        )
    return new, baseline


def _import_dump_baseline(
    counter: CounterService, site: Site, first: DayRecord | None, baseline: Baseline
) -> tuple[Stats, int]:
    """The site's figures with the dump's baseline, and the items written for it (0 or 1)."""
    if first is not None and _same_baseline(first, baseline_record(baseline)):
        return counter.stats(site), 0  # imported before: hits since then stay counted
    return counter.import_baseline(site, baseline), 1


def check_baseline(counter: CounterService, site: Site, baseline: Baseline) -> None:
    """A baseline must agree with the history imported before it (one Query), as rows must."""
    stored = counter.storage.imported.periods(site.id)
    if stored:
        today = local_date(site.timezone, counter.clock())
        earlier = [(f"imported earlier ({period.label})", period) for period in stored]
        check_import(earlier, [], today, baseline_record(baseline))


def baseline_record(baseline: Baseline) -> DayRecord:
    """The day item a baseline makes (see `CounterService.import_baseline`)."""
    bases = Bases(
        yesterday=baseline.yesterday,
        month=baseline.month - baseline.today,
        year=baseline.year - baseline.today,
        total=baseline.total - baseline.today,
    )
    return DayRecord(
        day=baseline.date, tallies=dict.fromkeys(METRICS, Tally(count=baseline.today, bases=bases))
    )


def _same_baseline(stored: DayRecord, wanted: DayRecord) -> bool:
    return stored.day == wanted.day and all(
        stored.tally(m).bases == wanted.tally(m).bases for m in METRICS
    )
