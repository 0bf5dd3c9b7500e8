"""A brute-force model of the five figures, to check the service against."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta


def expected(counted_days: Counter[date], today: date) -> dict[str, int]:
    """The figures on `today` given how many hits were counted on each local day."""
    past = {day: n for day, n in counted_days.items() if day <= today}
    return {
        "today": past.get(today, 0),
        "yesterday": past.get(today - timedelta(days=1), 0),
        "month": sum(n for d, n in past.items() if (d.year, d.month) == (today.year, today.month)),
        "year": sum(n for d, n in past.items() if d.year == today.year),
        "total": sum(past.values()),
    }


def figures(answer: dict[str, object]) -> dict[str, object]:
    return {k: answer[k] for k in ("today", "yesterday", "month", "year", "total")}
