"""Goals: the visits that reached each of a site's goals over a range of days.

A goal's conversions and events come from the `goal` report dimension, which the
aggregation path adds like any other (`counters.events.recorder` puts an event goal on
its events' notes): a row's visits are the visits whose first event of the goal's name
fell on that day. The conversion rate divides them by the range's visits.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from counters.models import Site
from counters.reports.answers import GoalRow, GoalsReport

if TYPE_CHECKING:
    from counters.counting.service import CounterService


def goals_report(service: CounterService, site: Site, first: date, last: date) -> GoalsReport:
    """Each goal's conversions, events and rate: one Query a month (the goals' month
    rollups, and the day items of days not copied yet), and one of the days."""
    reached: dict[str, list[int]] = {}
    for row in service.storage.rollups.range_rows(
        service.storage.reports, site.id, "goal", first, last
    ):
        totals = reached.setdefault(row.value, [0, 0])
        totals[0] += row.visits
        totals[1] += row.pageviews
    visits = sum(
        record.tally("visits").count
        for record in service.storage.days.records(site.id, first, last)
    )
    rows = []
    for goal in site.goals:
        conversions, events = reached.get(goal.name, [0, 0])
        rate = round(conversions / visits, 4) if visits else None
        rows.append(
            GoalRow(
                name=goal.name,
                event=goal.event,
                page=goal.page,
                conversions=conversions,
                events=events,
                conversion_rate=rate,
            )
        )
    return GoalsReport(site=site.id, from_=first, to=last, visits=visits, goals=rows)
