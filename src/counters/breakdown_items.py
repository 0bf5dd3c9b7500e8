"""Reading breakdown items: one Query per month of days, paginated.

Layout (written by the aggregation path): pk `BREAKDOWN#{site}#{yyyy-mm}`,
sk `{dimension}#{yyyy-mm-dd}` (the site's local date), and per value X the
attributes `v:X` (visits) and `p:X` (page views; the only one for bots).
Other attributes (watermarks, counts) are not ours to read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from counters.storage import Storage

VISITS_PREFIX = "v:"
PAGEVIEWS_PREFIX = "p:"


def breakdown_pk(site: str, day: date) -> str:
    return f"BREAKDOWN#{site}#{day.year:04d}-{day.month:02d}"


def breakdown_sk(dimension: str, day: date) -> str:
    return f"{dimension}#{day.isoformat()}"


def _months(first: date, last: date) -> Iterator[tuple[date, date]]:
    """(first, last) day of each month the range touches, clipped to the range."""
    start = first
    while True:
        if start.month == 12:
            if start.year == date.max.year:
                yield start, last
                return
            following = date(start.year + 1, 1, 1)
        else:
            following = date(start.year, start.month + 1, 1)
        if following > last:
            yield start, last
            return
        yield start, following - timedelta(days=1)
        start = following


def day_values(item: dict[str, dict[str, str]]) -> dict[str, tuple[int, int]]:
    """value -> (visits, page views) of one day item."""
    values: dict[str, list[int]] = {}
    for name, attribute in item.items():
        if name.startswith(VISITS_PREFIX):
            values.setdefault(name[2:], [0, 0])[0] = int(attribute["N"])
        elif name.startswith(PAGEVIEWS_PREFIX):
            values.setdefault(name[2:], [0, 0])[1] = int(attribute["N"])
    return {value: (visits, pageviews) for value, (visits, pageviews) in values.items()}


def breakdown_days(
    storage: Storage, site: str, dimension: str, first: date, last: date
) -> Iterator[dict[str, tuple[int, int]]]:
    """Each stored day's value -> (visits, page views), oldest first; days without an item are absent."""
    for lo, hi in _months(first, last):
        items = storage._query_all(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": breakdown_pk(site, lo)},
                ":lo": {"S": breakdown_sk(dimension, lo)},
                ":hi": {"S": breakdown_sk(dimension, hi)},
            },
        )
        for item in items:
            yield day_values(item)
