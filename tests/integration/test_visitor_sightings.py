"""A visitor's sightings as DynamoDB (moto) keeps them
(counters.storage.visitor_items.VisitorItems: `see`, a re-sent `see`, `unsee`).

A hit's sighting answers when the visitor was last seen; the SDK may send it again after
a lost answer, and the re-sent write must answer the same. A hit surely not counted
takes its sighting back, unless a later hit of the visitor wrote since.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest

from counters.storage import Storage
from counters.storage.visitor_items import NOT_FOUND, VisitorItems

DAY = date(2025, 6, 15)
T1 = 1_749_963_600.5
T2 = T1 + 60.25
T3 = T2 + 60.125
KEY = {"pk": {"S": "VISITOR#news#v1"}, "sk": {"S": "2025-06-15"}}


@pytest.fixture
def visitors(dynamodb: Any) -> VisitorItems:
    return Storage(dynamodb, os.environ["TABLE_NAME"]).visitors


def seen(client: Any) -> float | None:
    item = client.get_item(TableName=os.environ["TABLE_NAME"], Key=KEY, ConsistentRead=True)
    return float(item["Item"]["seen"]["N"]) if "Item" in item else None


def test_a_re_sent_sighting_answers_what_its_first_send_answered(visitors: VisitorItems) -> None:
    assert visitors.see("news", "v1", DAY, T1, "a") is None  # new today
    assert visitors.see("news", "v1", DAY, T1, "a") is None  # re-sent: still new
    assert visitors.see("news", "v1", DAY, T2, "b") == T1
    assert visitors.see("news", "v1", DAY, T2, "b") == T1  # re-sent: seen at T1 before
    assert visitors.see("news", "v1", DAY, T2, "b", must_exist=True) == T1


def test_sightings_sent_without_a_token_are_each_their_own(visitors: VisitorItems) -> None:
    """No token given: each write gets a fresh one, so none is taken for a re-send."""
    assert visitors.see("news", "v1", DAY, T1) is None
    assert visitors.see("news", "v1", DAY, T2) == T1
    assert visitors.see("news", "v1", DAY, T3) == T2


def test_a_visitor_item_expires_26_hours_after_its_last_sighting(
    visitors: VisitorItems, dynamodb: Any
) -> None:
    """Its id changes with the day's salt: the item is read only on the day it was written."""
    for at, token in ((T1, "a"), (T2, "b")):
        visitors.see("news", "v1", DAY, at, token)
    item = dynamodb.get_item(TableName=os.environ["TABLE_NAME"], Key=KEY, ConsistentRead=True)
    assert item["Item"]["expires_at"] == {"N": str(1_749_963_660 + 26 * 3600)}


def test_a_sighting_that_must_find_an_item_makes_none(
    visitors: VisitorItems, dynamodb: Any
) -> None:
    assert visitors.see("news", "v1", DAY, T1, "a", must_exist=True) is NOT_FOUND
    assert seen(dynamodb) is None


def test_a_new_visitors_sighting_taken_back_leaves_no_item(
    visitors: VisitorItems, dynamodb: Any
) -> None:
    visitors.see("news", "v1", DAY, T1, "a")
    visitors.unsee("news", "v1", DAY, "a", None)
    assert seen(dynamodb) is None


def test_a_returning_visitors_sighting_taken_back_leaves_it_seen_as_before(
    visitors: VisitorItems, dynamodb: Any
) -> None:
    visitors.see("news", "v1", DAY, T1, "a")
    last = visitors.see("news", "v1", DAY, T2, "b")
    visitors.unsee("news", "v1", DAY, "b", last)
    assert seen(dynamodb) == T1
    assert visitors.see("news", "v1", DAY, T3, "c") == T1  # and its next hit finds T1


@pytest.mark.parametrize("returning", [False, True])
def test_a_sighting_is_not_taken_back_after_a_later_hit_wrote(
    visitors: VisitorItems, dynamodb: Any, returning: bool
) -> None:
    if returning:
        visitors.see("news", "v1", DAY, T1, "a")
    last = visitors.see("news", "v1", DAY, T2, "b")
    visitors.see("news", "v1", DAY, T3, "c")  # a later hit of the same visitor
    visitors.unsee("news", "v1", DAY, "b", last)
    assert seen(dynamodb) == T3
