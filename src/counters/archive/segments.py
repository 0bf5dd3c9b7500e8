"""Segments: filters on the archive's hits, their syntax, and what a visit means under them.

    source==Google|Zalo;device!=mobile;page==/van-ban/1

Filters are `;`-separated and combined with AND; `==` is "is", `!=` "is not"; values are
`|`-separated and combined with OR (a backslash escapes `;`, `|` and itself inside a value).
A row with no value for the dimension (a hit without a campaign) is "not" any value.

What a filter keeps (docs/archive.md, "What a filter keeps"): whole visits. Every row of a
visit carries its visit id, and a filter keeps the visits with at least one row of one of
its values ("is": a page filter keeps the visits that viewed the page, `event==download` the
visits with a download) or with none ("is not"), Plausible's rule (`on_visits`); every
figure is then the visits' own: bounce rate, duration, entry and exit pages included.

Rows without a visit id (archived before visit ids, or of no visit) keep the hit-level rule on
their own values (`where`): *visit-level* dimensions (browser, OS, device, country, language,
entry page: the same on every hit of a visit) keep whole visits there too; *hit-level* ones
(page, source, campaign, event) keep the matching hits, visits being the visits whose first hit
matches, and the figures that need the whole visit (bounce rate, duration, exit pages) are then
unknown: null, never a wrong number. An event's row says its page and name only: under that
rule a filter on anything else keeps no event.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counters.reports.answers import BreakdownRow, EntryRow
from counters.reports.summary import Totals

SegmentDimension = Literal[
    "source",
    "campaign",
    "page",
    "entry",
    "browser",
    "os",
    "device",
    "country",
    "language",
    "event",
]
SEGMENT_DIMENSIONS: tuple[str, ...] = get_args(SegmentDimension)
VISIT_LEVEL = frozenset({"browser", "os", "device", "country", "language", "entry"})
# What an event's row says (its page and name): a filter on anything else keeps no event.
ON_EVENTS = frozenset({"page", "event"})
# The archive's column of each dimension (schema.COLUMNS).
COLUMN = {"page": "path", "entry": "entry_page"}
OPERATORS = {"==": "is", "!=": "is not"}
MAX_FILTERS = 10
MAX_VALUES = 20
MAX_FILTER_CHARS = 2000
_SPLIT = re.compile(r"((?:\\.|[^;])*)(?:;|$)")


class SegmentFilterError(ValueError):
    """A filter that does not parse, or names no dimension a segment knows."""


class Filter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dimension: SegmentDimension
    operator: Literal["is", "is not"]
    values: tuple[str, ...] = Field(min_length=1, max_length=MAX_VALUES)

    def column(self) -> str:
        return COLUMN.get(self.dimension, self.dimension)

    def text(self) -> str:
        sign = "==" if self.operator == "is" else "!="
        return self.dimension + sign + "|".join(_escape(value) for value in self.values)


class Segment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    filters: tuple[Filter, ...] = Field(default=(), max_length=MAX_FILTERS)

    def whole_visits(self) -> bool:
        """Whether every filter keeps whole visits on rows without a visit id (then every
        figure is the visits' own); rows with one are kept by visit (`visits_having`)."""
        return all(f.dimension in VISIT_LEVEL for f in self.filters)

    def text(self) -> str:
        return ";".join(f.text() for f in self.filters)

    def on_visits(self) -> tuple[str, list[str]]:
        """The filters as one condition on a row with a visit id, over the range's rows `r`:
        "is" holds for the rows of a visit with a row of one of the values, "is not" for those
        of a visit with none (Plausible's rule). A row that does not say the dimension (an
        event's browser, a page view's event) has none of its values.

        Each filter is a semi-join on the visits with a matching row (a page filter's are
        few). A visit-level dimension is the same on every page view of a visit, so a page
        view is kept on its own value, and only the events look their visit up, among the
        visits that have events (a year of a busy site: 16 s by one GROUP BY of every visit,
        measured, against a few by these)."""
        conditions, parameters = ["true"], []
        for f in self.filters:
            marks = ", ".join("?" for _ in f.values)
            match = f'coalesce("{f.column()}" IN ({marks}), false)'
            negate = "NOT " if f.operator == "is not" else ""
            if f.dimension in VISIT_LEVEL:
                visits = (
                    f"SELECT visit_id FROM r WHERE is_event = 0 AND {match} AND visit_id IN "
                    "(SELECT visit_id FROM r WHERE is_event = 1)"
                )
                conditions.append(
                    f"CASE WHEN is_event = 0 THEN {negate}{match} "
                    f"ELSE visit_id {negate}IN ({visits}) END"
                )
                parameters += [*f.values, *f.values]
            else:
                visits = f"SELECT visit_id FROM r WHERE visit_id IS NOT NULL AND {match}"
                conditions.append(f"visit_id {negate}IN ({visits})")
                parameters += list(f.values)
        return " AND ".join(conditions), parameters

    def where(self) -> tuple[str, list[str]]:
        """The filters as one SQL condition over the archive's columns, and its parameters."""
        conditions, parameters = ["true"], []
        for f in self.filters:
            marks = ", ".join("?" for _ in f.values)
            column = f'"{f.column()}"'  # from the closed list above, never from the request
            if f.operator == "is":
                condition = f"{column} IN ({marks})"
            else:
                condition = f"({column} IS NULL OR {column} NOT IN ({marks}))"
            if f.dimension not in ON_EVENTS:  # an event's row does not say: it is not kept
                condition = f"(coalesce(is_event, 0) = 0 AND {condition})"
            conditions.append(condition)
            parameters += list(f.values)
        return " AND ".join(conditions), parameters


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace(";", "\\;")


def _values(text: str) -> list[str]:
    """`a|b\\|c` -> ["a", "b|c"]."""
    values, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        raise SegmentFilterError("a value ends with a lone backslash")
    values.append("".join(current))
    return values


def _one(part: str) -> Filter:
    match = re.match(r"^([a-z]+)(==|!=)(.*)$", part, re.DOTALL)
    if not match:
        raise SegmentFilterError(
            f"{part[:60]!r} is not DIMENSION==VALUE or DIMENSION!=VALUE (values split by |)"
        )
    dimension, sign, rest = match.groups()
    if dimension not in SEGMENT_DIMENSIONS:
        raise SegmentFilterError(
            f"unknown dimension {dimension!r}: one of {', '.join(SEGMENT_DIMENSIONS)}"
        )
    values = _values(rest)
    if any(not value for value in values):
        raise SegmentFilterError(f"an empty value in the filter on {dimension}")
    try:
        return Filter.model_validate(
            {"dimension": dimension, "operator": OPERATORS[sign], "values": tuple(values)}
        )
    except ValidationError as bad:
        raise SegmentFilterError(f"{dimension}: {bad.errors()[0]['msg']}") from bad


def parse_segment(text: str | None) -> Segment:
    """The segment a `filter` parameter says ("" or None: every hit)."""
    if not text:
        return Segment()
    if len(text) > MAX_FILTER_CHARS:
        raise SegmentFilterError(
            f"the filter has {len(text)} characters; at most {MAX_FILTER_CHARS}"
        )
    parts = [part for part in _SPLIT.findall(text) if part]
    if len(parts) > MAX_FILTERS:
        raise SegmentFilterError(f"{len(parts)} filters; at most {MAX_FILTERS}")
    return Segment(filters=tuple(_one(part) for part in parts))


class DayPoint(BaseModel):
    period: str = Field(description="The local date, YYYY-MM-DD.")
    visits: int
    pageviews: int


class GoalRow(BaseModel):
    name: str
    conversions: int = Field(description="Visits whose first event of the goal's name matched.")
    events: int
    conversion_rate: float | None


class SegmentReport(BaseModel):
    """Every panel of the dashboard for the hits a segment keeps, over a range of local days."""

    model_config = ConfigDict(populate_by_name=True)

    site: str
    from_: date = Field(alias="from")
    to: date
    filter: str = Field(description="The segment, as the `filter` parameter writes it.")
    filters: list[Filter]
    whole_visits: bool = Field(
        description="True: every figure is of whole visits (a filter keeps the visits with a "
        "matching hit, by their visit id), so bounce rate, duration and exit pages are known; "
        "false: a hit-level filter (page, source, campaign, event) kept hits archived before "
        "visit ids, and those are null/empty."
    )
    count: Literal["visits", "pageviews"] = Field(description="The figure rows are sorted by.")
    summary: Totals
    series: list[DayPoint] = Field(description="Every day of the range, zero-filled.")
    pages: list[BreakdownRow]
    entry: list[EntryRow]
    exit: list[BreakdownRow]
    breakdowns: dict[str, list[BreakdownRow]] = Field(
        description="Source, campaign, browser, os, device, country, language, hour (visits "
        "and page views) and event, download, outbound, property (events as `pageviews`)."
    )
    goals: list[GoalRow]
    objects: int = Field(description="Archive objects read.")
