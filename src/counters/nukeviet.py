"""NukeViet's counter table as imported history and a baseline (pure logic).

NukeViet 4 (`includes/core/stat.php`) keeps `<prefix>_counter` rows
`(c_type, c_val, c_count)` and adds 1 to `total/hits`, `year/{YYYY}`,
`month/{Jan..Dec}`, `day/{01..31}` and `hour/{00..23}` (and browser, os...)
for each request that carries no `statistic_{lang}` cookie, then sets that
cookie for 30 minutes: c_count counts *visits* (sessions of at most 30 minutes),
not page views. On the first counted request of a new year it zeroes the months,
days and hours; of a new month, the days and hours; of a new day, the hours. So
a dump taken on date D holds every year since install, the months of D's year up
to D's, the days of D's month up to D, and `c_time/last` holds the Unix time of
the last counted request (whose local date the day rows belong to).

Years, months and days before D become imported history (visits only); D's
day, month, year and the total become the baseline of D.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from counters.imported import MAX_COUNT, HistoryRowsError, ImportedPeriod, row_label
from counters.models import Baseline
from counters.periods import local_date, month_end

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COLUMNS = {"c_type", "c_val", "c_count"}


def convert(
    rows: list[dict[str, Any]], dump_date: date, timezone: str
) -> tuple[list[tuple[str, ImportedPeriod]], Baseline]:
    """The history before `dump_date` and the baseline of `dump_date`, from the table's rows."""
    problems: list[tuple[str, str]] = []
    periods: list[tuple[str, ImportedPeriod]] = []
    current = {"today": 0, "yesterday": 0, "month": 0, "year": 0}
    total: int | None = None
    last_day = month_end(dump_date).day
    for number, row in enumerate(rows, start=1):
        kind, value = str(row.get("c_type", "")).strip(), str(row.get("c_val", "")).strip()
        label = row_label(number, {"r": f"{kind}/{value}"}, "r")
        if not set(row) >= COLUMNS:
            problems.append((label, "expected the columns c_type, c_val, c_count"))
            continue
        try:
            count = _count(row["c_count"], kind == "c_time")
        except ValueError as exc:
            problems.append((label, str(exc)))
            continue
        period: ImportedPeriod | None = None
        if kind == "total" and value == "hits":
            total = count
        elif kind == "c_time" and value == "last" and count:
            try:
                last = local_date(timezone, datetime.fromtimestamp(count, UTC))
            except (ValueError, OverflowError, OSError):
                problems.append((label, f"{count} is not a Unix time"))
                continue
            if last != dump_date:
                problems.append(
                    (
                        label,
                        f"the last counted request was on {last} in {timezone}, "
                        f"so the day rows are of {last}: import with date={last}",
                    )
                )
        elif kind == "year" and value.isdigit() and len(value) == 4:
            year = int(value)
            if year < dump_date.year:
                period = ImportedPeriod("year", date(year, 1, 1), visits=count)
            elif year == dump_date.year:
                current["year"] = count
            elif count:
                problems.append((label, f"{count} visits in a year after {dump_date}"))
        elif kind == "month" and value in MONTHS:
            month = MONTHS.index(value) + 1
            if month < dump_date.month:
                period = ImportedPeriod("month", date(dump_date.year, month, 1), visits=count)
            elif month == dump_date.month:
                current["month"] = count
            elif count:
                problems.append((label, f"{count} visits in a month after {dump_date}"))
        elif kind == "day" and value.isdigit() and 1 <= int(value) <= 31:
            day = int(value)
            if day < dump_date.day:
                period = ImportedPeriod("day", dump_date.replace(day=day), visits=count)
                if day == dump_date.day - 1:
                    current["yesterday"] = count
            elif day == dump_date.day:
                current["today"] = count
            elif count:
                after = "after" if day <= last_day else "not in the month of"
                problems.append((label, f"{count} visits on a day {after} {dump_date}"))
        if period is not None:
            periods.append((label, period))
    if total is None:
        problems.append(("total/hits", "the row is missing: dump every row of the table"))
    if problems or total is None:
        raise HistoryRowsError(problems)
    try:
        baseline = Baseline(date=dump_date, total=total, **current)
    except ValidationError as exc:
        raise HistoryRowsError(
            [("baseline of " + dump_date.isoformat(), e["msg"]) for e in exc.errors()]
        ) from None
    return periods, baseline


def _count(value: Any, is_time: bool) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 16:
        raise ValueError(f"c_count must be a whole number, not {text[:20]!r}")
    count = int(text)
    if count > MAX_COUNT and not is_time:
        raise ValueError(f"c_count is over {MAX_COUNT}")
    return count
