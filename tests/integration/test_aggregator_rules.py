"""The aggregators' writing part (counters.aggregation.aggregator) on moto: each hit added once,
what a batch reports it added, failures kept per group, and the day's cap on report values.

Hits are built directly (the stream's side is tested in test_aggregation.py); expected
counts are literals.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from counters.aggregation import aggregator as aggregator_module
from counters.aggregation.aggregator import StreamAggregator
from counters.aggregation.batches import OTHER, NotedHit
from counters.aggregation.notes import HitNote
from counters.storage import AddedBefore, Storage

DAY = date(2025, 6, 15)
NOTE = HitNote(
    token="abcdefgh1234",
    day=DAY,
    hour=9,
    visits=1,
    pageviews=1,
    window=5_833_188,
    first_in_window=1,
    new_since_previous=1,
    path="/a",
    facts={"browser": "Firefox"},
)


def noted(sequence: int, site: str = "news", **note: Any) -> NotedHit:
    return NotedHit(site, replace(NOTE, **note), "s1", sequence, buffered=True)


@pytest.fixture
def aggregator(dynamodb: Any) -> StreamAggregator:
    return StreamAggregator(Storage(dynamodb, os.environ["TABLE_NAME"]))


def pageviews(aggregator: StreamAggregator, site: str = "news") -> int:
    record = aggregator.storage.days.latest(site, DAY)
    return record.tally("pageviews").count if record else 0


def test_a_batch_reports_the_hits_it_added_and_adds_none_twice(
    aggregator: StreamAggregator,
) -> None:
    hits = [noted(sequence) for sequence in range(1, 6)]
    first = aggregator.add_days(hits)
    assert (first.added, first.failed) == (5, [])
    again = aggregator.add_days(hits)
    assert (again.added, again.failed) == (0, [])
    overlapping = aggregator.add_days(hits[3:] + [noted(6), noted(7)])
    assert (overlapping.added, overlapping.failed) == (2, [])
    assert pageviews(aggregator) == 7
    # Reports: each hit once under its browser, hour and page.
    assert aggregator.add_reports(hits).added == 15
    assert aggregator.add_reports(hits).added == 0
    assert aggregator.add_reports(hits[3:] + [noted(6)]).added == 3
    rows = list(aggregator.storage.reports.rows("news", "page", DAY, DAY))
    assert [(row.value, row.visits, row.pageviews) for row in rows] == [("/a", 6, 6)]
    # Several values of one report item in a batch: each value's hits are added.
    pages = [noted(10, path="/b"), noted(11, path="/c"), noted(12, path="/c")]
    assert aggregator.add_reports(pages).added == 9


def test_a_redelivered_batch_sends_no_report_write_for_what_the_items_added(
    aggregator: StreamAggregator,
) -> None:
    hits = [noted(sequence, path=f"/p{sequence % 2}") for sequence in range(1, 5)]
    aggregator.add_reports(hits)
    calls: list[str] = []
    aggregator.storage.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    assert aggregator.add_reports(hits).added == 0
    assert "UpdateItem" not in calls and calls  # the items' marks are read, nothing written


def test_a_failed_group_is_reported_with_its_hits_and_the_others_are_added(
    aggregator: StreamAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    add = aggregator.daybook.add
    broken = RuntimeError("throttled")

    def failing(site: str, *args: Any, **kwargs: Any) -> Any:
        if site == "down":
            raise broken
        return add(site, *args, **kwargs)

    monkeypatch.setattr(aggregator.daybook, "add", failing)
    down = [noted(1, site="down"), noted(2, site="down")]
    outcome = aggregator.add_days([*down, noted(3), noted(4)])
    assert outcome.added == 2
    assert outcome.failed == [(down, broken)]
    assert pageviews(aggregator) == 2


def test_a_day_that_keeps_refusing_a_batch_fails_it_after_four_tries(
    aggregator: StreamAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[int] = []

    def refusing(*args: Any, **kwargs: Any) -> AddedBefore:
        tries.append(1)
        return AddedBefore({"s1@2025-06-15": 0})  # it says it has added nothing of the batch

    monkeypatch.setattr(aggregator.daybook, "add", refusing)
    hits = [noted(1), noted(2)]
    outcome = aggregator.add_days(hits)
    assert outcome.added == 0 and len(tries) == 4
    [(failed, error)] = outcome.failed
    assert failed == hits
    assert str(error) == "day 2025-06-15 of news kept refusing a batch"


def test_a_report_value_that_keeps_refusing_fails_its_group_after_four_tries(
    aggregator: StreamAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[int] = []

    def refusing(*args: Any) -> AddedBefore:
        tries.append(1)
        return AddedBefore({"s1": 0})

    monkeypatch.setattr(aggregator.storage.reports, "add", refusing)
    hits = [noted(1, path=None, facts={})]  # one report: its hour
    outcome = aggregator.add_reports(hits)
    assert outcome.added == 0 and len(tries) == 4
    [(failed, error)] = outcome.failed
    assert failed == hits
    assert str(error) == "report hour=09 of news kept refusing a batch"


def test_past_the_days_cap_the_busiest_new_values_get_the_room_left_the_rest_count_as_other(
    aggregator: StreamAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    caps = {"browser": 2, "os": 1}
    monkeypatch.setattr(aggregator_module, "value_cap", lambda dimension: caps.get(dimension, 9))
    browsers = ["Edge"] * 1 + ["Firefox"] * 3 + ["Chrome"] * 4 + ["Safari"] * 2
    hits = [
        noted(i, path=None, facts={"browser": name}) for i, name in enumerate(browsers, start=1)
    ]
    assert aggregator.add_reports(hits).failed == []
    rows = {
        r.value: r.pageviews for r in aggregator.storage.reports.rows("news", "browser", DAY, DAY)
    }
    assert rows == {"Chrome": 4, "Firefox": 3, OTHER: 3}
    # A value already stored keeps its own row; a new one finds no room left.
    more = [
        noted(20, path=None, facts={"browser": "Chrome"}),
        noted(21, path=None, facts={"browser": "Opera"}),
    ]
    assert aggregator.add_reports(more).failed == []
    rows = {
        r.value: r.pageviews for r in aggregator.storage.reports.rows("news", "browser", DAY, DAY)
    }
    assert rows == {"Chrome": 5, "Firefox": 3, OTHER: 4}
    # Each site, dimension (and day) has its own room: another site's or dimension's is untouched.
    other = [
        noted(30, site="blog", path=None, facts={"browser": "Edge", "os": "Linux"}),
        noted(31, site="blog", path=None, facts={"browser": "Opera", "os": "Linux"}),
    ]
    assert aggregator.add_reports(other).failed == []
    blog = aggregator.storage.reports.rows("blog", "browser", DAY, DAY)
    assert {r.value: r.pageviews for r in blog} == {"Edge": 1, "Opera": 1}
    assert [r.value for r in aggregator.storage.reports.rows("blog", "os", DAY, DAY)] == ["Linux"]
