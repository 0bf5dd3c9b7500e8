"""The report routes' answers (pages, series, breakdowns, goals), as the OpenAPI document shows them."""

from __future__ import annotations

from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GoalRow(BaseModel):
    name: str
    event: str | None = None
    page: str | None = None
    conversions: int = Field(description="Visits that reached the goal.")
    events: int = Field(description="The goal's events, or its page views for a page goal.")
    conversion_rate: float | None = Field(
        description="Conversions over the range's visits; null when it had none."
    )


class GoalsReport(BaseModel):
    site: str
    from_: Date = Field(alias="from")
    to: Date
    visits: int = Field(description="The range's visits.")
    goals: list[GoalRow]

    model_config = ConfigDict(populate_by_name=True)


class SeriesPoint(BaseModel):
    period: str = Field(description="The day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY).")
    visits: int | None = Field(
        description="null: unknown (a period inside imported history known only as a total)."
    )
    pageviews: int | None
    imported: bool = Field(
        False, description="The figures come from imported history, not from counting."
    )


class Series(BaseModel):
    """Counts per period over an inclusive range, zero-filled, oldest first."""

    model_config = ConfigDict(populate_by_name=True)

    site: str
    timezone: str
    granularity: Literal["day", "month", "year"]
    from_: str = Field(alias="from", description="The first period of the range.")
    to: str = Field(description="The last period of the range.")
    count: Literal["visits", "pageviews"] = Field(description="The figure the site's block shows.")
    points: list[SeriesPoint]


class PageViews(BaseModel):
    path: str
    pageviews: int = Field(description="Counted hits on this path over the range.")


class TopPages(BaseModel):
    """The most viewed paths over an inclusive range of the site's local days."""

    model_config = ConfigDict(populate_by_name=True)

    site: str
    from_: Date = Field(alias="from")
    to: Date
    pages: list[PageViews]


class BreakdownRow(BaseModel):
    value: str = Field(
        description='The category; "(other)" gathers values past the per-day cap and the limit.'
    )
    visits: int
    pageviews: int


class EntryRow(BreakdownRow):
    """An entry page: `visits` begun on it, with their bounce rate and mean duration (s)."""

    bounce_rate: float | None
    visit_duration: float | None


class Breakdown(BaseModel):
    """Visits and page views by one dimension over an inclusive range of the site's local days."""

    model_config = ConfigDict(populate_by_name=True)

    site: str
    dimension: str
    from_: Date = Field(alias="from")
    to: Date
    count: Literal["visits", "pageviews"] = Field(description="The figure rows are sorted by.")
    rows: list[EntryRow | BreakdownRow]
