"""An address's places for new visitors, per minute, as DynamoDB (moto) keeps them
(counters.storage.visitor_items.VisitorItems.admit_new).

Each test takes places and reads the address's item back; requests are counted where
the rule is their number. Expected items are literals.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import pytest

from counters.storage import Storage
from counters.storage.visitor_items import VisitorItems

DAY = date(2025, 6, 15)
T0 = 1_749_963_600.0  # 2025-06-15 05:00:00 UTC, minute 29,166,060
MINUTE = 29_166_060
KEY = {"pk": {"S": "ADDRESS#news#a1"}, "sk": {"S": "2025-06-15"}}


@pytest.fixture
def places(dynamodb: Any) -> VisitorItems:
    return Storage(dynamodb, os.environ["TABLE_NAME"]).visitors


@pytest.fixture
def sent(dynamodb: Any) -> list[str]:
    """Each request sent from now on, by operation."""
    calls: list[str] = []
    dynamodb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    return calls


def take(places: VisitorItems, at: float, opening: bool, per_minute: int = 2) -> bool:
    return places.admit_new("news", "a1", DAY, at, per_minute, opening)


def stored(client: Any) -> dict[str, int]:
    item = client.get_item(TableName=os.environ["TABLE_NAME"], Key=KEY, ConsistentRead=True)
    return {k: int(v["N"]) for k, v in item["Item"].items() if k not in ("pk", "sk")}


def test_a_minute_has_its_places_and_the_next_minute_new_ones(
    places: VisitorItems, dynamodb: Any
) -> None:
    assert [take(places, T0 + s, opening=s == 0) for s in (0, 20, 59.9)] == [True, True, False]
    assert stored(dynamodb) == {
        "win_at": MINUTE,
        "win_new": 2,
        "visitors": 2,
        "expires_at": int(T0 + 20) + 26 * 3600,  # the last place taken
    }
    assert take(places, T0 + 60, opening=True) is True
    assert stored(dynamodb) == {
        "win_at": MINUTE + 1,
        "win_new": 1,
        "visitors": 3,  # the day's checked new visitors
        "expires_at": int(T0 + 60) + 26 * 3600,
    }


def test_one_place_a_minute_is_one_new_visitor(places: VisitorItems, dynamodb: Any) -> None:
    assert take(places, T0, opening=True, per_minute=1) is True
    assert take(places, T0 + 1, opening=False, per_minute=1) is False
    assert take(places, T0 + 2, opening=True, per_minute=1) is False
    assert stored(dynamodb)["win_new"] == 1


def test_the_first_ask_of_a_minute_opens_its_window_in_one_request(
    places: VisitorItems, sent: list[str]
) -> None:
    assert take(places, T0, opening=True) is True
    assert sent == ["UpdateItem"]
    sent.clear()
    assert take(places, T0 + 1, opening=False) is True  # the window is open: one request
    assert sent == ["UpdateItem"]


def test_an_ask_that_finds_no_window_open_opens_it(
    places: VisitorItems, dynamodb: Any, sent: list[str]
) -> None:
    assert take(places, T0, opening=False) is True  # no item yet
    assert sent == ["UpdateItem", "UpdateItem"]
    assert take(places, T0 + 1, opening=True) is True  # another function's first ask
    take(places, T0 + 60, opening=False)  # an older minute's window: opens this one
    assert stored(dynamodb) == {
        "win_at": MINUTE + 1,
        "win_new": 1,
        "visitors": 3,
        "expires_at": int(T0 + 60) + 26 * 3600,
    }


def test_a_full_minute_is_refused_in_one_request(places: VisitorItems, sent: list[str]) -> None:
    take(places, T0, opening=True)
    take(places, T0 + 1, opening=False)
    sent.clear()
    assert take(places, T0 + 2, opening=False) is False
    assert sent == ["UpdateItem"]  # the item that refused says it is this minute's


def test_a_race_to_open_a_minute_takes_a_place_in_the_window_opened(
    places: VisitorItems, dynamodb: Any, sent: list[str]
) -> None:
    take(places, T0, opening=True)  # another function opened it
    sent.clear()
    assert take(places, T0 + 1, opening=True) is True
    assert sent == ["UpdateItem", "UpdateItem"]
    assert stored(dynamodb)["win_new"] == 2
    assert take(places, T0 + 2, opening=True) is False
    assert stored(dynamodb)["win_new"] == 2
