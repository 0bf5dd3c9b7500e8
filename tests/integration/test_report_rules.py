"""Rules of the report reads (counters.reports.queries) that mutation testing found unguarded.

Through the handlers, on moto, with time frozen; expected answers are literals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from tests.conftest import Api

NOON = datetime(2025, 6, 15, 5, 0, tzinfo=UTC)  # 12:00 in Ho Chi Minh City


def get(api: Api, path: str, **query: str) -> tuple[int, Any]:
    with time_machine.travel(NOON, tick=False):
        return api.call("GET", path, query=query or None)


@pytest.mark.parametrize("route", ["pages", "breakdown"])
def test_a_default_range_near_the_first_day_there_is_starts_on_it(api: Api, route: str) -> None:
    api.register("site")
    query = {"to": "0001-01-10", **({"dimension": "browser"} if route == "breakdown" else {})}
    status, answer = get(api, f"/v1/sites/site/{route}", **query)
    assert status == 200, answer
    assert (answer["from"], answer["to"]) == ("0001-01-01", "0001-01-10")


def test_a_breakdown_range_is_at_most_366_days_and_not_reversed(api: Api) -> None:
    api.register("site")
    path = "/v1/sites/site/breakdown"
    status, answer = get(api, path, dimension="os", **{"from": "2024-06-15", "to": "2025-06-15"})
    assert status == 200 and answer["from"] == "2024-06-15", answer
    status, answer = get(api, path, dimension="os", **{"from": "2024-06-14", "to": "2025-06-15"})
    assert (status, answer["message"]) == (400, "the range has 367 days; at most 366 per request")
    status, answer = get(api, path, dimension="os", **{"from": "2025-06-15", "to": "2025-06-15"})
    assert status == 200 and answer["from"] == answer["to"] == "2025-06-15", answer
    status, answer = get(api, path, dimension="os", **{"from": "2025-06-16", "to": "2025-06-15"})
    assert (status, answer["message"]) == (400, "from (2025-06-16) is after to (2025-06-15)")


@pytest.mark.parametrize("count", ["visits", "pageviews"])
def test_bots_are_reported_by_hits_seen_other_dimensions_by_the_sites_figure(
    api: Api, count: str
) -> None:
    api.register("site", count=count)
    assert get(api, "/v1/sites/site/breakdown", dimension="bot")[1]["count"] == "pageviews"
    answer = get(api, "/v1/sites/site/breakdown", dimension="browser")[1]
    assert (answer["count"], answer["dimension"], answer["site"]) == (count, "browser", "site")
