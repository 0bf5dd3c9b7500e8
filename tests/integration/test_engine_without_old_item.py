"""A DynamoDB engine that ignores ReturnValuesOnConditionCheckFailure (older
DynamoDB Local and other engines answer a refused condition without the item):
the counting and aggregation paths must come to the same figures without it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.conftest import Api, Streams
from tests.figures import figures
from tests.integration.test_aggregation import DAYS, deliver, records


class WithoutOldItem:
    """A client whose refused conditions carry no item, as such an engine answers."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.stripped = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_") or name in ("exceptions", "meta"):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except ClientError as exc:
                if exc.response.pop("Item", None) is not None:
                    self.stripped += 1
                raise

        return call


@pytest.fixture(params=[False, True], ids=["old item returned", "no old item"])
def engine(request: pytest.FixtureRequest, api: Api) -> Iterator[WithoutOldItem | None]:
    from counters.counting.service import default_service

    table = default_service().storage.table
    if not request.param:
        yield None
        return
    original = table.client
    table.client = WithoutOldItem(original)
    try:
        yield table.client
    finally:
        table.client = original


def hit_at(api: Api, site: str, instant: datetime, ip: str = "203.0.113.9") -> dict[str, Any]:
    with time_machine.travel(instant, tick=False):
        return api.hit(site, source_ip=ip)


def test_a_late_hit_after_the_next_day_opened_counts_on_that_day(
    api: Api, engine: WithoutOldItem | None
) -> None:
    api.register("late", "UTC", count="pageviews")
    hit_at(api, "late", datetime(2025, 6, 14, 12, tzinfo=UTC))
    hit_at(api, "late", datetime(2025, 6, 15, 0, 0, 1, tzinfo=UTC))  # seals the 14th
    # An instance whose clock is a little behind: its day is over, so it counts on the 15th.
    answer = hit_at(api, "late", datetime(2025, 6, 14, 23, 59, 59, tzinfo=UTC))
    assert answer["date"] == "2025-06-15"
    assert figures(answer) == {"today": 2, "yesterday": 1, "month": 3, "year": 3, "total": 3}
    if engine is not None:
        assert engine.stripped > 0  # the refusal really came without its item


def test_redelivered_notes_add_once(
    api: Api, streams: Streams, engine: WithoutOldItem | None
) -> None:
    api.register("busy", "UTC", mode="buffered")
    noon = datetime(2025, 6, 15, 12, tzinfo=UTC)
    for i in range(6):
        hit_at(api, "busy", noon, ip=f"203.0.113.{i}")
    batch = records(streams, "DayAggregateFunction")
    assert len(batch) == 6
    assert deliver(DAYS, batch) == []
    assert deliver(DAYS, batch) == []  # again whole, as after a lost answer
    assert deliver(DAYS, batch[2:]) == []  # and in part
    with time_machine.travel(noon, tick=False):
        assert api.stats("busy")["today"] == 6


class LosesFirstVisitorAnswer(WithoutOldItem):
    """...and the first visitor write lands, but its answer is lost (a read timeout)."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.lost = 0

    def __getattr__(self, name: str) -> Any:
        call = super().__getattr__(name)
        if name != "update_item":
            return call

        def update_item(**request: Any) -> Any:
            answer = call(**request)
            if not self.lost and request["Key"]["pk"]["S"].startswith("VISITOR#"):
                self.lost += 1
                raise ReadTimeoutError(endpoint_url="http://dynamodb")
            return answer

        return update_item


def test_a_visitor_write_whose_answer_was_lost_counts_once(api: Api) -> None:
    from counters.counting.service import default_service

    api.register("lost", "UTC")
    table = default_service().storage.table
    original = table.client
    table.client = LosesFirstVisitorAnswer(original)
    try:
        answer = hit_at(api, "lost", datetime(2025, 6, 15, 12, tzinfo=UTC))
        assert table.client.lost == 1  # the write was re-sent, and refused as our own
    finally:
        table.client = original
    assert answer["counted"] is True
    assert figures(answer)["today"] == 1
    again = hit_at(api, "lost", datetime(2025, 6, 15, 12, 1, tzinfo=UTC))
    assert again["counted"] is False and figures(again)["today"] == 1
