"""A previous counter's history: imported periods, their rows, and how they roll up (pure logic).

An imported period is a year (`YYYY`), a month (`YYYY-MM`) or a day (`YYYY-MM-DD`)
with its visits and page views, either of which may be unknown (`None`: NukeViet,
for one, counts no page views). Finer periods roll up into coarser ones that were
not imported themselves (days into their month, months into their year); a finer
period inside one imported only as a total is unknown, not zero.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from counters.counting.figures import METRICS, Metric
from counters.counting.periods import month_end

Granularity = Literal["day", "month", "year"]
MAX_ROWS = 8000  # 20 years of days, their months and years: 7,305 + 240 + 20
MAX_COUNT = 10**15
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_KEY_LETTER: dict[Granularity, str] = {"year": "Y", "month": "M", "day": "D"}


class HistoryRowsError(ValueError):
    """Rows that cannot be imported, each named: (the row, the problem)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        shown = "; ".join(f"{row}: {problem}" for row, problem in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{len(problems)} row(s) cannot be imported: {shown}{more}")


@dataclass(frozen=True)
class ImportedPeriod:
    granularity: Granularity
    start: date
    visits: int | None = None
    pageviews: int | None = None

    @property
    def label(self) -> str:
        if self.granularity == "year":
            return f"{self.start.year:04d}"
        if self.granularity == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    @property
    def key(self) -> str:
        """Unique per site: `Y#2019`, `M#2019-06`, `D#2019-06-14`."""
        return f"{_KEY_LETTER[self.granularity]}#{self.label}"

    @property
    def end(self) -> date:
        if self.granularity == "year":
            return date(self.start.year, 12, 31)
        if self.granularity == "month":
            return month_end(self.start)
        return self.start

    def count(self, metric: Metric) -> int | None:
        return self.visits if metric == "visits" else self.pageviews


def parse_period(text: str) -> tuple[Granularity, date]:
    """The granularity and first day of a period; ValueError if it names none."""
    match = _PERIOD.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a period (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    granularity: Granularity = "day" if day else "month" if month else "year"
    try:
        start = date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date ({exc})") from None
    return granularity, start


def _count(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be a whole number")
    if isinstance(value, str):
        if not re.fullmatch(r"-?\d{1,16}", value.strip()):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
        value = int(value)
    if value < 0:
        raise ValueError(f"{name} is negative ({value})")
    if value > MAX_COUNT:
        raise ValueError(f"{name} is over {MAX_COUNT}")
    return int(value)


def row_label(number: int, row: Mapping[str, Any], field: str = "period") -> str:
    shown = str(row.get(field, ""))[:20]
    return f"row {number} ({shown})" if shown else f"row {number}"


def periods_from_rows(rows: list[dict[str, Any]]) -> list[tuple[str, ImportedPeriod]]:
    """`{period, visits?, pageviews?}` rows as periods, each with its row's name for messages."""
    problems: list[tuple[str, str]] = []
    periods: list[tuple[str, ImportedPeriod]] = []
    seen: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        label = row_label(number, row)
        unknown = set(row) - {"period", "visits", "pageviews"}
        try:
            if unknown:
                raise ValueError(f"unknown column(s) {', '.join(sorted(map(str, unknown)))}")
            if not isinstance(row.get("period"), str):
                raise ValueError("period is missing")
            granularity, start = parse_period(row["period"].strip())
            period = ImportedPeriod(
                granularity,
                start,
                _count(row.get("visits"), "visits"),
                _count(row.get("pageviews"), "pageviews"),
            )
            if period.visits is None and period.pageviews is None:
                raise ValueError("neither visits nor pageviews is given")
        except ValueError as exc:
            problems.append((label, str(exc)))
            continue
        if period.key in seen:
            problems.append((label, f"the same period as {seen[period.key]}"))
            continue
        seen[period.key] = label
        periods.append((label, period))
    if problems:
        raise HistoryRowsError(problems)
    return periods


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header row; commas, semicolons or tabs (what `mysql -B` prints)."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines:
        raise HistoryRowsError([("header", "the CSV is empty")])
    delimiter = max("\t,;", key=lines[0].count)
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
        rows = [
            dict(zip(header, (cell.strip() for cell in cells), strict=False))
            for cells in reader
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as exc:
        raise HistoryRowsError([(f"line {reader.line_num}", f"not CSV: {exc}")]) from None
    _check_count(len(rows))
    return rows


def rows_from_json(text: str) -> list[dict[str, Any]]:
    """The rows of `{"rows": [...]}` (or a bare list of row objects)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise HistoryRowsError([("body", f"not JSON: {exc}")]) from None
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise HistoryRowsError([("body", 'expected {"rows": [{...}, ...]}')])
    _check_count(len(rows))
    return rows


def _check_count(count: int) -> None:
    if count == 0:
        raise HistoryRowsError([("body", "no rows")])
    if count > MAX_ROWS:
        raise HistoryRowsError([("body", f"{count} rows; at most {MAX_ROWS} per request")])


class ImportedHistory:
    """Imported periods as a series reads them: own figures, roll-ups, and unknowns."""

    def __init__(self, periods: Iterable[ImportedPeriod]) -> None:
        self._by_key = {(p.granularity, p.start): p for p in periods}
        self._days_of_month: dict[date, list[ImportedPeriod]] = {}
        self._months_of_year: dict[int, set[date]] = {}
        for period in self._by_key.values():
            if period.granularity == "day":
                self._days_of_month.setdefault(period.start.replace(day=1), []).append(period)
            if period.granularity != "year":
                self._months_of_year.setdefault(period.start.year, set()).add(
                    period.start.replace(day=1)
                )

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def lookup(self, granularity: Granularity, start: date) -> dict[Metric, int | None] | None:
        """The imported figures of a period (None: not imported, nor inside an import).

        A metric is None when unknown: not given, or the period lies inside a coarser
        one imported only as a total.
        """
        if granularity == "day":
            own = self._own("day", start)
            return own if own is not None else self._unknown_if_covered(start, include_month=True)
        if granularity == "month":
            month = self._month(start)
            return (
                month if month is not None else self._unknown_if_covered(start, include_month=False)
            )
        return self._year(start)

    def _own(self, granularity: Granularity, start: date) -> dict[Metric, int | None] | None:
        own = self._by_key.get((granularity, start))
        return None if own is None else {m: own.count(m) for m in METRICS}

    def _month(self, start: date) -> dict[Metric, int | None] | None:
        own = self._own("month", start)
        if own is not None:
            return own
        days = self._days_of_month.get(start)
        return _sum([{m: d.count(m) for m in METRICS} for d in days]) if days else None

    def _year(self, start: date) -> dict[Metric, int | None] | None:
        own = self._own("year", start)
        if own is not None:
            return own
        months = [self._month(m) for m in sorted(self._months_of_year.get(start.year, ()))]
        known = [m for m in months if m is not None]
        return _sum(known) if known else None

    def _unknown_if_covered(
        self, start: date, include_month: bool
    ) -> dict[Metric, int | None] | None:
        covered = ("year", date(start.year, 1, 1)) in self._by_key or (
            include_month and ("month", start.replace(day=1)) in self._by_key
        )
        return dict.fromkeys(METRICS) if covered else None


def _sum(parts: list[dict[Metric, int | None]]) -> dict[Metric, int | None]:
    total: dict[Metric, int | None] = {}
    for metric in METRICS:
        values = [part[metric] for part in parts]
        total[metric] = None if any(v is None for v in values) else sum(v or 0 for v in values)
    return total
