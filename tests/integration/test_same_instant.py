"""The same visitor twice in one instant is one visit (issue 12, hole 2).

The visitor's update rewrites `seen` with the same value when two hits share a
millisecond; DynamoDB (and moto) then return no old `seen` with UPDATED_OLD, and
the second hit looked like a new visitor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine

from tests.conftest import Api

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def test_two_hits_of_one_visitor_in_the_same_instant_are_one_visit(api: Api, dynamodb: Any) -> None:
    api.register("portal", count="visits")
    with time_machine.travel(datetime(2025, 6, 15, 5, 0, 0, 123_000, tzinfo=UTC), tick=False):
        first = api.hit("portal", headers={"user-agent": FIREFOX})
        second = api.hit("portal", headers={"user-agent": FIREFOX})
    # "counted": whether the figure shown (visits) went up; the repeat adds a page view only.
    assert (first["counted"], second["counted"]) == (True, False)
    assert (first["today"], second["today"]) == (1, 1)  # visits: the same visit
    api.register("portal", count="pageviews")
    with time_machine.travel(datetime(2025, 6, 15, 5, 0, 0, 123_000, tzinfo=UTC), tick=False):
        assert api.stats("portal")["today"] == 2  # page views: both
