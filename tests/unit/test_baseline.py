"""A baseline's figures must be consistent: each inconsistency named, all of them at once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from counters.models import Baseline

GOOD = {
    "date": date(2025, 6, 15),
    "today": 4,
    "yesterday": 6,
    "month": 50,
    "year": 300,
    "total": 1000,
}


def refusal(**change: Any) -> str:
    with pytest.raises(ValidationError) as exc:
        Baseline(**(GOOD | change))
    [error] = exc.value.errors()
    return str(error["msg"])


def test_consistent_figures_pass() -> None:
    assert Baseline(**GOOD).model_dump() == GOOD
    # On the first of the month (or year), yesterday belongs to the month (year) before.
    assert Baseline(**(GOOD | {"date": date(2025, 6, 1), "month": 4, "yesterday": 90}))
    first = {"date": date(2025, 1, 1), "month": 4, "year": 4, "yesterday": 900}
    assert Baseline(**(GOOD | first))
    # Equal figures are consistent.
    assert Baseline(**(GOOD | {"today": 50, "yesterday": 0, "month": 50, "year": 50, "total": 50}))


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"date": date(2025, 1, 1), "today": 51}, ["today is larger than the month"]),
        ({"month": 301}, ["the month is larger than the year"]),
        ({"year": 1001}, ["the year is larger than the total"]),
        (
            {"date": date(2025, 1, 1), "yesterday": 997, "month": 1000, "year": 1000},
            ["yesterday and today are larger than the total"],
        ),
        ({"yesterday": 47}, ["yesterday (same month) and today are larger than the month"]),
        (
            {"date": date(2025, 6, 1), "month": 4, "yesterday": 297},
            ["yesterday (same year) and today are larger than the year"],
        ),
        (
            {"today": 60, "yesterday": 2000, "month": 40, "year": 1100},
            [
                "today is larger than the month",
                "the year is larger than the total",
                "yesterday and today are larger than the total",
                "yesterday (same month) and today are larger than the month",
                "yesterday (same year) and today are larger than the year",
            ],
        ),
    ],
)
def test_each_inconsistency_is_named(change: dict[str, Any], problems: list[str]) -> None:
    assert refusal(**change) == "Value error, inconsistent figures: " + "; ".join(problems)
