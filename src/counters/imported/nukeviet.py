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

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from counters.counting.periods import local_date, month_end
from counters.imported.rows import MAX_COUNT, HistoryRowsError, ImportedPeriod, row_label
from counters.models import Baseline

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
COLUMNS = {"c_type", "c_val", "c_count"}


class _RowProblem(Exception):
    """What is wrong with one row (the answer names the row with it)."""


def convert(
    rows: list[dict[str, Any]], dump_date: date, timezone: str
) -> tuple[list[tuple[str, ImportedPeriod]], Baseline]:
    """The history before `dump_date` and the baseline of `dump_date`, from the table's rows."""
    problems: list[tuple[str, str]] = []
    periods: list[tuple[str, ImportedPeriod]] = []
    # The figures of the dump's date; "total" is added when its row is read.
    figures = {"today": 0, "yesterday": 0, "month": 0, "year": 0}
    for number, row in enumerate(rows, start=1):
        kind, value = str(row.get("c_type", "")).strip(), str(row.get("c_val", "")).strip()
        label = row_label(number, {"r": f"{kind}/{value}"}, "r")
        try:
            count = _row_count(row, kind)
            period = _read_row(kind, value, count, dump_date, timezone, figures)
        except _RowProblem as exc:
            problems.append((label, str(exc)))
            continue
        if period is not None:
            periods.append((label, period))
    if "total" not in figures:
        problems.append(("total/hits", "the row is missing: dump every row of the table"))
    if problems:
        raise HistoryRowsError(problems)
    return periods, _baseline(dump_date, figures)


def _row_count(row: dict[str, Any], kind: str) -> int:
    if not set(row) >= COLUMNS:
        raise _RowProblem("expected the columns c_type, c_val, c_count")
    try:
        return _count(row["c_count"], kind == "c_time")
    except ValueError as exc:
        raise _RowProblem(str(exc)) from None


def _count(value: Any, is_time: bool) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 16:
        raise ValueError(f"c_count must be a whole number, not {text[:20]!r}")
    count = int(text)
    if count > MAX_COUNT and not is_time:
        raise ValueError(f"c_count is over {MAX_COUNT}")
    return count


def _read_row(
    kind: str, value: str, count: int, dump_date: date, timezone: str, figures: dict[str, int]
) -> ImportedPeriod | None:
    """The period of history a row holds, if any; a figure of the dump's date goes in `figures`.

    Rows this importer does not read (hours, browsers, countries...) hold nothing.
    """
    if kind == "total" and value == "hits":
        figures["total"] = count
    elif kind == "c_time" and value == "last":
        _check_last_request(count, dump_date, timezone)
    elif kind in _PERIOD_ROWS:
        return _PERIOD_ROWS[kind](value, count, dump_date, figures)
    return None


def _check_last_request(count: int, dump_date: date, timezone: str) -> None:
    """The day rows are of the last counted request's local date: it must be the dump's."""
    if not count:
        return
    try:
        last = local_date(timezone, datetime.fromtimestamp(count, UTC))
    except (ValueError, OverflowError, OSError):
        raise _RowProblem(f"{count} is not a Unix time") from None
    if last != dump_date:
        raise _RowProblem(
            f"the last counted request was on {last} in {timezone}, "
            f"so the day rows are of {last}: import with date={last}"
        )


def _year_row(
    value: str, count: int, dump_date: date, figures: dict[str, int]
) -> ImportedPeriod | None:
    year = _number(value) if len(value) == 4 else None
    if not year:  # year 0 is no date
        return None
    if year < dump_date.year:
        return ImportedPeriod("year", date(year, 1, 1), visits=count)
    if year == dump_date.year:
        figures["year"] = count
    elif count:
        raise _RowProblem(f"{count} visits in a year after {dump_date}")
    return None


def _month_row(
    value: str, count: int, dump_date: date, figures: dict[str, int]
) -> ImportedPeriod | None:
    if value not in MONTHS:
        return None
    month = MONTHS.index(value) + 1
    if month < dump_date.month:
        return ImportedPeriod("month", date(dump_date.year, month, 1), visits=count)
    if month == dump_date.month:
        figures["month"] = count
    elif count:
        raise _RowProblem(f"{count} visits in a month after {dump_date}")
    return None


def _day_row(
    value: str, count: int, dump_date: date, figures: dict[str, int]
) -> ImportedPeriod | None:
    day = _number(value)
    if day is None or not 1 <= day <= 31:
        return None
    if day < dump_date.day:
        if day == dump_date.day - 1:
            figures["yesterday"] = count
        return ImportedPeriod("day", dump_date.replace(day=day), visits=count)
    if day == dump_date.day:
        figures["today"] = count
    elif count:
        after = "after" if day <= month_end(dump_date).day else "not in the month of"
        raise _RowProblem(f"{count} visits on a day {after} {dump_date}")
    return None


def _number(text: str) -> int | None:
    """A number in ASCII digits, as NukeViet writes them ("2019", "07"); else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 16 else None


# c_type -> how its row reads: a period before the dump's date, or a figure of that date.
_PERIOD_ROWS: dict[str, Callable[[str, int, date, dict[str, int]], ImportedPeriod | None]] = {
    "year": _year_row,
    "month": _month_row,
    "day": _day_row,
}


def _baseline(dump_date: date, figures: dict[str, int]) -> Baseline:
    try:
        return Baseline(date=dump_date, **figures)
    except ValidationError as exc:
        raise HistoryRowsError(
            [("baseline of " + dump_date.isoformat(), e["msg"]) for e in exc.errors()]
        ) from None
