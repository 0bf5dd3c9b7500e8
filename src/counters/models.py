"""The shapes that cross the API edge, validated by pydantic."""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from counters.counting.periods import is_timezone

SITE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
SiteId = Annotated[str, Field(pattern=SITE_ID_PATTERN, description="The site id.")]
_ORIGIN = re.compile(r"^https?://[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$")


_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]+$")


def _printable(value: str) -> str:
    text = value.strip()
    if not _PRINTABLE.match(text) or any("\ud800" <= c <= "\udfff" for c in text):
        raise ValueError("must be text, without control characters")
    return text


MAX_GOALS = 20


class Goal(BaseModel):
    """A goal: an event's name, or pages by a path pattern (`*` matches any characters)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, examples=["Tải văn bản"])
    event: str | None = Field(None, min_length=1, max_length=64, examples=["download"])
    page: str | None = Field(
        None, min_length=1, max_length=300, pattern=r"^/", examples=["/dich-vu-cong/*"]
    )

    @field_validator("name", "event", "page")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _printable(value)

    @model_validator(mode="after")
    def _one_kind(self) -> Goal:
        if (self.event is None) == (self.page is None):
            raise ValueError("a goal has either an event or a page pattern")
        return self


class SiteSettings(BaseModel):
    """What an operator sets for a site (`PUT /v1/sites/{site}`)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        description="IANA timezone of the site's calendar.", examples=["Asia/Ho_Chi_Minh"]
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Origins allowed to count hits; empty allows any.",
        examples=[["https://laichau.gov.vn"]],
    )
    count: Literal["visits", "pageviews"] = Field(
        "visits", description="Which figure the counter block shows."
    )
    visit_timeout_minutes: int = Field(30, ge=1, le=24 * 60)
    mode: Literal["direct", "buffered"] = Field(
        "direct",
        description="direct: each hit writes the day counter (up to ~1,000 hits/s a site); "
        "buffered (high traffic): a hit writes only its visitor item, the day counters "
        "are added in batches from the table's stream, and answers may lag by seconds.",
    )
    reports: Literal["public", "private"] = Field(
        "public",
        description="private: series, pages and breakdowns need a read token "
        "(hits, stats and the badge stay public).",
    )
    goals: list[Goal] = Field(
        default_factory=list,
        max_length=MAX_GOALS,
        description="Up to 20 goals: conversions are the visits that reached one.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown IANA timezone {value!r}")
        return value

    @field_validator("goals")
    @classmethod
    def _distinct_goal_names(cls, goals: list[Goal]) -> list[Goal]:
        names = [goal.name for goal in goals]
        if len(set(names)) != len(names):
            raise ValueError("goal names must differ")
        return goals

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            origin = value.strip().lower().removesuffix("/")
            if not _ORIGIN.match(origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {value!r}")
            if origin not in cleaned:
                cleaned.append(origin)
        return cleaned


class Site(SiteSettings):
    """A registered site: its settings and id."""

    id: SiteId


UtmKey = Literal["utm_source", "utm_medium", "utm_campaign"]


class HitBody(BaseModel):
    """Optional body of a hit."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(None, max_length=2048, examples=["/tin-tuc/a"])
    referrer: str | None = Field(None, max_length=2048, examples=["https://www.google.com/"])
    utm: dict[UtmKey, Annotated[str, Field(max_length=200)]] | None = Field(
        None,
        description="The page URL's utm_source, utm_medium and utm_campaign (no other query key).",
        examples=[{"utm_source": "zalo", "utm_medium": "social", "utm_campaign": "tet-2026"}],
    )


EventText = Annotated[str, Field(min_length=1, max_length=100)]


class EventBody(BaseModel):
    """An event a page reports: never a page view (see counters.events)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=64,
        description="`download` (a file link), `outbound` (a link to another host), or a "
        "custom event's name.",
        examples=["download", "Đăng ký nhận tin"],
    )
    url: str | None = Field(
        None,
        max_length=2048,
        description="The link's URL: required for `download` and `outbound`. Only its host "
        "and path are kept.",
        examples=["https://laichau.gov.vn/van-ban/quyet-dinh-12.pdf"],
    )
    path: str | None = Field(None, max_length=2048, description="The page it happened on.")
    props: dict[Annotated[str, Field(min_length=1, max_length=40)], EventText] | None = Field(
        None, max_length=5, description="Up to 5 properties.", examples=[{"plan": "pro"}]
    )
    interactive: bool = Field(
        True,
        description="Whether the event ends a bounce (a visit of one page view with an "
        "interactive event is no bounce). Downloads and outbound links always do.",
    )

    @field_validator("name")
    @classmethod
    def _name_is_text(cls, value: str) -> str:
        return _printable(value)

    @field_validator("props")
    @classmethod
    def _props_are_text(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        return {_printable(key): _printable(text) for key, text in value.items()}


class EventAnswer(BaseModel):
    counted: bool = Field(
        description="False for bots, prefetches and clients without a User-Agent."
    )


class Stats(BaseModel):
    """The figures of a site's counter block."""

    site: str
    timezone: str
    date: Date = Field(description="The site's local date the figures are for.")
    today: int
    yesterday: int
    month: int
    year: int
    total: int
    online: int


class HitStats(Stats):
    counted: bool = Field(description="Whether this request added to the figures.")
    buffered: bool = Field(
        False,
        description="True when the figures are the last aggregated ones plus this hit "
        "(site mode buffered): they may lag by a few seconds.",
    )


MAX_FIGURE = 10**15


class Baseline(BaseModel):
    """The figures of a previous counter as of a local date, to carry its totals over."""

    model_config = ConfigDict(extra="forbid")

    date: Date = Field(description="The site's local date these figures are for.")
    today: int = Field(ge=0, le=MAX_FIGURE)
    yesterday: int = Field(ge=0, le=MAX_FIGURE)
    month: int = Field(ge=0, le=MAX_FIGURE)
    year: int = Field(ge=0, le=MAX_FIGURE)
    total: int = Field(ge=0, le=MAX_FIGURE)

    @model_validator(mode="after")
    def _consistent(self) -> Baseline:
        problems = [problem for failed, problem in self._checks() if failed]
        if problems:
            raise ValueError("inconsistent figures: " + "; ".join(problems))
        return self

    def _checks(self) -> list[tuple[bool, str]]:
        """(whether it fails, the problem): each figure fits in the one that includes it."""
        # Yesterday is of the same month (year) unless the date is the first of one.
        same_month = self.date.day > 1
        same_year = (self.date.month, self.date.day) != (1, 1)
        return [
            (self.today > self.month, "today is larger than the month"),
            (self.month > self.year, "the month is larger than the year"),
            (self.year > self.total, "the year is larger than the total"),
            (
                self.yesterday > self.total - self.today,
                "yesterday and today are larger than the total",
            ),
            (
                same_month and self.yesterday > self.month - self.today,
                "yesterday (same month) and today are larger than the month",
            ),
            (
                same_year and self.yesterday > self.year - self.today,
                "yesterday (same year) and today are larger than the year",
            ),
        ]


class HistoryImported(BaseModel):
    """What an import of history did (`POST /v1/sites/{site}/history`)."""

    site: str
    periods: int = Field(description="Imported periods in the request (years, months, days).")
    written: int = Field(
        description="Items written: periods new or changed, and the baseline or the bases of "
        "the first day (without a baseline, imported history gives the figures their bases)."
    )
    unchanged: int = Field(description="Periods imported before with the same figures.")
    baseline: Stats | None = Field(
        None, description="format=nukeviet: the figures on the dump's date, imported as a baseline."
    )


class HistoryRow(BaseModel):
    """A previous counter's period (documents the body; `counters.imported.rows` parses it)."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(
        pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
        description="A year (YYYY), month (YYYY-MM) or day (YYYY-MM-DD) that is over.",
        examples=["2019-06"],
    )
    visits: int | None = Field(None, ge=0, le=MAX_FIGURE, description="Absent: unknown.")
    pageviews: int | None = Field(None, ge=0, le=MAX_FIGURE, description="Absent: unknown.")


class NukeVietRow(BaseModel):
    """A row of NukeViet's counter table (format=nukeviet)."""

    c_type: str = Field(examples=["year"])
    c_val: str = Field(examples=["2019"])
    c_count: int = Field(ge=0, examples=[1234567])


class HistoryRows(BaseModel):
    """The JSON body of `POST /v1/sites/{site}/history`; as text/csv, the same columns."""

    rows: list[HistoryRow | NukeVietRow] = Field(min_length=1, max_length=8000)
