"""Guarded, additive updates (counters.storage.updates) as DynamoDB applies them, on moto.

Each test builds an UpdateExpression, sends it to an item of the template's table and reads
the item back: what the expression does, not how it is spelt. Expected items are literals.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from counters.storage import Guard, Increment
from counters.storage.updates import (
    SEQUENCE_DIGITS,
    AddedBefore,
    UpdateExpression,
    added_before,
    mark,
    watermarks,
)

KEY = {"pk": {"S": "SITE#news"}, "sk": {"S": "DAY#2025-06-15"}}


def put(client: Any, **numbers: int) -> None:
    item = {**KEY, **{name: {"N": str(value)} for name, value in numbers.items()}}
    client.put_item(TableName=os.environ["TABLE_NAME"], Item=item)


def apply(client: Any, expression: UpdateExpression, condition: str | None = None) -> None:
    extra = {"ConditionExpression": condition} if condition else {}
    client.update_item(TableName=os.environ["TABLE_NAME"], Key=KEY, **expression.request(), **extra)


def stored(client: Any) -> dict[str, Any]:
    """The item, its numbers as ints and its strings as they are; keys left out."""
    item = client.get_item(TableName=os.environ["TABLE_NAME"], Key=KEY, ConsistentRead=True)
    plain = {k: int(v["N"]) if "N" in v else v["S"] for k, v in item["Item"].items()}
    return {k: v for k, v in plain.items() if k not in ("pk", "sk")}


def test_an_increment_adds_counts_and_online_tallies_and_drops_windows_two_to_four_back(
    dynamodb: Any,
) -> None:
    put(dynamodb, v=5, p=7, oa9=2, ob9=1, oa8=1, ob8=1, oa7=3, ob6=4, oa5=9)
    expression = UpdateExpression()
    expression.increment(Increment({"visits": 0, "pageviews": 2}, windows={10: (1, 0)}))
    apply(dynamodb, expression)
    # The window before the latest stays ("online" reads it); 8, 7 and 6 go; 5 is not looked at.
    assert stored(dynamodb) == {"v": 5, "p": 9, "oa10": 1, "oa9": 2, "ob9": 1, "oa5": 9}


def test_engagement_that_adds_nothing_is_still_written_so_the_day_reads_as_known(
    dynamodb: Any,
) -> None:
    """A high-traffic batch whose bounce deltas cancel out (+1 a visit began, -1 its second
    page) adds 0: the day must hold `bn` and `du` all the same, or the summary takes it for
    a day counted before engagement existed (found by the engagement model test)."""
    put(dynamodb, v=5, p=7)
    expression = UpdateExpression()
    engagement = {"bounces": 0, "duration_ms": 0}
    expression.increment(Increment({"visits": 1, "pageviews": 2}, engagement=engagement))
    apply(dynamodb, expression)
    assert stored(dynamodb) == {"v": 6, "p": 9, "bn": 0, "du": 0}


def test_an_increment_over_two_windows_keeps_both_and_drops_only_what_is_stale(
    dynamodb: Any,
) -> None:
    put(dynamodb, v=1, p=1, oa8=5, ob8=5, oa7=1)
    expression = UpdateExpression()
    # A batch of hits of windows 8 and 10: window 8 is two back from 10, but it was written.
    expression.increment(Increment({"visits": 1, "pageviews": 3}, windows={8: (1, 1), 10: (0, 2)}))
    apply(dynamodb, expression)
    assert stored(dynamodb) == {"v": 2, "p": 4, "oa8": 6, "ob8": 6, "ob10": 2}


def test_carried_tallies_start_from_the_previous_days_and_are_not_added_twice(
    dynamodb: Any,
) -> None:
    expression = UpdateExpression()
    # An item being opened: its bases and carried tallies set only if absent, plus this hit.
    expression.set_if_absent("v_total", 40)
    expression.set_if_absent("oa10", 3, plus=1)
    expression.set_if_absent("ob10", 0, plus=1)
    expression.increment(
        Increment({"visits": 1, "pageviews": 1}, windows={10: (1, 1)}),
        frozenset({"oa10", "ob10"}),
    )
    apply(dynamodb, expression)
    assert stored(dynamodb) == {"v_total": 40, "oa10": 4, "ob10": 1, "v": 1, "p": 1}
    # Opened again by a request that lost the race: what the first wrote is kept, plus its hit.
    again = UpdateExpression()
    again.set_if_absent("v_total", 99)
    again.set_if_absent("oa10", 7, plus=1)
    apply(dynamodb, again)
    assert stored(dynamodb) == {"v_total": 40, "oa10": 5, "ob10": 1, "v": 1, "p": 1}


def test_an_expression_with_nothing_to_add_sends_no_values() -> None:
    expression = UpdateExpression()
    expression.increment(Increment({"visits": 0, "pageviews": 0}))
    assert expression.request() == {"UpdateExpression": ""}
    expression.sets.append("sealed = sealed")
    assert expression.request() == {"UpdateExpression": "SET sealed = sealed"}


def guarded(client: Any, ranges: dict[str, tuple[int, int]]) -> bool:
    """Sends one guarded ADD of a page view; whether the item took it."""
    expression = UpdateExpression()
    expression.increment(Increment({"visits": 0, "pageviews": 1}))
    condition = expression.guard(Guard(ranges))
    try:
        apply(client, expression, condition)
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True


def test_a_guarded_write_is_taken_only_if_each_shards_first_record_is_past_the_items_mark(
    dynamodb: Any,
) -> None:
    put(dynamodb, p=0)
    assert guarded(dynamodb, {"s1": (10, 20)})  # no mark yet: taken, marked at its last
    assert stored(dynamodb) == {"p": 1, "w_s1": mark(20)}
    assert not guarded(dynamodb, {"s1": (20, 25)})  # starts at the last record added
    assert not guarded(dynamodb, {"s1": (15, 25)})
    assert guarded(dynamodb, {"s1": (21, 21)})
    # Two shards: refused if either one's first is not new; each keeps its own mark.
    assert not guarded(dynamodb, {"s1": (21, 30), "s2": (1, 2)})
    assert guarded(dynamodb, {"s1": (22, 30), "s2": (1, 2)})
    assert stored(dynamodb) == {"p": 3, "w_s1": mark(30), "w_s2": mark(2)}


def test_a_mark_is_a_forty_digit_string_so_that_dynamodb_orders_marks_as_numbers(
    dynamodb: Any,
) -> None:
    assert SEQUENCE_DIGITS == 40
    assert mark(7) == "0" * 39 + "7"
    put(dynamodb, p=0)
    assert guarded(dynamodb, {"s": (9, 9)})
    assert guarded(dynamodb, {"s": (10, 10)})  # as strings unpadded, "10" < "9"
    assert stored(dynamodb)["w_s"] == "0" * 38 + "10"


def test_a_refusal_names_only_the_shards_the_item_had_added_from_the_batchs_first() -> None:
    old = {"w_s1": {"S": mark(20)}, "w_s2": {"S": mark(4)}, "p": {"N": "3"}}
    assert watermarks(old) == {"s1": 20, "s2": 4}
    guard = Guard({"s1": (20, 30), "s2": (5, 9), "s3": (1, 1)})
    assert added_before(guard, old) == AddedBefore({"s1": 20})
    assert added_before(Guard({"s1": (21, 30)}), old) is None  # not the guard: something else
    assert added_before(Guard({"s2": (4, 9)}), old) == AddedBefore({"s2": 4})


@pytest.mark.parametrize("count", [1, 2])
def test_each_value_of_an_expression_has_its_own_placeholder(dynamodb: Any, count: int) -> None:
    put(dynamodb, p=1)
    expression = UpdateExpression()
    expression.increment(Increment({"visits": count, "pageviews": count + 1}))
    apply(dynamodb, expression)
    assert stored(dynamodb) == {"v": count, "p": count + 2}
